"""The one rounding rule for the figures people read (docs/presentation.md).

A figure of 1 or more keeps two decimals at most (6.25 months, 18.12 months, $828.50); a
smaller one keeps two significant digits (0.37 months), unless it has four or fewer, as a price
or a score is written ($0.0023, $0.0125, 0.82): then it is shown as it is. Trailing zeros are
dropped (250 months, not 250.0). A figure that is not whole never reads as a whole number: the
thresholds the rules compare figures with are whole (12 months, 10,000 requests/day), and
12.0002 months, which is above 12, must not read "12": it keeps the decimals that tell it from
its neighbour. Money of $100 or more is shown in whole dollars ($829), which no threshold
compares.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_ONE = Decimal(1)
_WHOLE = Decimal("Infinity")
_MAX_PLACES = 12  # beyond this a figure is shown as it is rounded, even if it reads whole
_WRITTEN_DIGITS = 4  # a figure below 1 with this many significant digits or fewer is kept whole


def exact(value: float | int | Decimal) -> Decimal:
    """The decimal a number was written as (a double: its shortest repr)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(float(value)))


def _places(value: Decimal, whole_from: Decimal) -> int:
    """The decimals `value` keeps before the guard."""
    size = abs(value)
    if size >= whole_from:
        return 0
    if size >= 1 or size == 0:
        return 2
    digits = len(size.normalize().as_tuple().digits)
    if digits <= _WRITTEN_DIGITS:  # as written: $0.0023, $0.0125
        return max(2, decimals(size.normalize()))
    return max(2, 2 - size.adjusted() - 1)  # two significant digits: 0.37


def shown(value: float | int | Decimal, *, whole_from: float = float("inf")) -> Decimal:
    """`value` as it is displayed: rounded by the rule above, trailing zeros dropped."""
    d = exact(value)
    if not d.is_finite():
        return d
    places = _places(d, _WHOLE if whole_from == float("inf") else exact(whole_from))
    rounded = _round(d, places)
    while places and rounded == rounded.to_integral_value() and rounded != d \
            and places < _MAX_PLACES:
        places += 1
        rounded = _round(d, places)
    if rounded == rounded.to_integral_value():
        return rounded.quantize(_ONE)
    return rounded.normalize()


def shown_digits(value: float | int, whole_from: float = float("inf"),
                 ) -> tuple[bool, int, str] | None:
    """`shown(value, whole_from=...)` as (negative, whole part, decimals without trailing
    zeros), computed on the digits of the number's shortest repr instead of in decimal
    arithmetic (4 times cheaper: a figure never seen before is written on every call). None
    where that repr has an exponent (beyond 1e16 or below 1e-4), or for a number that is not
    finite: `shown` then. tests/test_present.py holds the two to the same results."""
    text = repr(value) if type(value) is float else str(value)
    if "e" in text or "n" in text:  # 1e-05, inf, nan
        return None
    negative = text[0] == "-"
    whole, _, decimals_ = (text[1:] if negative else text).partition(".")
    decimals_ = "" if decimals_ == "0" else decimals_.rstrip("0")  # the value's own digits
    size = -value if negative else value
    if size >= whole_from:
        places = 0
    elif size >= 1 or not decimals_:
        places = 2
    else:
        significant = decimals_.lstrip("0")
        if len(significant) <= _WRITTEN_DIGITS:  # as written: $0.0023, $0.0125
            places = max(2, len(decimals_))
        else:  # two significant digits: 0.37
            places = len(decimals_) - len(significant) + 2
    while True:
        if len(decimals_) <= places:  # nothing to round: the value itself
            return negative and (whole != "0" or bool(decimals_)), int(whole), decimals_
        # Half up: the digit after the last kept decides (any digits after it only add).
        scaled = int(whole + decimals_[:places]) + (decimals_[places] >= "5")
        if not places:
            return negative, scaled, ""
        rounded_whole, rest = divmod(scaled, _POWERS[places])
        # A figure that is not whole never reads as a whole number (the module docstring).
        if rest or places >= _MAX_PLACES:
            return negative, rounded_whole, str(rest).rjust(places, "0").rstrip("0")
        places += 1


_POWERS = [10**n for n in range(_MAX_PLACES + 1)]


def _round(d: Decimal, places: int) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def decimals(value: Decimal) -> int:
    """The decimals a displayed figure has (0 for a whole one)."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
