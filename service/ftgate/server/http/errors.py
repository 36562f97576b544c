"""The one JSON error shape of the HTTP API, and the HTTP status of each gRPC status code.

    {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "...",
               "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                            "fieldViolations": [{"field": "...", "description": "...",
                                                 "expected": "...", "found": "...",
                                                 "suggestion": "..."}]}]}}

This is the google.rpc.Status JSON mapping that Google's HTTP APIs answer (AIP-193), so the field
violations are those of the gRPC call's BadRequest detail, field for field; where a description
is "expected …; found …; suggestion", its parts are also given apart (expected, found, suggestion).
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from starlette.responses import JSONResponse

from ftgate import describe
from ftgate.errors import Violation

# google.rpc.Code → HTTP, as in google/rpc/code.proto.
HTTP_STATUS = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}
# Statuses the HTTP layer itself answers, with the gRPC code they stand for.
_HTTP_ONLY = {405: "METHOD_NOT_ALLOWED", 413: "RESOURCE_EXHAUSTED",
              415: "INVALID_ARGUMENT", 406: "INVALID_ARGUMENT"}
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"


def error_body(http_status: int, status: str, message: str,
               violations: Sequence[Violation] = ()) -> dict[str, object]:
    error: dict[str, object] = {"code": http_status, "status": status, "message": message}
    if violations:
        error["details"] = [{"@type": BAD_REQUEST_TYPE, "fieldViolations": [
            {"field": v.field, "description": v.description, **describe.parts(v.description)}
            for v in violations]}]
    return {"error": error}


def grpc_error(code: grpc.StatusCode, message: str, violations: Sequence[Violation] = (),
               headers: dict[str, str] | None = None) -> JSONResponse:
    """The response for a call that ended with gRPC status `code`."""
    http_status = HTTP_STATUS.get(code, 500)
    return JSONResponse(error_body(http_status, code.name, message, violations), http_status,
                        headers=headers)


def http_error(http_status: int, message: str, violations: Sequence[Violation] = (),
               headers: dict[str, str] | None = None) -> JSONResponse:
    """The response for a request the HTTP layer refuses before any call (bad body, route...)."""
    status = _HTTP_ONLY.get(http_status) or next(
        (code.name for code, value in HTTP_STATUS.items() if value == http_status), "UNKNOWN")
    return JSONResponse(error_body(http_status, status, message, violations), http_status,
                        headers=headers)
