"""How a bad input value is described: "expected …, found …", then what would fix it.

One wording for every reader of profiles: the CLI's file reader, the server's BadRequest
descriptions (api/convert.py) and the template and schema comments. Plain text, no transport.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from typing import Any

from ftgate.bignum import LONGEST_DIGITS, HugeInteger, digit_count

_LONGEST_TEXT_SHOWN = 40


class Description(str):
    """The sentence of a bad value, which also keeps its parts (what was expected, what was
    found, the suggestion) for the readers that list them apart (the HTTP error's fields)."""

    expected: str
    found: str
    suggestion: str

    def __new__(cls, text: str, expected: str = "", found: str = "",
                suggestion: str = "") -> Description:
        made = super().__new__(cls, text)
        made.expected, made.found, made.suggestion = expected, found, suggestion
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (Description, (str(self), self.expected, self.found, self.suggestion))


def parts(description: str) -> dict[str, str]:
    """The parts of a description that has them (expected, found, suggestion), else none."""
    if not isinstance(description, Description):
        return {}
    return {k: v for k, v in (("expected", description.expected), ("found", description.found),
                              ("suggestion", description.suggestion)) if v}


def number(value: float) -> str:
    """A number as a person writes it: 1,000,000 rather than 1e+06; NaN and Infinity by name."""
    if isinstance(value, int):
        return f"{value:,}" if abs(value) < 10**15 else str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e16:
        return f"{int(value):,}"
    return f"{value:g}"


def shown(value: Any) -> str:
    """What was found, named by its kind: `the text "lots"`, `the number 7`, `a list`."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, HugeInteger):
        return f"a number of {value.digits:,} digits"
    if isinstance(value, int) and not isinstance(value, bool) and \
            digit_count(value) > LONGEST_DIGITS:
        return f"a number of {digit_count(value):,} digits"
    if isinstance(value, int | float):
        return f"the number {number(value)}"
    if isinstance(value, str):
        text = value if len(value) <= _LONGEST_TEXT_SHOWN else value[:_LONGEST_TEXT_SHOWN] + "…"
        return f'the text "{text}"'
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, datetime.date):  # YAML reads 2024-01-01 as a date
        return f"the date {value.isoformat()}"
    return f"a value of type {type(value).__name__}"


def expected(what: str, found: str, hint: str = "") -> Description:
    """The one sentence shape of a bad value."""
    return Description(f"expected {what}; found {found}" + (f"; {hint}" if hint else ""),
                       what, found, hint)


def suggested(text: str, suggestion: str) -> Description:
    """A description that is no `expected …; found …` but carries a suggestion."""
    return Description(text, suggestion=suggestion)


def between(low: float, high: float, whole: bool) -> str:
    """`a whole number from 0 to 1,000,000` or `a number from 0 to 1`."""
    kind = "a whole number" if whole else "a number"
    return f"{kind} from {number(low)} to {number(high)}"


def one_of(names: Iterable[str]) -> str:
    """`one of A, B, C`."""
    return "one of " + ", ".join(names)


def did_you_mean(candidates: Iterable[str]) -> str:
    """A hint naming the closest candidates, or nothing."""
    names = list(candidates)
    if not names:
        return ""
    return "did you mean " + " or ".join(names) + "?"
