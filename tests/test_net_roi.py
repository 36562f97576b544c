"""ROI net of retraining: the yearly retraining cost spread over twelve months comes off the
monthly savings; the break-even and the value after one and three years on that net figure; a
project whose retraining eats every saving never breaks even (a field, not an infinity)."""

from __future__ import annotations

import pytest
from conftest_helpers import assess
from ftgate.domain.profile import Economics, Profile
from ftgate.engine import Engine
from ftgate.engine.facts import build_fact

# (frequency, $/request, requests/day, investment, $/retraining) →
# (net monthly, net break-even or None, value after 1 year, after 3 years, never breaks even)
TABLE = [
    # The example: monthly data, $1,500 a retraining: $18,000 a year, 62.5 % of the
    # $28,800 saved. Gross: breaks even in 10.4 months; net: $900/month, 27.8 months.
    ("MONTHLY", 0.008, 10_000, 25_000, 1_500, (900, 25_000 / 900, -14_200, 7_400, False)),
    # Retraining costs more than the savings: never breaks even.
    ("MONTHLY", 0.008, 10_000, 25_000, 2_500, (-100, None, -26_200, -28_600, True)),
    # Exactly the savings: a net of zero never breaks even either.
    ("MONTHLY", 0.008, 10_000, 25_000, 2_400, (0, None, -25_000, -25_000, True)),
    ("WEEKLY", 0.01, 100_000, 15_000, 500, (30_000 - 26_000 / 12, 15_000 / (30_000 - 26_000 / 12),
                                            12 * 30_000 - 26_000 - 15_000,
                                            36 * 30_000 - 78_000 - 15_000, False)),
    ("YEARLY", 0.0023, 12_000, 9_936, 1_200, (728, 9_936 / 728, 12 * 728 - 9_936,
                                              36 * 728 - 9_936, False)),
    # Static data: no retraining, the net is the gross (the article's own figures).
    ("STATIC", 0.002, 1_000, 15_000, None, (60, 250, 720 - 15_000, 2_160 - 15_000, False)),
]


def _profile(freq: str, saving: float, rpd: float, investment: float,
             retraining: float | None) -> Profile:
    return Profile(data_change_frequency=freq, economics=Economics(
        requests_per_day=rpd, savings_per_request_usd=saving, investment_usd=investment,
        retraining_cost_usd=retraining))


@pytest.mark.parametrize(("freq", "saving", "rpd", "investment", "retraining", "want"), TABLE)
def test_net_roi(engine: Engine, freq: str, saving: float, rpd: float, investment: float,
                 retraining: float | None, want: tuple) -> None:  # type: ignore[type-arg]
    roi = assess(engine, _profile(freq, saving, rpd, investment, retraining)).roi
    net, months, one_year, three_years, never = want
    assert roi.net_monthly_savings_usd == pytest.approx(net, abs=1e-9)
    if months is None:
        assert not roi.HasField("net_break_even_months")
    else:
        assert roi.net_break_even_months == pytest.approx(months, rel=1e-12)
    assert roi.net_value_one_year_usd == pytest.approx(one_year, abs=1e-6)
    assert roi.net_value_three_years_usd == pytest.approx(three_years, abs=1e-6)
    assert roi.HasField("never_breaks_even") and roi.never_breaks_even is never


def test_gross_figures_are_kept(engine: Engine) -> None:
    roi = assess(engine, _profile("MONTHLY", 0.008, 10_000, 25_000, 1_500)).roi
    assert roi.monthly_savings_usd == 2_400
    assert round(roi.break_even_months, 1) == 10.4
    assert roi.annual_retraining_cost_usd == 18_000


def test_net_figures_are_exact_decimals(engine: Engine) -> None:
    # $0.0023 × 12,000 × 30 = $828 exactly; $1,200 a year is $100 a month: $728 net.
    roi = assess(engine, _profile("YEARLY", 0.0023, 12_000, 9_936, 1_200)).roi
    assert roi.net_monthly_savings_usd == 728.0


@pytest.mark.parametrize("profile", [
    _profile("MONTHLY", 0.008, 10_000, 25_000, None),  # retraining cost unknown
    _profile("UNPREDICTABLE", 0.008, 10_000, 25_000, 1_500),  # runs a year unknown
    Profile(data_change_frequency="MONTHLY",
            economics=Economics(retraining_cost_usd=1_500, investment_usd=25_000)),
])
def test_no_net_figure_without_its_inputs(engine: Engine, profile: Profile) -> None:
    roi = assess(engine, profile).roi
    for name in ("net_monthly_savings_usd", "net_break_even_months", "net_value_one_year_usd",
                 "net_value_three_years_usd", "never_breaks_even"):
        assert not roi.HasField(name), name


def test_the_texts_say_which_figure(engine: Engine) -> None:
    fact = build_fact(_profile("YEARLY", 0.0023, 12_000, 9_936, 1_200), engine.ruleset.thresholds)
    assert fact["roi_text"] == ("$0.0023 × 12,000 requests/day × 30 days = $828/month; "
                                "$9,936 invested breaks even after 12 months; "
                                "net of $1,200 a year of retraining, $728/month, "
                                "breaking even after 13.65 months")
    never = build_fact(_profile("MONTHLY", 0.008, 10_000, 25_000, 2_500),
                       engine.ruleset.thresholds)
    assert never["roi_text"].endswith("net of $30,000 a year of retraining, "
                                      "$100/month short: it never breaks even")
    static = build_fact(_profile("STATIC", 0.002, 1_000, 15_000, None), engine.ruleset.thresholds)
    assert "net" not in static["roi_text"]  # no retraining: the article's figures as they are
