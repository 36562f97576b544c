"""The fields of a ProjectProfile as a person writes them: names, kinds, ranges, allowed values.

Derived from the descriptor (names, types, enums), the contract limits of api/convert.py (the
ranges: one source) and the proto comments (meanings). The file reader, `ftgate init`, `ftgate
schema` and the NEEDS_INFORMATION report all read this table.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

from ftgate import describe
from ftgate.api.convert import (
    MAX_COUNT,
    MAX_MONEY_USD,
    MAX_NAME_CHARS,
    MAX_PROMPT_VARIATIONS,
    MAX_REQUESTS_PER_DAY,
)
from ftgate.profile_input.comments import comment
from ftgate.v1 import advisor_pb2 as pb

Kind = Literal["text", "bool", "whole", "number", "enum", "enums", "message"]

# The contract's range of each number (the limits api/convert.py enforces), by path.
RANGES: dict[str, tuple[float, float]] = {
    "quality_examples": (0, MAX_COUNT),
    "prompt_engineering.prompt_variations_tested": (0, MAX_PROMPT_VARIATIONS),
    "base_model_score": (0.0, 1.0),
    "target_score": (0.0, 1.0),
    "economics.requests_per_day": (0, MAX_REQUESTS_PER_DAY),
    "economics.savings_per_request_usd": (0, MAX_MONEY_USD),
    "economics.investment_usd": (0, MAX_MONEY_USD),
    "economics.retraining_cost_usd": (0, MAX_MONEY_USD),
    "prompt.system_prompt_tokens": (0, MAX_COUNT),
}
_UNITS = {"economics.requests_per_day": "requests a day", "prompt.system_prompt_tokens": "tokens",
          "economics.savings_per_request_usd": "US dollars", "economics.investment_usd": "US dollars",
          "economics.retraining_cost_usd": "US dollars"}
_WHOLE = (FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_INT64)
_SIGNED_LIMIT = {FieldDescriptor.TYPE_INT32: 2**31 - 1, FieldDescriptor.TYPE_INT64: 2**63 - 1}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of the profile (or of a message inside it)."""

    path: str  # proto path without the request prefix: economics.requests_per_day
    name: str  # proto name: requests_per_day
    json_name: str  # requestsPerDay
    kind: Kind
    descriptor: FieldDescriptor
    low: float | None = None
    high: float | None = None

    @property
    def enum(self) -> EnumDescriptor | None:
        return self.descriptor.enum_type

    @property
    def message(self) -> Descriptor | None:
        return self.descriptor.message_type

    @property
    def type_limit(self) -> int:
        """The largest value the proto type holds (whole numbers)."""
        return _SIGNED_LIMIT.get(self.descriptor.type, 2**63 - 1)

    def allowed_names(self) -> list[str]:
        """The enum values a person may write (the unspecified value means unknown: left out)."""
        assert self.enum is not None
        return [v.name for v in self.enum.values if v.number]

    def meaning(self) -> str:
        """The proto comment of the field, else of its type."""
        own = comment(self.descriptor.full_name)
        if own:
            return own
        kind = self.enum or self.message
        return comment(kind.full_name) if kind is not None else ""

    def expected(self, unit: bool = False) -> str:
        """What a valid value is, in the words of the error messages (which name no unit: the
        contract's checks, in api/convert.py, do not know them); `unit` adds it."""
        if self.kind == "text":
            return f"text of at most {MAX_NAME_CHARS} characters"
        if self.kind == "bool":
            return "true or false"
        if self.kind in ("whole", "number"):
            assert self.low is not None and self.high is not None
            named = _UNITS.get(self.path) if unit else None
            return describe.between(self.low, self.high, whole=self.kind == "whole") + (
                f" ({named})" if named else "")
        if self.kind == "enum":
            return describe.one_of(self.allowed_names())
        if self.kind == "enums":
            return "a list drawn from " + ", ".join(self.allowed_names()) + " (each at most once)"
        return "a mapping of " + ", ".join(f.json_name for f in fields_of(self.path))


def _kind(field: FieldDescriptor) -> Kind:
    if field.message_type is not None:
        return "message"
    if field.enum_type is not None:
        return "enums" if field.is_repeated else "enum"
    if field.type == FieldDescriptor.TYPE_BOOL:
        return "bool"
    if field.type in _WHOLE:
        return "whole"
    if field.type == FieldDescriptor.TYPE_DOUBLE:
        return "number"
    if field.type == FieldDescriptor.TYPE_STRING:
        return "text"
    raise TypeError(f"no profile field kind for {field.full_name}")  # a contract change


@functools.cache
def fields_of(prefix: str = "") -> tuple[FieldSpec, ...]:
    """The fields of the profile (prefix '') or of the message at `prefix`, in proto order."""
    message: Any = pb.ProjectProfile.DESCRIPTOR
    for part in filter(None, prefix.split(".")):
        message = message.fields_by_name[part].message_type
    out = []
    for field in message.fields:
        path = f"{prefix}.{field.name}" if prefix else field.name
        low, high = RANGES.get(path, (None, None))
        out.append(FieldSpec(path, field.name, field.json_name, _kind(field), field, low, high))
    return tuple(out)


@functools.cache
def by_path() -> dict[str, FieldSpec]:
    """Every field, nested ones included, by proto path."""
    found: dict[str, FieldSpec] = {}

    def walk(prefix: str) -> None:
        for spec in fields_of(prefix):
            found[spec.path] = spec
            if spec.kind == "message":
                walk(spec.path)
    walk("")
    return found
