"""The service's typed errors: how a call can end without an answer, in the API's own words.

Each door maps them: the gRPC edge to a status code (server/grpc/status.py), the HTTP edge to
an HTTP status through the same code, the webhook and the CLI to their own wording. A client's
bad input is `ftgate.errors.InvalidInput` (every bad field named); the rest are here.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A call ended on purpose; `message` says why, in words a client can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unavailable(ServiceError):
    """A store the call needs cannot answer now; trying again later may succeed."""


class NotFound(ServiceError):
    """What the call names does not exist (a decision id)."""


class FailedPrecondition(ServiceError):
    """The server is not set up for this call (no audit log, an outcome for a dry run)."""


class DataLoss(ServiceError):
    """What the store holds for this call is damaged."""


class PermissionDenied(ServiceError):
    """The caller may not make this call."""


class ResourceExhausted(ServiceError):
    """The server has no room for this call now."""


class CallStopped(ServiceError):
    """The call must end now, before its answer: its deadline passed, or its client left."""


class DeadlineExceeded(CallStopped):
    """The call's deadline passed."""


class Cancelled(CallStopped):
    """The client cancelled the call (or went away)."""
