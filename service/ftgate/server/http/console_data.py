"""What the web console shows beyond the Assessment, computed and written by the server: the
page's words and the labels of enum values in the caller's language (`GET /console/words.json`),
and the ROI chart and table of a profile (`POST /console/roi.json`, the body of
`/v1/evaluate`): the curve of the break-even net of retraining against the volume, the
maximum the rules allow, the first volume that passes (the engine's counterfactual), every
figure rounded and written by ftgate.present. The console draws; it computes nothing."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from ftgate.api.convert import profile_from_proto
from ftgate.domain import money
from ftgate.domain.decision import Decision, Roi
from ftgate.domain.profile import Profile
from ftgate.engine import Engine
from ftgate.engine.phrases import field_names
from ftgate.present import labels
from ftgate.present.console_words import FIELD_HELP, WORDS
from ftgate.present.numbers import Numbers, numbers
from ftgate.present.typography import in_language

_POINTS = 80  # of the curve
_CHART = {
    "en": {"title": "Break-even net of retraining against requests per day; at {r} requests/day: "
                    "{m}", "x": "requests per day (log scale)",
           "y": "months to break even, net", "limit": "{m}: break-even from {r} "
           "requests/day", "limit_alone": "{m}", "you": "you: {r} requests/day, {m}",
           "never": "never breaks even", "off": " (off the chart)"},
    "fr": {"title": "Amortissement, réentraînement déduit, selon le nombre de requêtes par "
                    "jour ; à {r} requêtes/jour : {m}", "x": "requêtes par jour (échelle log)",
           "y": "mois pour amortir, net", "limit": "{m} : amorti dès {r} "
           "requêtes/jour", "limit_alone": "{m}", "you": "vous : {r} requêtes/jour, {m}",
           "never": "jamais amorti", "off": " (hors du graphique)"},
}
_ROWS = {
    "en": {"monthly": "Monthly savings", "gross": "Break-even on the gross savings",
           "runs": "Retraining runs per year", "annual": "Yearly retraining cost",
           "net": "Monthly savings net of retraining", "net_break_even": "Break-even net of "
           "retraining", "criteria": "The article's criteria for a clearly positive ROI (not "
           "the verdict)", "never": "never"},
    "fr": {"monthly": "Économie mensuelle", "gross": "Amortissement sur l'économie brute",
           "runs": "Réentraînements par an", "annual": "Coût annuel du réentraînement",
           "net": "Économie mensuelle, réentraînement déduit",
           "net_break_even": "Amortissement, réentraînement déduit",
           "criteria": "Critères de l'article pour un ROI clairement positif (ce n'est pas le "
           "verdict)", "never": "jamais"},
}


def words(lang: str, decision_links: bool) -> dict[str, Any]:
    """The console's words in `lang`: the page's, every enum value's label by proto name, every
    input's name by path; `decisionLinks`: whether decisions are recorded (the audit log is on),
    so that a decision has a page."""
    enum_labels = {e.full(short): text for name, e in labels.ENUMS.items()
                   for short, text in labels.table(lang)[name].items()}
    return {"lang": lang, "words": {k: in_language(v, lang) for k, v in WORDS[lang].items()},
            "labels": enum_labels, "fields": field_names(lang),
            "help": {k: in_language(v, lang) for k, v in FIELD_HELP.get(lang, {}).items()},
            "decisionLinks": decision_links}


def roi(engine: Engine, project: Any, lang: str) -> dict[str, Any]:
    """The ROI table and chart of a profile (a ProjectProfile already read)."""
    profile = profile_from_proto(project)
    decision = engine.decide(profile, explain=True, lang=lang)
    n = numbers(lang)
    plan = decision.plan
    return {"rows": _rows(decision.roi, n, _ROWS[lang]),
            "chart": _chart(engine, profile, decision, n, lang),
            "plan": None if plan is None else {
                "tolerance": n.number(plan.degradation_tolerance),
                "costs": [[c.item, n.money(c.low_usd), n.money(c.high_usd)]
                          for c in plan.year_one_costs],
                "total": [n.money(plan.year_one_cost_low_usd),
                          n.money(plan.year_one_cost_high_usd)]}}


def _rows(r: Roi, n: Numbers, w: dict[str, str]) -> list[list[str]]:
    rows: list[tuple[str, str | None]] = [
        (w["monthly"], None if r.monthly_savings_usd is None else n.money(r.monthly_savings_usd)),
        (w["gross"], None if r.break_even_months is None else n.months(r.break_even_months)),
        (w["runs"], None if r.retraining_runs_per_year is None
         else n.number(r.retraining_runs_per_year)),
        (w["annual"], None if r.annual_retraining_cost_usd is None
         else n.money(r.annual_retraining_cost_usd)),
        (w["net"], None if r.net_monthly_savings_usd is None
         else n.money(r.net_monthly_savings_usd)),
        (w["net_break_even"], w["never"] if r.never_breaks_even else (
            None if r.net_break_even_months is None else n.months(r.net_break_even_months))),
        (w["criteria"], r.positive_roi_criteria or None)]
    return [[in_language(k, n.lang), v] for k, v in rows if v is not None]


def _first_passing(decision: Decision) -> float | None:
    """The volume the engine found that passes, the other inputs as they are (a counterfactual
    that changes the requests per day alone)."""
    for c in decision.explanations.counterfactuals:
        if len(c.changes) == 1 and c.changes[0].field == "economics.requests_per_day":
            return float(c.changes[0].to_value)  # type: ignore[arg-type]
    return None


def _chart(engine: Engine, p: Profile, decision: Decision, n: Numbers,
           lang: str) -> dict[str, Any] | None:
    e, t = p.economics, engine.ruleset.thresholds
    r0, saving, invest = e.requests_per_day, e.savings_per_request_usd, e.investment_usd
    if not (r0 and saving and invest is not None and r0 > 0 and saving > 0):
        return None
    annual = Decimal(repr(decision.roi.annual_retraining_cost_usd or 0))
    limit = float(t["maximum_break_even_months"])

    def months(r: float) -> float | None:  # the net break-even at r requests/day (step 5)
        yearly = money.net_yearly(money.monthly_savings(saving, r, t["days_per_month"]), annual)
        return float(money.net_break_even_months(invest, yearly)) if yearly > 0 else None

    first = _first_passing(decision)
    lo = math.log10(min(r0, first or r0) / 4)
    hi = math.log10(max(r0, first or r0) * 4)
    at_r0 = months(r0)
    y_max = max(2 * limit, min((at_r0 or 0) * 1.4, 50 * limit))
    w = _CHART[lang]
    said = n.months(at_r0) if at_r0 is not None else w["never"]
    curve = []
    for i in range(_POINTS + 1):
        r = 10 ** (lo + (hi - lo) * i / _POINTS)
        curve.append([r, months(r)])
    ticks_x = [10 ** k for k in (lo, (lo + hi) / 2, hi)]
    return {
        "curve": curve, "limit": limit, "yMax": y_max, "lo": 10 ** lo, "hi": 10 ** hi,
        "you": [r0, at_r0], "first": first,
        "ticksX": [[r, n.number(round(r))] for r in ticks_x],
        "ticksY": [[m, n.number(round(m))] for m in (0, y_max / 2, y_max)],
        "text": {k: in_language(v, lang) for k, v in {
            "title": w["title"].format(r=n.number(r0), m=said),
            "x": w["x"], "y": w["y"],
            "limit": (w["limit"].format(m=n.months(limit), r=n.number(first)) if first
                      else w["limit_alone"].format(m=n.months(limit))),
            "you": w["you"].format(r=n.number(r0), m=said)
            + (w["off"] if at_r0 is not None and at_r0 > y_max else "")}.items()},
    }
