"""FineTuningAdvisorService over gRPC: the service's answers, its errors as gRPC statuses.

Each method hands the request and the call's budget to api/service.py and maps what it raises:
INVALID_ARGUMENT with a google.rpc.BadRequest naming each bad field, the status a StatusError
carries, or INTERNAL (logged with its traceback; the client only learns it happened).
Evaluate and EvaluateBatch answer in wire format already: the server registers them with no
response serializer (`SENDS_BYTES`), so their bytes go out as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import grpc
import structlog
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from ftgate.api import language
from ftgate.api.limits import CallBudget
from ftgate.api.service import AdvisorService
from ftgate.api.status import StatusError
from ftgate.api.waivers import TOKEN_HEADER
from ftgate.errors import InvalidInput, Violation
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc

log = structlog.get_logger("ftgate")
T = TypeVar("T")

# The methods whose behaviour returns the serialized response.
SENDS_BYTES = frozenset({"Evaluate", "EvaluateBatch"})

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


def _fail(context: grpc.ServicerContext, method: str, exc: Exception) -> NoReturn:
    """End the call for `exc` (see the module docstring)."""
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
    """`default_deadline` (seconds, None: none) caps calls without a deadline or a longer one."""

    def __init__(self, service: AdvisorService, default_deadline: float | None = None) -> None:
        self.service = service
        self.default_deadline = default_deadline

    def _answer(self, context: Any, method: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except Exception as exc:
            _fail(context, method, exc)

    def Evaluate(  # type: ignore[override]  # an EvaluateResponse, serialized
            self, request: pb.EvaluateRequest, context: Any) -> bytes:
        try:
            return self.service.evaluate(request, CallBudget(context, self.default_deadline),
                                         language.from_metadata(context.invocation_metadata()))
        except Exception as exc:  # (the hot path: no closure for _answer)
            _fail(context, "Evaluate", exc)

    def EvaluateBatch(  # type: ignore[override]  # an EvaluateBatchResponse, serialized
            self, request: pb.EvaluateBatchRequest, context: Any) -> bytes:
        return self._answer(context, "EvaluateBatch", lambda: self.service.evaluate_batch(
            request, CallBudget(context, self.default_deadline),
            language.from_metadata(context.invocation_metadata())))

    def CheckRegression(self, request: pb.CheckRegressionRequest,
                        context: Any) -> pb.CheckRegressionResponse:
        return self._answer(context, "CheckRegression",
                            lambda: self.service.check_regression(request))

    def ListRules(self, request: pb.ListRulesRequest, context: Any) -> pb.ListRulesResponse:
        return self._answer(context, "ListRules", lambda: self.service.list_rules(request))

    def GetDecision(self, request: pb.GetDecisionRequest, context: Any) -> pb.GetDecisionResponse:
        return self._answer(context, "GetDecision", lambda: self.service.get_decision(request))

    def ListDecisions(self, request: pb.ListDecisionsRequest,
                      context: Any) -> pb.ListDecisionsResponse:
        return self._answer(context, "ListDecisions",
                            lambda: self.service.list_decisions(request))

    def RecordOutcome(self, request: pb.RecordOutcomeRequest,
                      context: Any) -> pb.RecordOutcomeResponse:
        return self._answer(context, "RecordOutcome",
                            lambda: self.service.record_outcome(request))

    def GrantWaiver(self, request: pb.GrantWaiverRequest,
                    context: Any) -> pb.GrantWaiverResponse:
        return self._answer(context, "GrantWaiver", lambda: self.service.grant_waiver(
            request, waiver_token(context.invocation_metadata())))

    def ListWaivers(self, request: pb.ListWaiversRequest,
                    context: Any) -> pb.ListWaiversResponse:
        return self._answer(context, "ListWaivers", lambda: self.service.list_waivers(request))

    def RevokeWaiver(self, request: pb.RevokeWaiverRequest,
                     context: Any) -> pb.RevokeWaiverResponse:
        return self._answer(context, "RevokeWaiver", lambda: self.service.revoke_waiver(
            request, waiver_token(context.invocation_metadata())))


def waiver_token(metadata: Any) -> str | None:
    """The value of the call's ftgate-waiver-token metadata, if any."""
    for key, value in metadata or ():
        if key.lower() == TOKEN_HEADER and isinstance(value, str) and value.strip():
            return value.strip()
    return None
