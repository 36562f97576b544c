"""The service's typed errors (api/errors.py) as gRPC status codes: one table, for the gRPC
servicer and for the HTTP edge (which words HTTP statuses from the same codes)."""

from __future__ import annotations

import grpc

from ftgate.api import errors

_CODES: dict[type[errors.ServiceError], grpc.StatusCode] = {
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.DataLoss: grpc.StatusCode.DATA_LOSS,
    errors.PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    errors.ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.DeadlineExceeded: grpc.StatusCode.DEADLINE_EXCEEDED,
    errors.Cancelled: grpc.StatusCode.CANCELLED,
}


def code_of(exc: errors.ServiceError) -> grpc.StatusCode:
    """The status code of a service error (its nearest listed class; UNKNOWN if none)."""
    for cls in type(exc).__mro__:
        code = _CODES.get(cls)
        if code is not None:
            return code
    return grpc.StatusCode.UNKNOWN
