"""The exceptions of ftgate_client: every failed call raises a subclass of FtgateError."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

__all__ = [
    "Cancelled",
    "DeadlineExceeded",
    "FailedPrecondition",
    "FieldViolation",
    "FtgateError",
    "InternalError",
    "InvalidArgument",
    "InvalidProfile",
    "NotFound",
    "PermissionDenied",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
]


@dataclass(frozen=True)
class FieldViolation:
    """One bad field: a proto field path such as ``project.target_score``, and why it is bad."""

    field: str
    description: str


class FtgateError(Exception):
    """A failed ftgate call. ``code`` is the gRPC status (None for errors raised before sending)."""

    def __init__(
        self, message: str, *, code: grpc.StatusCode | None = None, method: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.method = method

    def __str__(self) -> str:
        prefix = f"{self.code.name}: " if self.code is not None else ""
        where = f" ({self.method})" if self.method else ""
        return f"{prefix}{self.message}{where}"


class InvalidArgument(FtgateError):
    """The request was rejected (INVALID_ARGUMENT); ``violations`` names each bad field."""

    def __init__(
        self,
        message: str,
        violations: Sequence[FieldViolation] = (),
        *,
        code: grpc.StatusCode | None = grpc.StatusCode.INVALID_ARGUMENT,
        method: str = "",
    ) -> None:
        super().__init__(message, code=code, method=method)
        self.violations: tuple[FieldViolation, ...] = tuple(violations)

    @property
    def fields(self) -> list[str]:
        """The field paths of the violations, in the server's order."""
        return [v.field for v in self.violations]

    def __str__(self) -> str:
        text = super().__str__()
        # Servers usually put the violations in the message already; add those it left out.
        extra = [
            f"{v.field}: {v.description}" for v in self.violations if v.field not in self.message
        ]
        return "; ".join([text, *extra])


class InvalidProfile(InvalidArgument):
    """A bad project profile (Evaluate, EvaluateBatch, or a dict that is no ProjectProfile)."""


class NotFound(FtgateError):
    """No such thing (NOT_FOUND), e.g. no decision with this id in the audit log."""


class FailedPrecondition(FtgateError):
    """The server cannot do this in its state (FAILED_PRECONDITION), e.g. it keeps no audit log."""


class Unavailable(FtgateError):
    """The server could not be reached, even after the retries (UNAVAILABLE)."""


class Unauthenticated(FtgateError):
    """The server wants a (valid) token (UNAUTHENTICATED)."""


class PermissionDenied(FtgateError):
    """The token is not allowed to make this call (PERMISSION_DENIED)."""


class DeadlineExceeded(FtgateError):
    """The call did not finish within its deadline (DEADLINE_EXCEEDED)."""


class ResourceExhausted(FtgateError):
    """The server or a limit refused the call (RESOURCE_EXHAUSTED), e.g. a message too large."""


class Cancelled(FtgateError):
    """The call was cancelled (CANCELLED)."""


class Unimplemented(FtgateError):
    """The server does not know this method (UNIMPLEMENTED): an older or different server."""


class InternalError(FtgateError):
    """The server failed (INTERNAL, UNKNOWN, DATA_LOSS or any other code)."""


_BY_CODE: dict[grpc.StatusCode, type[FtgateError]] = {
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.CANCELLED: Cancelled,
    grpc.StatusCode.UNIMPLEMENTED: Unimplemented,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
}

# Methods whose INVALID_ARGUMENT is about project profiles.
_PROFILE_METHODS = frozenset({"Evaluate", "EvaluateBatch"})


def field_violations(error: grpc.RpcError) -> list[FieldViolation]:
    """Decode the google.rpc.BadRequest details of a failed call (empty when there are none)."""
    try:
        # Sync errors are grpc.Call; aio's AioRpcError is not, but has the three methods that
        # from_call reads (code, details, trailing_metadata).
        status = rpc_status.from_call(cast(grpc.Call, error))
    except ValueError:  # details inconsistent with the status: ignore them, keep the code
        return []
    if status is None:
        return []
    violations: list[FieldViolation] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            violations.extend(
                FieldViolation(v.field, v.description) for v in bad_request.field_violations
            )
    return violations


def from_rpc_error(error: grpc.RpcError, method: str) -> FtgateError:
    """Translate a grpc.RpcError (sync or aio) raised by ``method`` into an FtgateError."""
    if not callable(getattr(error, "code", None)):
        return InternalError(str(error), method=method)
    code = error.code()
    message = error.details() or ""
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        cls = InvalidProfile if method in _PROFILE_METHODS else InvalidArgument
        return cls(message, field_violations(error), code=code, method=method)
    return _BY_CODE.get(code, InternalError)(message, code=code, method=method)
