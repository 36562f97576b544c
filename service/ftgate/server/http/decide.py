"""The one place the HTTP edge meets the API: each method of FineTuningAdvisorService, called
with a request message, answering a response message or raising `Refused`.

Calls go through the gRPC servicer's methods (api/servicer.py), so that HTTP calls take the
same decision path — validation, engine, decision cache, metrics, decision log, audit. The
servicer speaks to a grpc.ServicerContext; `HttpCallContext` stands for one and turns its aborts
into exceptions. The API's own errors (InvalidInput, StatusError) are turned into `Refused` too,
so that a servicer that raises them instead of aborting needs no change here. (An API core that
takes a request and a CallBudget: `CallBudget(context, default_deadline)` with the
HttpCallContext of the call gives it the call's deadline.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

from ftgate.api.status import StatusError
from ftgate.errors import InvalidInput, Violation
from ftgate.v1 import advisor_pb2 as pb

_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class Refused(Exception):
    """The call ended with gRPC status `code`; `violations` name the bad fields of a request."""

    code: grpc.StatusCode
    message: str
    violations: tuple[Violation, ...] = ()

    def __str__(self) -> str:
        return self.message


class HttpCallContext:
    """What the servicer uses of a grpc.ServicerContext, for one HTTP call."""

    def __init__(self, deadline: float | None, metadata: tuple[tuple[str, str], ...] = ()) -> None:
        self.expires = None if deadline is None else time.monotonic() + deadline
        self.active = True
        self.metadata = metadata

    def time_remaining(self) -> float | None:
        return None if self.expires is None else max(0.0, self.expires - time.monotonic())

    def is_active(self) -> bool:
        return self.active

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self.metadata

    def abort(self, code: grpc.StatusCode, details: str) -> NoReturn:
        raise Refused(code, details)

    def abort_with_status(self, status: Any) -> NoReturn:
        raise Refused(status.code, status.details, _violations(status.trailing_metadata))


def _violations(trailers: Any) -> tuple[Violation, ...]:
    """The BadRequest field violations in a status' trailing metadata."""
    for key, value in trailers or ():
        if key != _DETAILS_KEY:
            continue
        status = status_pb2.Status.FromString(value)
        found: list[Violation] = []
        for packed in status.details:
            detail = error_details_pb2.BadRequest()
            if packed.Unpack(detail):
                found += [Violation(v.field, v.description) for v in detail.field_violations]
        return tuple(found)
    return ()


class Decider:
    """FineTuningAdvisorService's methods by name, for the HTTP edge."""

    def __init__(self, servicer: Any) -> None:
        self.servicer = servicer
        # Evaluate and EvaluateBatch answer serialized responses (the hot path sends bytes).
        self._parse: dict[str, Callable[[bytes], Message]] = {
            "Evaluate": pb.EvaluateResponse.FromString,
            "EvaluateBatch": pb.EvaluateBatchResponse.FromString,
        }

    def call(self, method: str, request: Message, context: HttpCallContext) -> Message:
        """The response of `method` to `request`; raises Refused for every failed call."""
        try:
            answer = getattr(self.servicer, method)(request, context)
        except Refused:
            raise
        except InvalidInput as exc:
            raise Refused(grpc.StatusCode.INVALID_ARGUMENT, f"invalid request: {exc}",
                          tuple(exc.violations)) from None
        except StatusError as exc:
            raise Refused(exc.code, exc.message) from None
        if isinstance(answer, bytes):
            return self._parse[method](answer)
        assert isinstance(answer, Message)
        return answer
