"""ftgate_client: the Python SDK of ftgate, the fine-tuning policy service.

    from ftgate_client import Client, v1
    with Client("127.0.0.1:50051") as ftgate:
        assessment = ftgate.evaluate({"taskType": "TASK_TYPE_CLASSIFICATION"})
        print(assessment.decision_id, v1.Verdict.Name(assessment.verdict))

Messages and enums live in ftgate_client.v1; errors in ftgate_client.errors (also here).
"""

from ftgate_client import v1
from ftgate_client._version import __version__
from ftgate_client.aio import AsyncClient
from ftgate_client.client import Client
from ftgate_client.errors import (
    Cancelled,
    DeadlineExceeded,
    FailedPrecondition,
    FieldViolation,
    FtgateError,
    InternalError,
    InvalidArgument,
    InvalidProfile,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    Unimplemented,
)

__all__ = [
    "AsyncClient",
    "Cancelled",
    "Client",
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
    "__version__",
    "v1",
]
