"""Applying a counterfactual's changes to a ProjectProfile message, as a client would: each `to`
value written at its proto path (enum names, booleans, numbers; null clears the field)."""

from __future__ import annotations

from typing import Any

from ftgate import enums
from ftgate.v1 import advisor_pb2 as pb


def apply(profile: pb.ProjectProfile, changes: list[tuple[str, Any]]) -> pb.ProjectProfile:
    """A copy of `profile` with each (path, value) set."""
    out = pb.ProjectProfile()
    out.CopyFrom(profile)
    for path, value in changes:
        *groups, field = path.split(".")
        message = out
        for group in groups:
            message = getattr(message, group)
        if value is None:
            message.ClearField(field)
        elif field == "symptoms":
            del message.symptoms[:]
            message.symptoms.extend(enums.SYMPTOM.number(v) for v in value)
        elif field in enums.PROFILE_FIELDS:
            setattr(message, field, enums.PROFILE_FIELDS[field].number(value))
        elif isinstance(value, float) and message.DESCRIPTOR.fields_by_name[field].type in (
                message.DESCRIPTOR.fields_by_name[field].TYPE_INT64,
                message.DESCRIPTOR.fields_by_name[field].TYPE_INT32):
            assert value.is_integer(), f"{path}: {value} is not a whole number"
            setattr(message, field, int(value))
        else:
            setattr(message, field, value)
    return out


def value_of(v: Any) -> Any:
    """A google.protobuf.Value as Python (null → None)."""
    kind = v.WhichOneof("kind")
    if kind is None or kind == "null_value":
        return None
    if kind == "list_value":
        return [value_of(x) for x in v.list_value.values]
    return getattr(v, kind)


def changes_of(counterfactual: pb.Counterfactual) -> list[tuple[str, Any]]:
    return [(c.field, value_of(c.to)) for c in counterfactual.changes]
