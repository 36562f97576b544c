"""Decimal figures (ftgate.domain.money) and the doubles that carry them to the rule core
(ftgate.engine.ordering, durable_host)."""

from __future__ import annotations

import itertools
import math
from decimal import Decimal

from ftgate.domain import money
from ftgate.engine.durable_host import RuleHost, compile_condition
from ftgate.engine.facts import Fact
from ftgate.engine.ordering import comparison_groups, ordering_doubles
from hypothesis import assume, given, settings
from hypothesis import strategies as st

UP, DOWN = math.inf, -math.inf


def test_inputs_are_read_as_written_and_figures_computed_exactly() -> None:
    assert money.exact(0.0023) == Decimal("0.0023") and money.exact(12000) == 12000
    monthly = money.monthly_savings(0.0023, 12000.0, 30)
    assert monthly == 828 and money.break_even_months(9936.0, monthly) == 12
    assert money.annual_cost(400.05, 12) == Decimal("4800.60")
    assert 0.0023 * 12000.0 * 30 != 828  # what binary arithmetic gives instead


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False),
       st.floats(allow_nan=False, allow_infinity=False))
def test_doubles_compare_as_the_decimals_they_print(a: float, b: float) -> None:
    """Why an input compared with a threshold needs no decimal: repr keeps the order."""
    assert (a < b) == (money.exact(a) < money.exact(b))
    assert (a == b) == (money.exact(a) == money.exact(b))


def test_a_figure_on_a_number_is_sent_as_that_number() -> None:
    assert ordering_doubles({"x": Decimal("12.000")}, [12]) == {"x": 12.0}


def test_a_figure_a_hair_off_a_number_stays_on_its_side() -> None:
    above, below = Decimal("12.00000000000000000001"), Decimal("11.99999999999999999999")
    assert float(above) == float(below) == 12.0
    assert ordering_doubles({"x": above}, [12, 0.5]) == {"x": math.nextafter(12, UP)}
    assert ordering_doubles({"x": below}, [12]) == {"x": math.nextafter(12, DOWN)}
    assert ordering_doubles({"x": above}, []) == {"x": 12.0}  # nothing to compare with


def test_figures_keep_their_order_among_themselves() -> None:
    a, b = Decimal("828.00000000000000001"), Decimal("828.00000000000000002")
    got = ordering_doubles({"a": a, "b": b, "c": b}, [828])
    assert 828 < got["a"] < got["b"] == got["c"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.decimals(allow_nan=False, allow_infinity=False, places=25,
                            min_value=-10**6, max_value=10**6), min_size=1, max_size=4),
       st.lists(st.floats(min_value=-10**6, max_value=10**6), max_size=4))
def test_ordering_doubles_order_as_the_decimals(free: list[Decimal], pinned: list[float]) -> None:
    ordered = sorted(set(pinned))
    # (between two adjacent doubles no double is left for a decimal strictly between them)
    assume(all(math.nextafter(a, UP) != b for a, b in itertools.pairwise(ordered)))
    names = {f"x{i}": d for i, d in enumerate(free)}
    got = ordering_doubles(names, pinned)
    points = [(money.exact(p), p) for p in pinned]
    for name, d in names.items():
        for exact, double in [*points, *((names[n], got[n]) for n in names)]:
            assert (d > exact) - (d < exact) == (got[name] > double) - (got[name] < double)


def test_comparison_groups_follow_fact_to_fact_links() -> None:
    conds = [compile_condition({"fact": "break_even_months", "gt": 12}, {}),
             compile_condition({"fact": "monthly_savings_usd",
                                "lt": {"fact": "annual_retraining_cost_usd"}}, {}),
             compile_condition({"fact": "annual_retraining_cost_usd", "gte": 100}, {}),
             compile_condition({"fact": "goal", "eq": "KNOWLEDGE"}, {})]
    groups = comparison_groups(conds)
    assert groups["break_even_months"].names == ("break_even_months",)
    assert groups["break_even_months"].points == ((Decimal(12), 12.0),)
    assert groups["monthly_savings_usd"] is groups["annual_retraining_cost_usd"]
    assert groups["monthly_savings_usd"].names == (
        "annual_retraining_cost_usd", "monthly_savings_usd")
    assert groups["monthly_savings_usd"].points == ((Decimal(100), 100.0),)
    assert "goal" not in groups


def _fact(values: dict[str, float], exact: dict[str, Decimal]) -> Fact:
    fact = Fact(values)
    fact.exact = exact
    return fact


def test_the_host_compares_figures_as_their_decimals() -> None:
    keys = {"break_even_months": "f0", "monthly_savings_usd": "f1",
            "annual_retraining_cost_usd": "f2"}  # short keys, as the engine compiles them
    host = RuleHost([
        ("slow", compile_condition({"fact": "break_even_months", "gt": 12}, {}, keys)),
        ("on", compile_condition({"fact": "break_even_months", "eq": 12}, {}, keys)),
        ("short", compile_condition({"fact": "monthly_savings_usd",
                                     "lt": {"fact": "annual_retraining_cost_usd"}}, {}, keys)),
    ], keys)
    above = Decimal("12.0000000000000000001")
    assert host.fire({"break_even_months": 12.0}) == ["on"]  # a plain dict: as it is
    assert host.fire(_fact({"break_even_months": 12.0}, {})) == ["on"]
    assert host.fire(_fact({"break_even_months": 12.0}, {"break_even_months": above})) == ["slow"]
    # Two figures whose doubles are equal, whose decimals are not.
    small, large = Decimal("828.00000000000000001"), Decimal("828.00000000000000002")
    assert host.fire(_fact({"monthly_savings_usd": 828.0, "annual_retraining_cost_usd": 828.0},
                           {"monthly_savings_usd": small,
                            "annual_retraining_cost_usd": large})) == ["short"]
    assert host.fire(_fact({"monthly_savings_usd": 828.0, "annual_retraining_cost_usd": 828.0},
                           {"monthly_savings_usd": large})) == []


def test_a_constant_json_writes_with_an_exponent_reaches_the_core() -> None:
    """A threshold of 0.00001 (json: 1e-05, which the core refuses) is written positionally."""
    host = RuleHost([("tiny", compile_condition({"fact": "savings_per_request_usd",
                                                  "lte": {"threshold": "t"}}, {"t": 0.00001}))],
                    {"savings_per_request_usd"})
    assert host.fire({"savings_per_request_usd": 0.00001}) == ["tiny"]
    assert host.fire({"savings_per_request_usd": math.nextafter(0.00001, UP)}) == []
