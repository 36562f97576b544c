"""The console's form for a ProjectProfile, generated from the proto: one input per field (its
proto path in snake_case as its name), enum choices, the contract's ranges (api/convert.py) and
help text from the proto comments."""

from __future__ import annotations

from functools import cache
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from ftgate.api import convert
from ftgate.languages import LANGUAGES
from ftgate.present.numbers import numbers
from ftgate.server.http.protodoc import comments
from ftgate.v1 import advisor_pb2 as pb

# The ranges the API accepts (api/convert.py checks them): (lowest, highest).
RANGES: dict[str, tuple[float, float]] = {
    "quality_examples": (0, convert.MAX_COUNT),
    "prompt_engineering.prompt_variations_tested": (0, convert.MAX_PROMPT_VARIATIONS),
    "base_model_score": (0.0, 1.0),
    "target_score": (0.0, 1.0),
    "economics.requests_per_day": (0.0, convert.MAX_REQUESTS_PER_DAY),
    "economics.savings_per_request_usd": (0.0, convert.MAX_MONEY_USD),
    "economics.investment_usd": (0.0, convert.MAX_MONEY_USD),
    "economics.retraining_cost_usd": (0.0, convert.MAX_MONEY_USD),
    "prompt.system_prompt_tokens": (0, convert.MAX_COUNT),
}
_INTEGERS = {FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_INT64}
_NUMBERS = {FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT}


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize().replace("usd", "(USD)")


def _field(f: FieldDescriptor, path: str, doc: dict[str, str]) -> dict[str, Any]:
    own = doc.get(f.full_name) or (doc.get(f.enum_type.full_name, "") if f.enum_type else "")
    item: dict[str, Any] = {"name": path, "label": _label(f.name), "help": own}
    if f.enum_type is not None:
        item["kind"] = "enum_list" if f.is_repeated else "enum"
        item["choices"] = [{"value": v.name, "help": doc.get(
            f"{f.enum_type.full_name.rpartition('.')[0]}.{f.enum_type.name}.{v.name}", "")}
            for v in f.enum_type.values if v.number != 0]
        item["enum"] = f.enum_type.name
    elif f.type == FieldDescriptor.TYPE_BOOL:
        item["kind"] = "bool"
    elif f.type in _INTEGERS or f.type in _NUMBERS:
        item["kind"] = "integer" if f.type in _INTEGERS else "number"
        if path in RANGES:
            item["min"], item["max"] = RANGES[path]
            # (written by the server in each language: the console formats no figure)
            item["min_text"], item["max_text"] = (
                {lang: numbers(lang).number(v) for lang in LANGUAGES} for v in RANGES[path])
    else:
        item["kind"] = "text"
        if path == "name":
            item["max_length"] = convert.MAX_NAME_CHARS
    return item


def _section(m: Descriptor, prefix: str, doc: dict[str, str]) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = []
    for f in m.fields:
        path = prefix + f.name
        if f.message_type is not None:
            fields.append({"kind": "group", "name": path, "label": _label(f.name),
                           "help": doc.get(f.full_name) or doc.get(f.message_type.full_name, ""),
                           "fields": _section(f.message_type, path + ".", doc)})
        else:
            fields.append(_field(f, path, doc))
    return fields


@cache
def profile_form() -> dict[str, Any]:
    doc = comments()
    return {"message": "ProjectProfile", "help": doc.get(pb.ProjectProfile.DESCRIPTOR.full_name, ""),
            "fields": _section(pb.ProjectProfile.DESCRIPTOR, "", doc)}
