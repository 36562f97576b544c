"""The words of a field the proto3 JSON mapping refused, in the words of the profile reader.

Requests without a profile (CheckRegression, ListDecisions' query, Evaluate's `explain`) are
read by protobuf's json_format, whose messages speak Python and protobuf (`invalid literal for
int() with base 10`, `Invalid enum value X for enum type Y`). The field it names is looked up in
the request's descriptor and the value in the request's data: the description then says what
was expected and what was found, as `describe` words it for profiles.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from ftgate import describe

_MISSING = object()
_KINDS = {FieldDescriptor.TYPE_BOOL: "true or false", FieldDescriptor.TYPE_STRING: "text",
          FieldDescriptor.TYPE_DOUBLE: "a number", FieldDescriptor.TYPE_FLOAT: "a number"}


def described(root: Any, path: str, data: Mapping[str, Any], problem: str) -> str:
    """The description of the field at `path` (proto names, dots) json_format refused with
    `problem`; `problem` itself when the path names no field of `root`."""
    field, value, item = _lookup(root, path.split("."), data)
    if problem.startswith("unknown field"):
        return _unknown(root, path)
    if field is None:
        return problem
    what = _expected(field)
    if field.is_repeated and not item and not isinstance(value, list) and value is not _MISSING:
        what = f"a list (each item {what})"
    if value is _MISSING or isinstance(value, list):
        return describe.Description(f"expected {what}", expected=what)
    hint = ""
    if field.enum_type is not None and isinstance(value, str):
        names = [v.name for v in field.enum_type.values if v.number]
        hint = describe.did_you_mean(difflib.get_close_matches(value.upper(), names, n=2))
    return describe.expected(what, describe.shown(value), hint)


def _expected(field: FieldDescriptor) -> str:
    if field.enum_type is not None:
        return describe.one_of(v.name for v in field.enum_type.values if v.number)
    if field.message_type is not None:
        return "a JSON object"
    if field.type in _KINDS:
        return _KINDS[field.type]
    return "a whole number"


def _lookup(root: Descriptor, parts: list[str], data: Any,
            ) -> tuple[FieldDescriptor | None, Any, bool]:
    """The field at `parts`, the value the request gave it, and whether that value is one item
    of a repeated field (`baseline[2]`)."""
    message: Descriptor | None = root
    field: FieldDescriptor | None = None
    value: Any = data
    item = False
    for part in parts:
        name, _, index = part.partition("[")
        field = message.fields_by_name.get(name) if message is not None else None
        if field is None:
            return None, _MISSING, False
        value = _value_of(value, field)
        item = bool(index)
        if item:
            at = int(index.rstrip("]"))
            value = value[at] if isinstance(value, list) and at < len(value) else _MISSING
        message = field.message_type
    return field, value, item


def _value_of(data: Any, field: FieldDescriptor) -> Any:
    if not isinstance(data, Mapping):
        return _MISSING  # inside a list: which item is not known
    for key in (field.name, field.json_name):
        if key in data:
            return data[key]
    return _MISSING


def _unknown(root: Descriptor, path: str) -> str:
    parent, _, name = path.rpartition(".")
    message: Descriptor | None = root
    for part in filter(None, parent.split(".")):
        part = part.partition("[")[0]
        field = message.fields_by_name.get(part) if message is not None else None
        message = field.message_type if field is not None else None
    if message is None:
        return "unknown field"
    names = [f.json_name for f in message.fields] if not ("_" in name or name.islower()) \
        else [f.name for f in message.fields]
    close = difflib.get_close_matches(name, names, n=2, cutoff=0.6)
    hint = describe.did_you_mean(close) if close else "the fields here are " + ", ".join(names)
    return describe.suggested(f"unknown field; {hint}", hint if close else "")
