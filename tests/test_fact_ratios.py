"""The fact's figures computed as ratios of integers (the fast path of engine/facts.py) are the
figures computed in decimal: the same doubles, texts, `Fact.exact` entries, and the same doubles
sent to the rule core, whose decimals are read only where a double is a number it is compared
with (engine/ordering.py). On random profiles, on profiles on and one double either side of
every threshold (tests/boundary_cases.py), of rules a policy owner may add on every derived
figure and between two figures, and on numbers outside the ratios' window."""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction

import pytest
from boundary_cases import DERIVED, Boundary, boundary_cases, with_overrides
from ftgate.domain import money
from ftgate.domain.profile import Economics, Profile
from ftgate.engine import Engine
from ftgate.engine.engine import default_rules_dir
from ftgate.engine.facts import Fact, build_fact
from ftgate.engine.ordering import Group, ordered_numbers, ordering_doubles
from ftgate.errors import InvalidInput
from ftgate.randomprofiles import valid_profiles
from hypothesis import given, settings
from hypothesis import strategies as st

# Rules on every derived figure the boundary table can reach, and one between two figures.
_EXTRA_RULES = """
  - id: TEST.monthly-savings
    failure_mode: NEGATIVE_ROI
    severity: WARNING
    step: 5
    title: { en: t, fr: t }
    when: { fact: monthly_savings_usd, gte: 828 }
    message: { en: m, fr: m }
    evidence: [monthly_savings_usd]
    recommendation: { en: r, fr: r }
    citation: c
  - id: TEST.break-even
    failure_mode: NEGATIVE_ROI
    severity: WARNING
    step: 5
    title: { en: t, fr: t }
    when: { fact: break_even_months, gt: { threshold: maximum_break_even_months } }
    message: { en: m, fr: m }
    evidence: [break_even_months]
    recommendation: { en: r, fr: r }
    citation: c
  - id: TEST.annual-retraining
    failure_mode: CHANGING_DATA
    severity: WARNING
    step: 4
    title: { en: t, fr: t }
    when: { fact: annual_retraining_cost_usd, lte: 4800.6 }
    message: { en: m, fr: m }
    evidence: [annual_retraining_cost_usd]
    recommendation: { en: r, fr: r }
    citation: c
  - id: TEST.retraining-eats-savings
    failure_mode: NEGATIVE_ROI
    severity: WARNING
    step: 5
    title: { en: t, fr: t }
    when: { fact: monthly_savings_usd, lt: { fact: annual_retraining_cost_usd } }
    message: { en: m, fr: m }
    evidence: [monthly_savings_usd, annual_retraining_cost_usd]
    recommendation: { en: r, fr: r }
    citation: c
"""


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> list[Engine]:
    rules = tmp_path_factory.mktemp("fact-ratios") / "rules"
    shutil.copytree(default_rules_dir(), rules, ignore=shutil.ignore_patterns("tests"))
    with (rules / "failure_modes.yaml").open("a", encoding="utf-8") as f:
        f.write(_EXTRA_RULES)
    return [Engine(), Engine(rules)]


def _reference(fact: Fact, exact: dict[str, Decimal], groups: dict[str, Group]) -> dict[str, float]:
    """ordered_numbers as it reads every decimal: ordering_doubles on each group with a figure
    of `exact`, its other numbers pinned (the doubles a decimal-only path sends)."""
    out: dict[str, float] = {}
    for group in {id(groups[n]): groups[n] for n in exact if n in groups}.values():
        free = {n: exact[n] for n in group.names if n in exact}
        others = [v for n in group.names if n not in exact
                  and isinstance(v := fact.get(n), int | float) and not isinstance(v, bool)]
        got = ordering_doubles(free, [x for _, x in group.points] + others)
        out.update({n: x for n, x in got.items() if x != fact[n]})
    return out


def _check(engines: list[Engine], profile: Profile) -> int:
    """Assert the two paths agree on `profile`; the number of figures whose double the
    ordering had to move (where reading the decimal mattered)."""
    moved = 0
    t = engines[0].ruleset.thresholds
    for lang, texts in (("en", True), ("fr", True), ("en", False)):
        fast = build_fact(profile, t, lang, texts)
        slow = build_fact(profile, t, lang, texts, in_decimal=True)
        assert list(fast.items()) == list(slow.items()), profile
        assert [type(v) for v in fast.values()] == [type(v) for v in slow.values()]
        assert [math.copysign(1, v) for v in fast.values() if type(v) is float] == \
            [math.copysign(1, v) for v in slow.values() if type(v) is float]
        assert list(fast.exact) == list(slow.exact), profile
        for engine in engines:
            groups = engine.policy.host._groups
            want = _reference(slow, dict(slow.exact), groups)
            assert ordered_numbers(fast, fast.exact, groups) == want, profile
            moved += len(want)
            assert engine.policy.host.fire(fast) == engine.policy.host.fire(slow)
        assert {n: fast.exact[n] for n in fast.exact} == dict(slow.exact), profile
    return moved


def test_random_profiles(engines: list[Engine]) -> None:
    checked = 0
    for profile in valid_profiles(3000, seed=97):
        _check(engines, profile)
        checked += 1
    assert checked > 2000


def test_every_boundary_of_every_derived_figure(engines: list[Engine]) -> None:
    """On, and one double either side of, each threshold: some figures' doubles sit on the
    number their decimal is beside, which only the decimal orders."""
    cases = [c for engine in engines for c in boundary_cases(engine.ruleset)]
    assert {c.fact for c in cases} >= set(DERIVED)
    moved = checked = 0
    for case in cases:
        try:
            profile = case.domain()
        except InvalidInput:  # (a figure on 0 wants a saving a double below it)
            continue
        moved += _check(engines, profile)
        checked += 1
    assert checked > 0.8 * len(cases)
    assert moved > 50  # (these cases are why the decimals are kept)


def _linked() -> Iterator[Boundary]:
    """Monthly savings a hair either side of $828 (tests/boundary_cases.py) against a yearly
    retraining cost of $828 (69 a month, or one double either side of it)."""
    for label, overrides in DERIVED["monthly_savings_usd"](828):
        for cost in (math.nextafter(69.0, -math.inf), 69.0, math.nextafter(69.0, math.inf)):
            yield Boundary(f"{label}, ${cost!r} a run", with_overrides({
                **overrides, "dataChangeFrequency": "CHANGE_FREQUENCY_MONTHLY",
                "economics.retrainingCostUsd": cost}))


def test_figures_compared_with_one_another(engines: list[Engine]) -> None:
    group = engines[1].policy.host._groups["monthly_savings_usd"]
    assert "annual_retraining_cost_usd" in group.names
    moved = sum(_check(engines, case.domain()) for case in _linked())
    assert moved > 10


@pytest.mark.parametrize("economics", [
    Economics(requests_per_day=12000.0, savings_per_request_usd=1e-9, investment_usd=9936.0),
    Economics(requests_per_day=1e-300, savings_per_request_usd=0.0023, investment_usd=1e-320,
              retraining_cost_usd=5e-324),
    Economics(requests_per_day=1e16, savings_per_request_usd=0.0023, investment_usd=3e20,
              retraining_cost_usd=1e20),
    Economics(requests_per_day=12000.0, savings_per_request_usd=-0.0, investment_usd=-0.0,
              retraining_cost_usd=-0.0),
    Economics(requests_per_day=9007199254740991.0, savings_per_request_usd=0.1,
              investment_usd=0.30000000000000004, retraining_cost_usd=1e-8),
    Economics(requests_per_day=1234567.8901234567, savings_per_request_usd=0.012345678901234567,
              investment_usd=99999.99999999999, retraining_cost_usd=1500.0000000000002),
], ids=["tiny-saving", "subnormal", "huge", "negative-zero", "window-edges", "17-digits"])
@pytest.mark.parametrize("frequency", ["STATIC", "MONTHLY", "DAILY"])
def test_numbers_in_and_outside_the_window(engines: list[Engine], economics: Economics,
                                           frequency: str) -> None:
    _check(engines, Profile(data_change_frequency=frequency, economics=economics))


@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                 st.floats(min_value=1e-8, max_value=2.0**53),
                 st.decimals(min_value=0, max_value=10**6, places=6).map(float),
                 st.integers(-2**60, 2**60)))
def test_a_number_is_read_as_the_decimal_it_was_written_as(x: float | int) -> None:
    assert Fraction(*money.ratio(x)) == Fraction(money.exact(x))
    try:
        read = money.read(x)
    except money.OutsideWindow:
        assert not ((x == 0 and math.copysign(1, x) > 0) or 1e-8 <= abs(x) < 2.0**53)
    else:
        assert read == money.ratio(x)
