"""FineTuningAdvisorService: validate → engine → metrics + decision log → response."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar

import grpc
import structlog
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from ftgate.api import convert
from ftgate.api.decisions import DecisionLookup
from ftgate.api.limits import CallBudget
from ftgate.api.status import StatusError
from ftgate.audit import AuditLog, DecisionEntry
from ftgate.domain.profile import Profile
from ftgate.engine import Engine
from ftgate.engine.engine import CompiledPolicy
from ftgate.enums import short_name
from ftgate.errors import InvalidInput, Violation
from ftgate.obs import metrics
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc

log = structlog.get_logger("ftgate")
T = TypeVar("T")


# Error details travel in HTTP/2 trailers, which clients cap (8 KiB by default): the status
# message is percent-encoded (3 bytes per non-ASCII byte) and the details base64-encoded.
MAX_STATUS_MESSAGE_BYTES = 1024
MAX_DETAIL_BYTES = 2800


def clip_header_text(text: str, limit: int = MAX_STATUS_MESSAGE_BYTES) -> str:
    """The longest prefix of `text` whose percent-encoded form fits in `limit` bytes."""
    size = 0
    for i, char in enumerate(text):
        size += 1 if " " <= char <= "~" and char != "%" else 3 * len(char.encode("utf-8",
                                                                            "replace"))
        if size > limit:
            return text[:i]
    return text


def bad_request(violations: list[Violation]) -> error_details_pb2.BadRequest:
    """A BadRequest naming each bad field, as many as fit in the trailers; then a count."""
    detail = error_details_pb2.BadRequest()
    for i, v in enumerate(violations):
        item = error_details_pb2.BadRequest.FieldViolation(field=v.field[:200],
                                                           description=v.description[:300])
        if detail.ByteSize() + item.ByteSize() > MAX_DETAIL_BYTES:
            detail.field_violations.add(field="request",
                                        description=f"and {len(violations) - i} more")
            break
        detail.field_violations.append(item)
    return detail


def abort_invalid(context: grpc.ServicerContext, exc: InvalidInput) -> NoReturn:
    """INVALID_ARGUMENT with a google.rpc.BadRequest naming each bad field."""
    packed = any_pb2.Any()
    packed.Pack(bad_request(exc.violations))
    status = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT,
                               message=clip_header_text(f"invalid request: {exc}"),
                               details=[packed])
    context.abort_with_status(rpc_status.to_status(status))
    raise AssertionError("abort_with_status returns only by raising")  # pragma: no cover


class AdvisorServicer(pb_grpc.FineTuningAdvisorServiceServicer):
    """`audit` records every decision (None: off); `default_deadline` caps calls without one."""

    def __init__(self, engine: Engine, max_batch: int = 100, *, audit: AuditLog | None = None,
                 decisions: DecisionLookup | None = None,
                 default_deadline: float | None = None) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.audit = audit
        self.decisions = decisions or DecisionLookup(None)
        self.default_deadline = default_deadline

    def _guard(self, context: grpc.ServicerContext, method: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except InvalidInput as exc:
            log.info("invalid_request", method=method, violations=len(exc.violations))
            abort_invalid(context, exc)
        except StatusError as exc:
            context.abort(exc.code, exc.message)
            raise
        except Exception:
            log.exception("internal_error", method=method)
            context.abort(grpc.StatusCode.INTERNAL, "internal error; see the server log")
            raise

    def _decide(self, profile: Profile, policy: CompiledPolicy | None = None) -> pb.Assessment:
        started = time.perf_counter()
        policy = policy or self.engine.policy
        assessment = policy.evaluate(profile)
        elapsed = time.perf_counter() - started
        metrics.record_decision(assessment, elapsed)
        log.info(
            "decision",
            decision_id=assessment.decision_id,
            project=assessment.project_name,
            verdict=short_name(pb.Verdict, assessment.verdict),
            outcome=short_name(pb.Outcome, assessment.outcome) if assessment.outcome else None,
            findings=len(assessment.findings),
            ruleset_version=assessment.ruleset_version,
            duration_ms=round(elapsed * 1000, 3),
        )
        return assessment

    def _answer(self, context: Any, projects: Sequence[pb.ProjectProfile],
                profiles: Sequence[Profile]) -> list[pb.Assessment]:
        """Decide each profile on one policy (the one active when the call started), stopping
        when the call's deadline passes or its client goes away; record what is answered."""
        budget = CallBudget(context, self.default_deadline)
        policy = self.engine.policy
        answers = []
        for profile in profiles:
            budget.check()
            answers.append(self._decide(profile, policy))
        if self.audit is not None:
            decided_at = time.time()
            for project, profile, answer in zip(projects, profiles, answers, strict=True):
                self.audit.record(DecisionEntry(decided_at, project, profile, answer))
        return answers

    def Evaluate(self, request: pb.EvaluateRequest, context: Any) -> pb.EvaluateResponse:
        def run() -> pb.EvaluateResponse:
            profile = convert.profile_from_proto(request.project)
            [answer] = self._answer(context, [request.project], [profile])
            return pb.EvaluateResponse(assessment=answer)
        return self._guard(context, "Evaluate", run)

    def EvaluateBatch(self, request: pb.EvaluateBatchRequest,
                      context: Any) -> pb.EvaluateBatchResponse:
        def run() -> pb.EvaluateBatchResponse:
            profiles = convert.profiles_from_proto(request.projects, self.max_batch)
            return pb.EvaluateBatchResponse(
                assessments=self._answer(context, request.projects, profiles))
        return self._guard(context, "EvaluateBatch", run)

    def CheckRegression(self, request: pb.CheckRegressionRequest,
                        context: Any) -> pb.CheckRegressionResponse:
        def run() -> pb.CheckRegressionResponse:
            report = self.engine.check_regression(*convert.regression_request(request))
            return convert.regression_to_proto(report)
        return self._guard(context, "CheckRegression", run)

    def ListRules(self, request: pb.ListRulesRequest, context: Any) -> pb.ListRulesResponse:
        return self._guard(context, "ListRules",
                           lambda: convert.rules_to_proto(self.engine.ruleset))

    def GetDecision(self, request: pb.GetDecisionRequest, context: Any) -> pb.GetDecisionResponse:
        return self._guard(context, "GetDecision", lambda: self.decisions.get(request))

    def ListDecisions(self, request: pb.ListDecisionsRequest,
                      context: Any) -> pb.ListDecisionsResponse:
        return self._guard(context, "ListDecisions", lambda: self.decisions.list(request))
