"""Tree step 5 decides on the break-even net of retraining: investment ÷ (monthly savings − the
yearly retraining cost ÷ 12) against maximum_break_even_months; a project whose retraining eats
every saving never breaks even (FM6.never-breaks-even); a project whose data changes is asked for
the cost of a retraining. Checked over gRPC against a live `ftgate serve` and in-process, with
what follows the decision: the counterfactuals, what the missing cost leads to, both languages."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest
from boundary_cases import Boundary, with_overrides
from conftest_helpers import assess
from counterfactual_check import apply, changes_of
from ftgate.api import convert
from ftgate.assessment import to_message
from ftgate.engine import Engine
from ftgate.ruletest import profile_message
from ftgate.v1 import advisor_pb2 as pb


def _profile(frequency: str, rpd: float, saving: float, investment: float | None,
             retraining: float | None) -> dict[str, Any]:
    """The boundary tables' base project (it passes every other step) with these economics."""
    profile = with_overrides({"dataChangeFrequency": f"CHANGE_FREQUENCY_{frequency}"})
    economics: dict[str, float] = {"requestsPerDay": rpd, "savingsPerRequestUsd": saving}
    if investment is not None:
        economics["investmentUsd"] = investment
    if retraining is not None:
        economics["retrainingCostUsd"] = retraining
    profile["economics"] = economics
    return profile


class Held(NamedTuple):
    name: str
    profile: dict[str, Any]
    verdict: int
    blocking: str | None  # the rule that blocks step 5
    missing: tuple[str, ...] = ()


CASES = [
    # $0.0034 × 10,000 × 30 = $1,020/month gross (9.8 months); $11,000 a year of retraining
    # leaves $103.33/month: 96.8 months.
    Held("yearly, net break-even 96.8 months", _profile("YEARLY", 10_000, 0.0034, 10_000, 11_000),
         pb.VERDICT_DO_NOT_FINE_TUNE, "FM6.slow-break-even"),
    # $828/month against $20,000 a year ($1,666.67/month): never.
    Held("yearly, never breaks even", _profile("YEARLY", 12_000, 0.0023, 5_000, 20_000),
         pb.VERDICT_DO_NOT_FINE_TUNE, "FM6.never-breaks-even"),
    # A retraining that costs exactly the year's savings: a net of $0 never breaks even either.
    Held("yearly, net exactly zero", _profile("YEARLY", 12_000, 0.0023, 5_000, 9_936),
         pb.VERDICT_DO_NOT_FINE_TUNE, "FM6.never-breaks-even"),
    # $828 − $1,200 ÷ 12 = $728/month; $8,736 breaks even in exactly 12 months: passes.
    Held("yearly, net break-even exactly 12 months", _profile("YEARLY", 12_000, 0.0023, 8_736,
                                                              1_200),
         pb.VERDICT_FINE_TUNE, None),
    Held("yearly, net break-even a cent above 12 months",
         _profile("YEARLY", 12_000, 0.0023, 8_736.01, 1_200),
         pb.VERDICT_DO_NOT_FINE_TUNE, "FM6.slow-break-even"),
    Held("yearly, net break-even a cent below 12 months",
         _profile("YEARLY", 12_000, 0.0023, 8_735.99, 1_200), pb.VERDICT_FINE_TUNE, None),
    # $120,000/month − $400 ÷ 12: 0.25 months.
    Held("yearly, net break-even under 12 months",
         _profile("YEARLY", 200_000, 0.02, 30_000, 400), pb.VERDICT_FINE_TUNE, None),
    Held("yearly, retraining cost unknown", _profile("YEARLY", 200_000, 0.02, 30_000, None),
         pb.VERDICT_NEEDS_INFORMATION, None, ("economics.retraining_cost_usd",)),
    Held("static, retraining cost unknown", _profile("STATIC", 200_000, 0.02, 30_000, None),
         pb.VERDICT_FINE_TUNE, None),
    # The article's own example: static data, $60/month, $15,000: 250 months.
    Held("the article's break-even example", _profile("STATIC", 1_000, 0.002, 15_000, None),
         pb.VERDICT_DO_NOT_FINE_TUNE, "FM6.low-volume"),
]


def _check(case: Held, a: pb.Assessment) -> None:
    assert a.verdict == case.verdict, a
    assert tuple(a.missing_fields) == case.missing
    blocking = [f.rule_id for f in a.findings if f.severity == pb.SEVERITY_BLOCKER]
    if case.blocking is None:
        assert blocking == []
    else:
        assert blocking[0] == case.blocking
        assert a.outcome == pb.OUTCOME_PROMPT_ENGINEERING
        assert [s.step for s in a.decision_path][-1] == 5 and not a.decision_path[-1].answer


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_held_out_over_grpc(stub: Any, case: Held) -> None:
    request = pb.EvaluateRequest(project=profile_message(case.profile))
    _check(case, stub.Evaluate(request, timeout=30).assessment)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_held_out_in_process(engine: Engine, case: Held) -> None:
    _check(case, assess(engine, Boundary(case.name, case.profile).domain()))


def _assessment(engine: Engine, profile: dict[str, Any], lang: str = "en",
                explain: bool = False) -> pb.Assessment:
    domain = Boundary("", profile).domain()
    return to_message(engine.decide(domain, explain=explain, lang=lang), "")


def test_the_figures_of_the_issue(engine: Engine) -> None:
    a = _assessment(engine, CASES[0].profile)
    assert round(a.roi.break_even_months, 1) == 9.8  # gross: reported, not decided on
    assert round(a.roi.net_break_even_months, 1) == 96.8
    assert round(a.roi.net_value_one_year_usd) == -8_760
    assert round(a.roi.net_value_three_years_usd) == -6_280
    (finding,) = [f for f in a.findings if f.rule_id == "FM6.slow-break-even"]
    assert finding.message == (
        "$0.0034 × 10,000 requests/day × 30 days = $1,020/month; 1 retraining run a year × "
        "$11,000 = $11,000 a year; $1,020 − $11,000 ÷ 12 = $103/month net of retraining: $10,000 "
        "invested breaks even after 96.77 months, above the maximum of 12 months.")


def test_never_breaks_even_shows_the_arithmetic_in_both_languages(engine: Engine) -> None:
    en = _assessment(engine, CASES[1].profile)
    fr = _assessment(engine, CASES[1].profile, lang="fr")
    assert en.roi.never_breaks_even and not en.roi.HasField("net_break_even_months")
    (message,) = [f.message for f in en.findings if f.rule_id == "FM6.never-breaks-even"]
    assert message == (
        "$0.0023 × 12,000 requests/day × 30 days = $828/month; 1 retraining run a year × "
        "$20,000 = $20,000 a year; $828 − $20,000 ÷ 12 = -$839/month net of retraining: the "
        "savings never pay for the retraining, and the project never breaks even.")
    (message,) = [f.message for f in fr.findings if f.rule_id == "FM6.never-breaks-even"]
    assert message.startswith("0,0023\u00a0$ × 12\u202f000 requêtes/jour × 30 jours = "
                              "828\u00a0$ d'économie par mois\u202f; ")
    assert ("828\u00a0$ − 20\u202f000\u00a0$ ÷ 12 = -839\u00a0$ par mois, réentraînement "
            "déduit") in message
    assert message.endswith("l'investissement n'est jamais amorti.")


def test_the_counterfactuals_solve_the_net_break_even(engine: Engine) -> None:
    """Each one decided again gives FINE_TUNE; a cheaper retraining is one of them."""
    a = _assessment(engine, CASES[0].profile, explain=True)
    got = [dict(changes_of(c)) for c in a.counterfactuals]
    # $1,020 − cost ÷ 12 ≥ $10,000 ÷ 12: a retraining of at most $2,240.
    assert {"economics.retraining_cost_usd": 2_240.0} in got
    # ($10,000 ÷ 12 + $11,000 ÷ 12) ÷ ($0.0034 × 30) = 17,156.9 requests a day.
    assert {"economics.requests_per_day": 17_157.0} in got
    assert {"economics.investment_usd": 1_240.0} in got  # 12 × $103.33
    project = profile_message(CASES[0].profile)
    for c in a.counterfactuals:
        again = convert.profile_from_proto(apply(project, changes_of(c)))
        assert to_message(engine.decide(again), "").verdict == pb.VERDICT_FINE_TUNE


def test_what_the_missing_retraining_cost_leads_to(engine: Engine) -> None:
    # $0.0034 × 10,000 × 30 = $1,020/month, $10,000 invested: up to $2,240 a retraining passes
    # (exactly 12 months), above it the break-even is too slow, from $12,240 it never comes.
    a = _assessment(engine, _profile("YEARLY", 10_000, 0.0034, 10_000, None), explain=True)
    assert list(a.missing_fields) == ["economics.retraining_cost_usd"]
    (outcomes,) = a.missing_field_outcomes
    assert [(o.verdict, o.below if o.HasField("below") else None) for o in outcomes.outcomes] \
        == [(pb.VERDICT_FINE_TUNE, 2_240.01), (pb.VERDICT_DO_NOT_FINE_TUNE, None)]
    assert [c for c in a.counterfactuals
            if dict(changes_of(c)) == {"economics.retraining_cost_usd": 2_239.99}]


def test_an_unknown_frequency_does_not_ask_for_the_retraining_cost(engine: Engine) -> None:
    profile = _profile("YEARLY", 200_000, 0.02, 30_000, None)
    del profile["dataChangeFrequency"]
    a = _assessment(engine, profile)
    assert list(a.missing_fields) == ["data_change_frequency"]


def test_the_roi_words_cannot_contradict_a_fine_tune_verdict(engine: Engine) -> None:
    """50,000 requests/day at $0.02: FINE_TUNE, worth $1,050,000 after three years, yet not
    above the article's 100,000/day: the words say which criterion, not "ROI unlikely"."""
    from ftgate.cli.report import render_report

    profile = _profile("STATIC", 50_000, 0.02, 30_000, None)
    a = _assessment(engine, profile)
    assert a.verdict == pb.VERDICT_FINE_TUNE and a.roi.net_value_three_years_usd == 1_050_000
    assert a.roi.HasField("likely_positive") and not a.roi.likely_positive
    assert a.roi.positive_roi_criteria == ("meets the article's criteria for a clearly positive "
                                           "ROI: no (50,000 requests/day is not above 100,000)")
    report = render_report(a)
    assert a.roi.positive_roi_criteria in report and "unlikely" not in report
    fr = _assessment(engine, profile, lang="fr")
    assert fr.roi.positive_roi_criteria == (
        "critères de l'article pour un ROI clairement positif non réunis (50\u202f000 "
        "requêtes/jour, pas au-delà de 100\u202f000)")
    assert "probablement" not in render_report(fr, "fr")
    yes = _assessment(engine, _profile("STATIC", 200_000, 0.02, 30_000, None))
    assert yes.roi.positive_roi_criteria.endswith(
        ": yes (more than 100,000 requests/day, more than $0.01 saved per request, "
        "no frequent retraining)")
