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
"""

from __future__ import annotations

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
