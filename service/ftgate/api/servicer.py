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
from ftgate.api.audit_queries import DecisionLookup
from ftgate.api.cache import DecisionCache
from ftgate.api.limits import CallBudget
from ftgate.api.status import StatusError
from ftgate.audit import AuditLog, DecisionEntry
from ftgate.domain.profile import Profile
from ftgate.engine import Engine
from ftgate.engine.assemble import encode_decision_id
from ftgate.engine.encode import field, tag
from ftgate.engine.engine import CompiledPolicy, new_decision_id
from ftgate.errors import InvalidInput, Violation
from ftgate.obs import logging as logs
from ftgate.obs import metrics
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc

log = structlog.get_logger("ftgate")
T = TypeVar("T")


# Error details travel in HTTP/2 trailers, which clients cap (8 KiB by default): the status
# message is percent-encoded (3 bytes per non-ASCII byte) and the details base64-encoded.
MAX_STATUS_MESSAGE_BYTES = 1024
MAX_DETAIL_BYTES = 2800
_RESPONSE_ASSESSMENT = tag(pb.EvaluateResponse, "assessment")
_BATCH_ASSESSMENTS = tag(pb.EvaluateBatchResponse, "assessments")


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


def _fail(context: grpc.ServicerContext, method: str, exc: Exception) -> NoReturn:
    """End the call for `exc`: INVALID_ARGUMENT naming the bad fields, the status a StatusError
    carries, or INTERNAL (logged with its traceback; the client only learns it happened)."""
    if isinstance(exc, InvalidInput):
        log.info("invalid_request", method=method, violations=len(exc.violations))
        abort_invalid(context, exc)
    if isinstance(exc, StatusError):
        context.abort(exc.code, exc.message)
        raise exc
    log.error("internal_error", method=method, exc_info=exc)
    context.abort(grpc.StatusCode.INTERNAL, "internal error; see the server log")
    raise exc


class AdvisorServicer(pb_grpc.FineTuningAdvisorServiceServicer):
    """`audit` records every decision (None: off); `default_deadline` caps calls without one."""

    def __init__(self, engine: Engine, max_batch: int = 100, *, audit: AuditLog | None = None,
                 decisions: DecisionLookup | None = None,
                 default_deadline: float | None = None, decision_cache: int = 0,
                 decision_log: logs.DecisionLog | None = None) -> None:
        self.engine = engine
        self.decision_log = decision_log or logs.DecisionLog(None, True, {})
        self.cache = DecisionCache(decision_cache) if decision_cache > 0 else None
        self.max_batch = max_batch
        self.audit = audit
        self.decisions = decisions or DecisionLookup(None)
        self.default_deadline = default_deadline

    def _guard(self, context: grpc.ServicerContext, method: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except Exception as exc:
            _fail(context, method, exc)

    def _decide(self, profile: Profile, policy: CompiledPolicy,
                ) -> tuple[bytes, tuple[Any, ...], logs.DecisionFields, float]:
        """Evaluate, time and count: the answer's fields but the decision id (engine.assemble.
        Encoded.body), its counters and log fields (which the decision cache keeps), and the
        seconds the engine took."""
        started = time.perf_counter()
        answer = policy.encode(profile)
        elapsed = time.perf_counter() - started
        counters = metrics.counters_for(answer.verdict, answer.outcome, answer.findings)
        fields = logs.fields_for(profile.name, answer.verdict, answer.outcome,
                                 len(answer.findings), policy.ruleset.version)
        metrics.record_decision(counters, elapsed)
        return answer.body, counters, fields, elapsed

    def _answered(self, body: bytes, fields: logs.DecisionFields, elapsed: float,
                  cached: bool) -> bytes:
        """The Assessment of a decision, serialized, under a new decision id; its line logged."""
        decision_id = new_decision_id()
        self.decision_log.write(decision_id, *fields, round(elapsed * 1000, 3), cached)
        return encode_decision_id(decision_id) + body

    def _answer(self, context: Any, projects: Sequence[pb.ProjectProfile],
                profiles: Sequence[Profile]) -> bytes:
        """Decide each profile on one policy (the one active when the call started), stopping
        when the call's deadline passes or its client goes away; record what is answered; the
        EvaluateBatchResponse, serialized."""
        budget = CallBudget(context, self.default_deadline)
        policy = self.engine.policy
        answers = []
        for profile in profiles:
            budget.check()
            body, _, fields, elapsed = self._decide(profile, policy)
            answers.append(self._answered(body, fields, elapsed, False))
        if self.audit is not None:
            decided_at = time.time()
            for project, profile, answer in zip(projects, profiles, answers, strict=True):
                self.audit.record(DecisionEntry(decided_at, project, profile, answer))
        return b"".join([field(_BATCH_ASSESSMENTS, answer) for answer in answers])

    def Evaluate(  # type: ignore[override]  # an EvaluateResponse, serialized
            self, request: pb.EvaluateRequest, context: Any) -> bytes:
        # The hot path, kept flat. The answer is sent as the engine encoded it (engine.assemble.
        # Encoded, inside the response's one field), never parsed into a message: the server
        # registers the service with handlers that send bytes as they are (server/handlers.py).
        # From the decision cache when this exact profile was answered under this policy
        # already, else validated and evaluated (and kept). The call's deadline is not checked
        # before one profile (the gRPC core ends calls whose deadline passed; batches check
        # before each profile).
        try:
            project = request.project
            policy = self.engine.policy
            cache = self.cache
            hit = None
            if cache is not None:
                started = time.perf_counter()
                key = project.SerializeToString(deterministic=True)
                hit = cache.get(policy, key)
            if hit is None:
                profile = convert.profile_from_proto(project)
                body, counters, fields, elapsed = self._decide(profile, policy)
                if cache is not None:
                    cache.put(policy, key, profile, body, counters, fields)
            else:
                profile, body, fields = hit.profile, hit.encoded, hit.log_fields
                metrics.count(hit.counters)
                elapsed = time.perf_counter() - started
            assessment = self._answered(body, fields, elapsed, hit is not None)
            if self.audit is not None:
                self.audit.record(DecisionEntry(time.time(), project, profile, assessment))
            return field(_RESPONSE_ASSESSMENT, assessment)
        except Exception as exc:
            _fail(context, "Evaluate", exc)

    def EvaluateBatch(  # type: ignore[override]  # an EvaluateBatchResponse, serialized
            self, request: pb.EvaluateBatchRequest, context: Any) -> bytes:
        def run() -> bytes:
            profiles = convert.profiles_from_proto(request.projects, self.max_batch)
            return self._answer(context, request.projects, profiles)
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
