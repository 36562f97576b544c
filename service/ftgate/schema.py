"""A JSON Schema of the profile files `ftgate check` reads, from the descriptor and the contract.

Generated, not written: the field names (proto and JSON names, as protobuf's JSON reader accepts
both), the enum values, the kinds of value and the contract's ranges (api/convert.py, through
profile_input.fields) all come from the code that checks profiles, so editors flag what ftgate
would refuse. One thing a schema cannot say is left to ftgate: a symptom listed twice, once by
name and once by number.

No maintained protobuf→JSON Schema generator takes the contract's ranges, which live in
ftgate's validation, not in the proto; hence this small one.
"""

from __future__ import annotations

from typing import Any

from ftgate.api.convert import MAX_NAME_CHARS
from ftgate.profile_input.comments import comment
from ftgate.profile_input.fields import FieldSpec, fields_of
from ftgate.profile_input.walker import WHOLE_TEXT
from ftgate.v1 import advisor_pb2 as pb

SCHEMA_ID = "https://ftgate.dev/schemas/ftgate.v1.ProjectProfile.schema.json"
_DEFS = {"": "ProjectProfile"}


def profile_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a profile file: a ProjectProfile, or one under
    `project:`; `$schema` may name this schema at the top."""
    defs: dict[str, Any] = {}
    _message_schema("", defs)
    profile = defs["ProjectProfile"]
    top = {**profile, "properties": {"$schema": {"type": "string"}, **profile["properties"]}}
    wrapped = {"type": "object", "properties": {
        "$schema": {"type": "string"}, "project": {"$ref": "#/$defs/ProjectProfile"}},
        "required": ["project"], "additionalProperties": False}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "ftgate project profile",
            "description": (f"A {pb.ProjectProfile.DESCRIPTOR.full_name} as `ftgate check` reads "
                            "it (YAML or JSON). " + profile.get("description", "")),
            "anyOf": [top, wrapped], "$defs": defs}


def _message_schema(prefix: str, defs: dict[str, Any]) -> str:
    specs = fields_of(prefix)
    container = specs[0].descriptor.containing_type
    assert container is not None
    name = _DEFS.get(prefix) or container.name
    properties: dict[str, Any] = {}
    exclusive: dict[str, Any] = {}
    for spec in specs:
        value = _field_schema(spec, defs)
        for key in dict.fromkeys((spec.json_name, spec.name)):
            properties[key] = value
        if spec.json_name != spec.name:  # one field, two names: either, not both
            exclusive[spec.json_name] = {"not": {"required": [spec.name]}}
    defs[name] = {"type": "object", "description": comment(container.full_name),
                  "properties": properties, "additionalProperties": False,
                  "dependentSchemas": exclusive}
    return name


def _field_schema(spec: FieldSpec, defs: dict[str, Any]) -> dict[str, Any]:
    described = {"description": f"{spec.meaning()} Expected: {spec.expected(unit=True)}.".strip()}
    if spec.kind == "message":
        return {"$ref": f"#/$defs/{_message_schema(spec.path, defs)}", **described}
    if spec.kind == "text":
        # (no NUL character: no audit store can hold one, api/convert.text_problems)
        return {"type": "string", "maxLength": MAX_NAME_CHARS, "pattern": "^[^\\u0000]*$",
                **described}
    if spec.kind == "bool":
        return {"type": "boolean", **described}
    if spec.kind == "enum":
        assert spec.enum is not None
        names = [v.name for v in spec.enum.values]
        numbers = [v.number for v in spec.enum.values]
        return {"enum": names + numbers, **described}
    if spec.kind == "enums":
        assert spec.enum is not None
        allowed = spec.allowed_names()
        numbers = [v.number for v in spec.enum.values if v.number]
        return {"type": "array", "items": {"enum": allowed + numbers}, "uniqueItems": True,
                **described}
    whole = spec.kind == "whole"
    low, high = spec.low, spec.high
    number = {"type": "integer" if whole else "number", "minimum": _plain(low),
              "maximum": _plain(high)}
    if not whole:
        return {**number, **described}
    return {"anyOf": [number, {"type": "string", "pattern": _whole_text(int(high or 0))}],
            **described}


def _whole_text(high: int) -> str:
    """The whole numbers from 0 to `high` written as text (as protobuf writes int64 values)."""
    digits = len(str(high))
    if high == 10 ** (digits - 1):  # 10**k: any number of fewer digits, or itself
        return f"^(?:0|[1-9][0-9]{{0,{digits - 2}}}|{high})$"
    return WHOLE_TEXT.pattern  # no exact pattern: ftgate checks the range


def _plain(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value
