"""Integers too long for any field of the contract, read without converting them.

Python refuses to convert more than 4,300 decimal digits to an int (the conversion is
quadratic); a client may send 5,000 digits all the same. Readers of YAML and JSON call
`integer(text)`: a number of more than CONVERTED_DIGITS digits stays a `HugeInteger` (its sign
and digit count), which every check treats as out of range. A number of more than LONGEST_DIGITS
digits, converted or not, is named "a number of N digits" (describe.shown).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# No field of the contract holds more than 19 digits (int64); 30 leaves room to name the value.
LONGEST_DIGITS = 30
# Below Python's default limit (4,300), so that no conversion depends on that setting.
CONVERTED_DIGITS = 4000
_LIMIT = 10**CONVERTED_DIGITS


@dataclass(frozen=True, slots=True)
class HugeInteger:
    """An integer of more than CONVERTED_DIGITS digits: beyond every range of the contract."""

    negative: bool
    digits: int


def integer(text: str) -> int | HugeInteger:
    """A decimal integer as written (sign, digits, `_` separators as YAML allows)."""
    body = text.replace("_", "")
    negative = body.startswith("-")
    digits = body.lstrip("+-").lstrip("0")
    if len(digits) > CONVERTED_DIGITS:
        return HugeInteger(negative, len(digits))
    return -int(digits or "0") if negative else int(digits or "0")


def bounded(value: int) -> int | HugeInteger:
    """`value` itself, or a HugeInteger when it has more than CONVERTED_DIGITS digits (a YAML
    `0x…` integer is converted without limit: powers of two convert in linear time)."""
    if -_LIMIT < value < _LIMIT:
        return value
    return HugeInteger(value < 0, digit_count(value))


def digit_count(value: int) -> int:
    """The decimal digits of `value`, without converting it to text."""
    size = abs(value)
    if size < 10**LONGEST_DIGITS:
        return len(str(size))
    low = math.floor((size.bit_length() - 1) * math.log10(2))  # 10**low <= size
    return low + 2 if size >= 10 ** (low + 1) else low + 1
