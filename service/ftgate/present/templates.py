"""The templates of the rule files, rendered in one language: `{quality_examples}`,
`{investment_usd:usd}`, `{net_break_even_months:months}`.

A field's spec says what the value is (docs/presentation.md):
- none, or a number spec of Python's (`,` `,.0f` `g`, as older rule files write): a figure,
  rounded by the one rule and written as the language writes numbers (6,000 · 6 000);
- `usd`: money ($15,000 · 15 000 $); `months`: a duration (6.25 months · 6,25 mois).
A text value is inserted as it is; a value the profile does not give reads "unknown"
("inconnu").
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ftgate.present.numbers import Numbers, numbers

_FORMATTER = string.Formatter()
_NUMBER_SPEC = re.compile(r"^,?(\.\d+)?[dfg]?$")
_UNKNOWN = {"en": "unknown", "fr": "inconnu"}
SPECS = ("usd", "months")


def check_spec(spec: str) -> str | None:
    """What is wrong with a field's spec, or None."""
    if spec in SPECS or _NUMBER_SPEC.match(spec):
        return None
    return f"unknown format {spec!r} (expected nothing, {' or '.join(SPECS)})"


def _writer(spec: str, n: Numbers) -> Callable[[float | Decimal], str]:
    if spec == "usd":
        return n.money
    if spec == "months":
        return n.months
    return n.number


class Template:
    """One template, parsed once: literal text and the fields between."""

    __slots__ = ("_parts", "_unknown", "text")

    def __init__(self, text: str, lang: str) -> None:
        self.text = text
        n = numbers(lang)
        self._unknown = _UNKNOWN[lang]
        parts: list[tuple[str, str | None, Callable[[float | Decimal], str] | None]] = []
        for literal, name, spec, _ in _FORMATTER.parse(text):
            parts.append((literal, name or None, _writer(spec or "", n) if name else None))
        self._parts = tuple(parts)

    def format_map(self, values: Mapping[str, Any]) -> str:
        """The text with each field's value written in the template's language."""
        out: list[str] = []
        for literal, name, write in self._parts:
            out.append(literal)
            if name is None:
                continue
            value = values[name]
            kind = type(value)
            if kind is int or kind is float or kind is Decimal:
                out.append(write(value))  # type: ignore[misc]
            elif kind is str:
                out.append(value)
            elif kind is bool:
                out.append(str(value).lower())
            elif kind is list:
                out.append(", ".join(map(str, value)))
            else:  # the value a template reads when the profile does not give it
                out.append(self._unknown)
        return "".join(out)

    def format(self, **values: Any) -> str:
        """The text with these values (a template of ftgate.engine.fact_texts)."""
        return self.format_map(values)

    def __str__(self) -> str:
        return self.text
