"""Money and volumes as the decimals they were written as, and the figures derived from them.

A caller who writes `0.0023` sends the double nearest to it; the shortest text that reads back as
that double (`repr`, which is also what proto3 JSON prints) is `0.0023` again. Each input is read
as that decimal, and the derived figures are computed in decimal arithmetic: $0.0023 × 12,000 × 30
is exactly $828 a month, and $9,936 breaks even in exactly 12 months (in binary floating point,
827.9999999999999 and 12.000000000000002).

Comparing two doubles is already comparing their shortest decimals (rounding is monotonic, so
`a < b` exactly when `repr(a) < repr(b)` as decimals): an input against a threshold needs nothing
more. A derived figure may not be a double, and its nearest double may sit on a threshold it is
above or below: ftgate.engine.ordering gives the rule engine doubles that order as the exact
figures do.

The engine computes the same figures as exact ratios of integers (the second half of this
module), faster, and builds a figure's decimal only when the ordering needs it.
"""

from __future__ import annotations

import math
from decimal import Context, Decimal

# Products of three inputs (17 significant digits each, at most) are exact at this precision;
# a quotient is rounded to it. A quotient of such figures that is not equal to a threshold of
# 17 digits differs from it by more than 1 part in 10**69, so its rounding never lands on it.
_CONTEXT = Context(prec=100, Emax=999_999, Emin=-999_999)
_multiply = _CONTEXT.multiply


def exact(x: float | int) -> Decimal:
    """The decimal `x` was written as: its shortest repr (an int as it is)."""
    return Decimal(x) if type(x) is int else Decimal(repr(x))


def product(*factors: float | int) -> Decimal:
    """The product of the decimals the factors were written as, exactly (up to three)."""
    result = exact(factors[0])
    for factor in factors[1:]:
        result = _multiply(result, exact(factor))
    return result


def monthly_savings(saving: float, requests_per_day: float, days_per_month: float) -> Decimal:
    """savings_per_request × requests_per_day × days_per_month, exactly."""
    # (exact() written out: this runs on every evaluation; repr is exact for an int too)
    return _multiply(_multiply(Decimal(repr(saving)), Decimal(repr(requests_per_day))),
                     Decimal(repr(days_per_month)))


def break_even_months(investment: float, monthly: Decimal) -> Decimal:
    """investment / monthly savings (monthly > 0), to 100 significant digits."""
    return _CONTEXT.divide(Decimal(repr(investment)), monthly)


def annual_cost(cost_per_run: float, runs_per_year: int) -> Decimal:
    """cost × runs a year, exactly."""
    return _multiply(exact(cost_per_run), exact(runs_per_year))



def net_yearly(monthly: Decimal, annual_retraining: Decimal) -> Decimal:
    """12 × monthly savings − the yearly retraining cost, exactly (the net figures derive from
    it with one division each: a twelfth of it is the net monthly savings)."""
    return _CONTEXT.subtract(_multiply(monthly, _TWELVE), annual_retraining)


def per_month(yearly: Decimal) -> Decimal:
    """A yearly figure spread over twelve months, to 100 significant digits."""
    return _CONTEXT.divide(yearly, _TWELVE)


def value_after(years: int, net_yearly: Decimal, investment: float) -> Decimal:
    """years × the net yearly savings − investment: what the project is worth after `years`,
    exactly."""
    return _CONTEXT.subtract(_multiply(Decimal(years), net_yearly), exact(investment))


def net_break_even_months(investment: float, net_yearly: Decimal) -> Decimal:
    """investment / (net yearly / 12) = 12 × investment / net yearly (net yearly > 0)."""
    return _CONTEXT.divide(_multiply(exact(investment), _TWELVE), net_yearly)


_TWELVE = Decimal(12)  # months in a year


# ---- The same figures as exact ratios of integers ------------------------------------------
#
# The engine computes the figures above as ratios of Python integers (`Ratio`): exact, like the
# decimals, at a fraction of their cost. The double of a figure is `n / d`, which CPython rounds
# correctly (int / int, as Decimal → float does): the double nearest the exact figure, the one
# the decimal gives. Binary floating point cannot stand in for either: on random profiles it
# gives another double for 21 % of the monthly savings and 30 % of the break-evens
# (0.0023 × 12,000 × 30 = 827.9999999999999), whatever the error bound allowed for.
#
# Only numbers in a window are read so (`read`, else OutsideWindow): 0, or 1e-8 ≤ |x| < 2**53
# (runs a year: a whole number below 10,000). There each decimal operation above is exact at
# 100 digits, so `decimal(ratio)` is the very decimal the functions above give (a quotient: the
# same value rounded to 100 digits). Proof: an input has ≤ 17 significant digits, the first
# below 10**16, the last not below 10**-24. The monthly savings (three factors) has ≤ 51
# digits, the last not below 10**-72, the first below 10**50 (12 × it: ≤ 53 digits); the yearly
# cost ≤ 21 digits between 10**19 and 10**-24. Their difference spans at most the longer
# operand's digits, or from the higher first digit to the lower last: ≤ max(53, 19 + 72,
# 50 + 24) + 2 = 93 digits; 3 × it less the investment, likewise ≤ 95. Outside the window (and
# for -0.0, which the ratios would lose) the engine computes in decimal throughout.

Ratio = tuple[int, int]  # numerator, denominator (> 0): an exact rational number

_LOW, _HIGH = 1e-8, 2.0**53
_TENS = tuple(10**k for k in range(23))
_FLOAT_TENS = tuple(float(t) for t in _TENS)  # (exact: 10**22 is the last power a double holds)
_FIFTEEN_DIGITS = 10**15


class OutsideWindow(ValueError):
    """A number the figures cannot be computed from as ratios (see above): compute in
    decimal."""


def read(x: float | int) -> Ratio:
    """exact(x) as a ratio, for a number in the window; else OutsideWindow."""
    if isinstance(x, int):
        if -_HIGH < x < _HIGH:
            return x, 1
    elif x.is_integer():
        if -_HIGH < x < _HIGH and (x or math.copysign(1.0, x) > 0):  # (-0.0: outside)
            return int(x), 1
    elif _LOW <= abs(x) < _HIGH:  # (False for a NaN)
        return _fraction(x)
    raise OutsideWindow(x)


def ratio(x: float | int) -> Ratio:
    """exact(x), the decimal the finite `x` was written as, as a ratio."""
    if isinstance(x, int):
        return x, 1
    if x.is_integer() and -_HIGH < x < _HIGH:  # (below 2**53, a whole double's repr is itself)
        return int(x), 1
    return _fraction(x)


def _fraction(x: float) -> Ratio:
    """ratio(x) for a double that is not whole (or is, beyond 2**53)."""
    # A decimal of at most 15 significant digits that rounds to x is its shortest repr: two
    # such decimals never round to the same double (DBL_DIG = 15). Scaled to 15 digits, x is
    # within 0.2 of that decimal's integer (x is within 2**-53 of it, relatively; the product
    # adds half an ulp of a number below 2**50), so round() finds it, and a division tells
    # whether it rounds to x. Otherwise repr's digits, as exact() reads them.
    k = 14 - math.floor(math.log10(abs(x)))
    if 0 <= k <= 22:
        scale = _FLOAT_TENS[k]
        m = round(x * scale)
        # (m and 10**k are doubles exactly: their quotient is rounded correctly, as int / int)
        if -_FIFTEEN_DIGITS < m < _FIFTEEN_DIGITS and m / scale == x:
            return m, _TENS[k]
    text = repr(x)
    point = text.find(".")
    if point >= 0 and "e" not in text:  # ("123.456": digits 123456, 3 after the point)
        return int(text.replace(".", "")), 10 ** (len(text) - point - 1)
    return exact(x).as_integer_ratio()


def is_double(x: float, r: Ratio) -> bool:
    """Whether the double `x` is exactly the number `r`."""
    n, d = x.as_integer_ratio()
    return n * r[1] == r[0] * d


def decimal(r: Ratio) -> Decimal:
    """`r` as a decimal: exactly when it has 100 significant digits or fewer, else rounded to
    100 as the quotients above are."""
    return _CONTEXT.divide(Decimal(r[0]), Decimal(r[1]))


# The figures as ratios, each the function of the same name above (the inputs read by ratio()).

def monthly_savings_ratio(saving: Ratio, requests_per_day: Ratio, days_per_month: Ratio) -> Ratio:
    return (saving[0] * requests_per_day[0] * days_per_month[0],
            saving[1] * requests_per_day[1] * days_per_month[1])


def break_even_months_ratio(investment: Ratio, monthly: Ratio) -> Ratio:
    """(monthly > 0)"""
    return investment[0] * monthly[1], investment[1] * monthly[0]


def annual_cost_ratio(cost_per_run: Ratio, runs_per_year: int) -> Ratio:
    """(runs in the window: a whole number below 10,000 in size)"""
    if type(runs_per_year) is not int or not -10_000 < runs_per_year < 10_000:
        raise OutsideWindow(runs_per_year)
    return cost_per_run[0] * runs_per_year, cost_per_run[1]


def net_yearly_ratio(monthly: Ratio, annual_retraining: Ratio) -> Ratio:
    return (12 * monthly[0] * annual_retraining[1] - annual_retraining[0] * monthly[1],
            monthly[1] * annual_retraining[1])


def per_month_ratio(yearly: Ratio) -> Ratio:
    return yearly[0], 12 * yearly[1]


def value_after_ratio(years: int, net_yearly: Ratio, investment: Ratio) -> Ratio:
    return (years * net_yearly[0] * investment[1] - investment[0] * net_yearly[1],
            net_yearly[1] * investment[1])


def net_break_even_months_ratio(investment: Ratio, net_yearly: Ratio) -> Ratio:
    """(net yearly > 0)"""
    return 12 * investment[0] * net_yearly[1], investment[1] * net_yearly[0]
