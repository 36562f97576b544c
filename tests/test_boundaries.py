"""Exact arithmetic at every threshold: money and volumes are the decimals they were written as,
derived figures are computed in decimal, and each comparison the rules state is the one made.

The boundary table is generated from the shipped rules (tests/boundary_cases.py) and checked,
in-process and over gRPC, against an exact re-computation (tests/exact_reference.py).
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from boundary_cases import BASE, Boundary, boundary_cases, with_overrides
from conftest_helpers import assess
from exact_reference import Expected, exact_fact, expected, net_figures, q
from ftgate import enums
from ftgate.engine import Engine
from ftgate.engine.engine import default_rules_dir
from ftgate.engine.facts import build_fact
from ftgate.ruleset import RuleSet, load_ruleset
from ftgate.ruletest import profile_message
from ftgate.v1 import advisor_pb2 as pb
from hypothesis import given, settings
from hypothesis import strategies as st

RULESET = load_ruleset(default_rules_dir())
CASES = boundary_cases(RULESET)
FIGURES = ("monthly_savings_usd", "break_even_months", "annual_retraining_cost_usd")
_ENGINE = Engine()  # (hypothesis runs a test many times: no function-scoped fixture)


class Observed(NamedTuple):
    fired: frozenset[str]
    verdict: str
    likely_positive: bool | None
    figures: dict[str, float]
    path: tuple[bool, ...]


def observed(a: pb.Assessment) -> Observed:
    """What the table checks of an answer: the rules that fired (findings and alternatives'
    condition rules), the verdict, likely_positive, the figures reported, the tree's answers."""
    fired = {f.rule_id for f in a.findings} | {r for alt in a.alternatives for r in alt.rule_ids}
    likely = a.roi.likely_positive if a.roi.HasField("likely_positive") else None
    figures = {n: getattr(a.roi, n) for n in FIGURES if a.roi.HasField(n)}
    return Observed(frozenset(fired), enums.VERDICT.short(a.verdict), likely, figures,
                    tuple(s.answer for s in a.decision_path))


def in_process(engine: Engine, case: Boundary) -> Observed:
    return observed(assess(engine, case.domain()))


def over_grpc(stub: Any, case: Boundary) -> Observed:
    request = pb.EvaluateRequest(project=profile_message(case.profile))
    return observed(stub.Evaluate(request, timeout=30).assessment)


def assert_exact(got: Observed, want: Expected) -> None:
    assert sorted(got.fired) == sorted(want.fired)
    assert got.verdict == want.verdict
    assert got.likely_positive == want.likely_positive
    # Reported as doubles: each the double nearest the exact figure.
    assert got.figures == {n: float(v) for n, v in want.figures.items()}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_boundary_in_process(engine: Engine, case: Boundary) -> None:
    assert_exact(in_process(engine, case), expected(RULESET, case.domain()))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_boundary_over_grpc(stub: Any, case: Boundary) -> None:
    assert_exact(over_grpc(stub, case), expected(RULESET, case.domain()))


def _lands_on_and_beside(ruleset: RuleSet, cases: list[Boundary]) -> None:
    """Each (fact, constant) of the table has a case exactly on it and cases either side."""
    sides: dict[tuple[str, Any], set[int]] = {}
    for case in cases:
        value = exact_fact(case.domain(), ruleset.thresholds)[case.fact]
        sides.setdefault((case.fact, case.target), set()).add(
            (value > q(case.target)) - (value < q(case.target)))
    assert sides and {k: v for k, v in sides.items() if v != {-1, 0, 1}} == {}


def _thresholds_named(cond: dict[str, Any]) -> set[str]:
    if "all" in cond or "any" in cond:
        return {n for c in cond.get("all", cond.get("any", [])) for n in _thresholds_named(c)}
    return {v["threshold"] for k, v in cond.items() if isinstance(v, dict) and "threshold" in v}


def test_the_table_lands_on_every_threshold_and_either_side() -> None:
    _lands_on_and_beside(RULESET, CASES)
    named = {n for r in RULESET.rules for n in _thresholds_named(r.when)}
    assert "maximum_break_even_months" in named
    targets = {c.target for c in CASES}
    assert {n for n in named if RULESET.thresholds[n] not in targets} == set()


def test_the_issue_example_breaks_even_in_exactly_12_months(engine: Engine, stub: Any) -> None:
    """$0.0023 saved per request × 12,000 requests a day × 30 days = $828 a month; $9,936
    breaks even in exactly 12 months, which passes step 5 (at most 12)."""
    case = Boundary("issue", with_overrides({"economics.savingsPerRequestUsd": 0.0023,
                                             "economics.requestsPerDay": 12000.0,
                                             "economics.investmentUsd": 9936.0}))
    for got in (in_process(engine, case), over_grpc(stub, case)):
        assert "FM6.slow-break-even" not in got.fired
        assert got.path[4] is True  # step 5 passes
        assert got.verdict == "FINE_TUNE"
        assert got.figures["monthly_savings_usd"] == 828.0
        assert got.figures["break_even_months"] == 12.0


def test_the_net_break_even_decides_step_5(engine: Engine, stub: Any) -> None:
    """Yearly data, $0.0034 × 10,000 × 30 = $1,020 a month gross (9.8 months to break even), but
    $11,000 a retraining leaves $103.33 a month: 96.8 months, blocked at step 5."""
    case = Boundary("net", with_overrides({
        "dataChangeFrequency": "CHANGE_FREQUENCY_YEARLY",
        "economics.savingsPerRequestUsd": 0.0034, "economics.requestsPerDay": 10000.0,
        "economics.investmentUsd": 10000.0, "economics.retrainingCostUsd": 11000.0}))
    for got in (in_process(engine, case), over_grpc(stub, case)):
        assert "FM6.slow-break-even" in got.fired
        assert got.path[4] is False
        assert got.verdict == "DO_NOT_FINE_TUNE"
        assert round(got.figures["break_even_months"], 1) == 9.8


# ---- a property over round figures ---------------------------------------------------------

def _decimal(units: int, places: int) -> float:
    return float(Decimal(units).scaleb(-places))


_savings = st.builds(_decimal, st.integers(1, 5000), st.sampled_from([2, 3, 4]))
_volumes = st.one_of(st.integers(1, 3000).map(lambda k: k * 100.0),
                     st.integers(1, 10**6).map(float))
_cents = st.integers(0, 10**9).map(lambda c: _decimal(c, 2))


@st.composite
def _round_profiles(draw: st.DrawFn) -> dict[str, Any]:
    saving, rpd = draw(_savings), draw(_volumes)
    maximum = RULESET.thresholds["maximum_break_even_months"]
    frequency = draw(st.sampled_from(["STATIC", "YEARLY", "QUARTERLY", "MONTHLY"]))
    runs = RULESET.thresholds["retraining_runs_per_year"][frequency]
    monthly = Decimal(repr(saving)) * Decimal(repr(rpd)) * 30
    cost = draw(st.one_of(_cents, st.integers(0, 100).map(  # a share of the savings, or any
        lambda pct: float((monthly * pct / 100).quantize(Decimal("0.01"))))))
    # On the maximum break-even, gross or net of retraining (to the cent), beside it, anywhere.
    near = draw(st.sampled_from([monthly * maximum,
                                 (monthly - Decimal(repr(cost)) * runs / 12) * maximum]))
    investment = draw(st.one_of(
        st.integers(-2, 2).map(lambda c: float(near.quantize(Decimal("0.01"))
                                               + Decimal(c).scaleb(-2))),
        _cents))
    return with_overrides({
        "economics.savingsPerRequestUsd": saving, "economics.requestsPerDay": rpd,
        "economics.investmentUsd": max(investment, 0.0),
        "economics.retrainingCostUsd": cost,
        "dataChangeFrequency": f"CHANGE_FREQUENCY_{frequency}"})


@settings(max_examples=300, deadline=None)
@given(_round_profiles())
def test_round_figures_are_computed_and_compared_in_decimal(profile: dict[str, Any]) -> None:
    case = Boundary("property", profile)
    domain = case.domain()
    want = expected(RULESET, domain)
    fact = build_fact(domain, RULESET.thresholds)
    for name, value in want.figures.items():
        assert fact[name] == float(value), name
        if name in fact.exact and name != "break_even_months":  # (a quotient is rounded)
            assert Fraction(fact.exact[name]) == value, name
        if name in fact.exact:
            assert (fact.exact[name] > 12) == (value > 12), name
    net = net_figures(domain, RULESET.thresholds)
    assert ("net_break_even_months" in fact) == ("net_break_even_months" in net)
    if "net_break_even_months" in net:
        figure = fact.exact.get("net_break_even_months", fact["net_break_even_months"])
        assert (Fraction(figure) > 12) == (net["net_break_even_months"] > 12)
    assert_exact(in_process(_ENGINE, case), want)


# ---- thresholds a policy owner may add -----------------------------------------------------

_EXTRA_RULES = """
  - id: TEST.monthly-savings-literal
    failure_mode: NEGATIVE_ROI
    severity: WARNING
    step: 5
    title: { en: Monthly savings at a literal, fr: Monthly savings at a literal }
    when: { fact: monthly_savings_usd, gte: 828.69 }
    message: { en: m, fr: m }
    evidence: [monthly_savings_usd]
    recommendation: { en: r, fr: r }
    citation: c
  - id: TEST.annual-retraining
    failure_mode: CHANGING_DATA
    severity: WARNING
    step: 4
    title: { en: Yearly retraining above a threshold, fr: Yearly retraining above a threshold }
    when: { fact: annual_retraining_cost_usd, gt: { threshold: degradation_tolerance } }
    message: { en: m, fr: m }
    evidence: [annual_retraining_cost_usd]
    recommendation: { en: r, fr: r }
    citation: c
  - id: TEST.annual-retraining-literal
    failure_mode: CHANGING_DATA
    severity: WARNING
    step: 4
    title: { en: Yearly retraining at a literal, fr: Yearly retraining at a literal }
    when: { fact: annual_retraining_cost_usd, lte: 4800.6 }
    message: { en: m, fr: m }
    evidence: [annual_retraining_cost_usd]
    recommendation: { en: r, fr: r }
    citation: c
"""


def test_thresholds_on_every_derived_figure(tmp_path: Path) -> None:
    """Rules on the other derived figures (literals and thresholds) are exact too."""
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules, ignore=shutil.ignore_patterns("tests"))
    with (rules / "failure_modes.yaml").open("a", encoding="utf-8") as f:
        f.write(_EXTRA_RULES)
    engine = Engine(rules)
    cases = [c for c in boundary_cases(engine.ruleset) if c.name.startswith("TEST.")]
    assert {c.fact for c in cases} == {"monthly_savings_usd", "annual_retraining_cost_usd"}
    _lands_on_and_beside(engine.ruleset, cases)
    for case in cases:
        assert_exact(in_process(engine, case), expected(engine.ruleset, case.domain()))


def test_base_profile_passes_every_step(engine: Engine) -> None:
    got = in_process(engine, Boundary("base", BASE))
    assert got.verdict == "FINE_TUNE" and got.fired == frozenset()
