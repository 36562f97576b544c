"""FineTuningAdvisorService: validate → engine → metrics + decision log → response."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import grpc
import structlog
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from ftgate.api import convert
from ftgate.domain.assessment import Assessment
from ftgate.domain.profile import Profile
from ftgate.engine import Engine
from ftgate.errors import InvalidInput
from ftgate.obs import metrics
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc

log = structlog.get_logger("ftgate")
T = TypeVar("T")


def abort_invalid(context: grpc.ServicerContext, exc: InvalidInput) -> NoReturn:
    """INVALID_ARGUMENT with a google.rpc.BadRequest naming each bad field."""
    detail = error_details_pb2.BadRequest(field_violations=[
        error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
        for v in exc.violations
    ])
    packed = any_pb2.Any()
    packed.Pack(detail)
    status = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT,
                               message=f"invalid request: {exc}"[:1024], details=[packed])
    context.abort_with_status(rpc_status.to_status(status))
    raise AssertionError("abort_with_status returns only by raising")  # pragma: no cover


class AdvisorServicer(pb_grpc.FineTuningAdvisorServiceServicer):
    def __init__(self, engine: Engine, max_batch: int = 100) -> None:
        self.engine = engine
        self.max_batch = max_batch

    def _guard(self, context: grpc.ServicerContext, method: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except InvalidInput as exc:
            log.info("invalid_request", method=method, violations=len(exc.violations))
            abort_invalid(context, exc)
        except Exception:
            log.exception("internal_error", method=method)
            context.abort(grpc.StatusCode.INTERNAL, "internal error; see the server log")
            raise

    def _decide(self, profile: Profile) -> Assessment:
        started = time.perf_counter()
        policy = self.engine.policy
        assessment = policy.evaluate(profile)
        elapsed = time.perf_counter() - started
        metrics.record_decision(assessment, elapsed)
        log.info(
            "decision",
            decision_id=assessment.decision_id,
            project=assessment.project_name,
            verdict=assessment.verdict,
            outcome=assessment.outcome,
            findings=len(assessment.findings),
            ruleset_version=assessment.ruleset_version,
            duration_ms=round(elapsed * 1000, 3),
        )
        return assessment

    def Evaluate(self, request: pb.EvaluateRequest, context: Any) -> pb.EvaluateResponse:
        def run() -> pb.EvaluateResponse:
            profile = convert.profile_from_proto(request.project)
            return pb.EvaluateResponse(assessment=convert.assessment_to_proto(self._decide(profile)))
        return self._guard(context, "Evaluate", run)

    def EvaluateBatch(self, request: pb.EvaluateBatchRequest,
                      context: Any) -> pb.EvaluateBatchResponse:
        def run() -> pb.EvaluateBatchResponse:
            profiles = convert.profiles_from_proto(request.projects, self.max_batch)
            return pb.EvaluateBatchResponse(
                assessments=[convert.assessment_to_proto(self._decide(p)) for p in profiles])
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
