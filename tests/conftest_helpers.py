"""Helpers shared by tests (importable because conftest puts tests/ on sys.path)."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


def violated_fields(error: grpc.RpcError) -> list[str]:
    """The field paths of the google.rpc.BadRequest detail of an INVALID_ARGUMENT error."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, "no rich status in the error"
    fields = []
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            fields += [v.field for v in bad.field_violations]
    return fields


def assess(engine, profile, decision_id: str = ""):  # type: ignore[no-untyped-def]
    """The Assessment message of the engine's decision on a domain Profile, as in-process
    callers build it (ftgate/assessment.py)."""
    from ftgate.assessment import to_message

    return to_message(engine.decide(profile), decision_id)
