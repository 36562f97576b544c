"""A JSON body that is one field of the request (`body: "outcome"` in the proto's binding): the
body becomes that field, and its mistakes are named by their path from the request
(`outcome.measured_score`), as the gRPC call names them."""

from __future__ import annotations

from google.protobuf.message import Message

from ftgate.errors import Violation
from ftgate.server.http.body import BadBody, message_from_json


def field_from_json(raw: bytes, request: Message, field: str) -> None:
    """Fill `request.<field>` (a message field) from a JSON body; BadBody naming the field."""
    if not raw.strip():  # (an empty object would read as every field at its zero value)
        name = getattr(request, field).DESCRIPTOR.name
        raise BadBody(f"the body must be the {field} ({name}) as a JSON object, got nothing",
                      violations=[Violation(field, "missing: the body is empty")])
    try:
        message_from_json(raw, getattr(request, field))
    except BadBody as exc:
        raise BadBody(exc.message, exc.http_status,
                      [Violation(f"{field}.{v.field}" if v.field != "body" else field,
                                 v.description) for v in exc.violations]) from None
