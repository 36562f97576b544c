"""Profile + thresholds → the flat fact the rules test, with the derived quantities and texts.

The formulas are documented in docs/rules.md; every number they use comes from the thresholds of the
rule files. Money and volume figures are computed in decimal (ftgate.domain.money): each fact holds
the nearest double, as reported, and `Fact.exact` the decimal of every derived figure whose double
is not exact, which the rule host uses to compare it as the decimal compares (docs/rules.md).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from ftgate.domain import money
from ftgate.domain.profile import Profile
from ftgate.engine.fact_texts import WORDS, enum_label

_NO_FIGURES: Mapping[str, Decimal] = MappingProxyType({})


class Fact(dict[str, Any]):
    """Fact name → value (numbers as doubles); `exact`: derived figure → its decimal value, for
    each figure whose double is rounded (none, most often: a plain dict costs less to build)."""

    exact: Mapping[str, Decimal] = _NO_FIGURES


def _figure(fact: Fact, name: str, value: Decimal) -> float:
    """Set the derived figure `name` to the double nearest `value`; keep `value` when that
    double is not exact. Returns the double."""
    double = float(value)  # the nearest double: Decimal → float rounds correctly
    fact[name] = double
    if value != double:  # (Decimal == float compares exact values)
        fact.exact = {**fact.exact, name: value}
    return double


def _inputs(p: Profile) -> Fact:
    pe, ec, pr = p.prompt_engineering, p.economics, p.prompt
    raw = {
        "task_type": p.task_type,
        "goal": p.goal,
        "domain": p.domain,
        "quality_examples": p.quality_examples,
        "data_change_frequency": p.data_change_frequency,
        "prompt_variations_tested": pe.prompt_variations_tested,
        "few_shot_tried": pe.few_shot_tried,
        "more_capable_model_tried": pe.more_capable_model_tried,
        "base_model_score": p.base_model_score,
        "target_score": p.target_score,
        "base_model_meets_target": p.base_model_meets_target,
        "dedicated_model": p.dedicated_model,
        "planned_method": p.planned_method,
        "requests_per_day": ec.requests_per_day,
        "savings_per_request_usd": ec.savings_per_request_usd,
        "investment_usd": ec.investment_usd,
        "retraining_cost_usd": ec.retraining_cost_usd,
        "system_prompt_tokens": pr.system_prompt_tokens,
        "prompt_is_repeated": pr.prompt_is_repeated,
        "needs_external_actions": p.needs_external_actions,
    }
    fact = Fact({k: v for k, v in raw.items() if v is not None})
    fact["symptoms"] = list(p.symptoms)
    return fact


def _examples(fact: Fact, t: dict[str, Any], w: dict[str, Any] | None) -> None:
    pair = t["examples"].get(fact.get("task_type"))
    if pair:
        fact["minimum_viable_examples"] = pair["minimum_viable"]
        fact["recommended_examples"] = pair["recommended"]
    fact["tree_minimum_examples"] = max(t["tree_minimum_examples_floor"],
                                        fact.get("minimum_viable_examples", 0))
    if w is not None:
        fact["task_label"] = enum_label(w, "task", fact.get("task_type"))


def _change(fact: Fact, t: dict[str, Any], w: dict[str, Any] | None) -> None:
    freq = fact.get("data_change_frequency")
    if freq is None:
        return
    fact["frequent_change"] = freq in t["frequent_change"]
    runs = t["retraining_runs_per_year"].get(freq)
    cost = fact.get("retraining_cost_usd")
    if w is None:  # (the figures only)
        if runs is not None:
            fact["retraining_runs_per_year"] = runs
            if cost is not None:
                _figure(fact, "annual_retraining_cost_usd", money.annual_cost(cost, runs))
        return
    fact["frequency_label"] = enum_label(w, "frequency", freq)
    if runs is None:
        fact["retraining_text"] = w["unplannable"]
        return
    fact["retraining_runs_per_year"] = runs
    text = w["runs"][runs != 1 and runs >= w["plural_from"]].format(runs=runs)
    if cost is not None:
        annual = _figure(fact, "annual_retraining_cost_usd", money.annual_cost(cost, runs))
        if runs:  # (no retraining costs nothing: not said)
            text += w["runs_cost"].format(cost=cost, annual=annual)
    if runs >= t["impossible_retraining_runs_per_year"]:
        text += w["impossible"]
    fact["retraining_text"] = text


def _roi(fact: Fact, t: dict[str, Any], w: dict[str, Any] | None) -> None:
    rpd, saving = fact.get("requests_per_day"), fact.get("savings_per_request_usd")
    investment = fact.get("investment_usd")
    parts = []
    if rpd is not None and saving is not None:
        monthly = money.monthly_savings(saving, rpd, t["days_per_month"])
        reported = _figure(fact, "monthly_savings_usd", monthly)
        if w is not None:
            fact["savings_text"] = w["savings"].format(saving=saving, rpd=rpd,
                                                       days=t["days_per_month"],
                                                       monthly=reported)
            parts.append(fact["savings_text"])
        if investment is not None and monthly > 0:
            months = _figure(fact, "break_even_months",
                             money.break_even_months(investment, monthly))
            if w is not None:
                parts.append(w["break_even"].format(investment=investment, months=months))
        net = _net(fact, monthly, investment, w)
        if net is not None:
            parts.append(net)
    if w is not None:
        fact["roi_text"] = w["sep"].join(parts) if parts else w["no_savings"]


def _net(fact: Fact, monthly: Decimal, investment: float | None,
         w: dict[str, Any] | None) -> str | None:
    """The figures net of retraining, when the yearly retraining cost is known (0 for data that
    never changes); the text that says them when retraining costs something."""
    runs = fact.get("retraining_runs_per_year")
    if runs is None or (runs and "annual_retraining_cost_usd" not in fact):
        return None
    annual = (fact.exact.get("annual_retraining_cost_usd")
              or Decimal(repr(fact.get("annual_retraining_cost_usd", 0))))
    if not annual:  # no retraining: the net figures are the gross ones
        if w is not None:
            fact["net_savings_text"] = fact["savings_text"]
        fact["net_monthly_savings_usd"] = fact["monthly_savings_usd"]
        if "monthly_savings_usd" in fact.exact:
            fact.exact = {**fact.exact, "net_monthly_savings_usd": fact.exact[
                "monthly_savings_usd"]}
        yearly = money.net_yearly(monthly, annual)
        _net_figures(fact, yearly, investment, "break_even_months")
        return None
    yearly = money.net_yearly(monthly, annual)
    net_double = _figure(fact, "net_monthly_savings_usd", money.per_month(yearly))
    _net_figures(fact, yearly, investment, None)
    if w is None:
        return None
    fact["net_savings_text"] = w["sep"].join((
        fact["savings_text"], fact["retraining_text"],
        w["net_arithmetic"].format(monthly=fact["monthly_savings_usd"],
                                   annual=annual, net=net_double)))
    if yearly <= 0:
        return str(w["net_never"].format(annual=annual, short=-net_double))
    text = str(w["net"].format(annual=annual, net=net_double))
    months = fact.get("net_break_even_months")
    return text if months is None else text + w["net_break_even"].format(months=months)


def _net_figures(fact: Fact, yearly: Decimal, investment: float | None,
                 same_break_even: str | None) -> None:
    fact["never_breaks_even"] = yearly <= 0
    if investment is None:
        return
    _figure(fact, "net_value_one_year_usd", money.value_after(1, yearly, investment))
    _figure(fact, "net_value_three_years_usd", money.value_after(3, yearly, investment))
    if yearly > 0:
        if same_break_even is not None:  # (the gross break-even, already computed)
            fact["net_break_even_months"] = fact[same_break_even]
            if same_break_even in fact.exact:
                fact.exact = {**fact.exact,
                              "net_break_even_months": fact.exact[same_break_even]}
        else:
            _figure(fact, "net_break_even_months",
                    money.net_break_even_months(investment, yearly))


def _base_model(fact: Fact, t: dict[str, Any], w: dict[str, Any] | None, lang: str) -> None:
    score, target = fact.get("base_model_score"), fact.get("target_score")
    if score is not None and target is not None:
        fact["target_met"] = score >= target  # doubles compare as their decimals (money.py)
        if w is not None:
            fact["base_vs_target"] = w["scores"].format(score=score, target=target)
    elif "base_model_meets_target" in fact:
        fact["target_met"] = fact["base_model_meets_target"]
        if w is not None:
            fact["base_vs_target"] = w["meets"] if fact["target_met"] else w["misses"]
    needed = t["checklist_prompt_variations"]
    tested = fact.get("prompt_variations_tested")
    checks = (None if tested is None else tested >= needed,
              fact.get("few_shot_tried"), fact.get("more_capable_model_tried"))
    if False in checks:  # (each is True, False or None)
        fact["checklist_complete"] = False
        if w is None:
            return
        fact["checklist_unchecked"] = w["sep"].join(
            name for name, ok in zip(_checklist_items(needed, lang), checks, strict=True)
            if ok is False)
    elif checks == (True, True, True):
        fact["checklist_complete"] = True


@functools.lru_cache(maxsize=8)
def _checklist_items(prompt_variations: int, lang: str) -> tuple[str, ...]:
    """The prompt-engineering checklist (tree step 1), in the order of the checks."""
    return tuple(item.format(n=prompt_variations) for item in WORDS[lang]["checklist"])


def build_fact(profile: Profile, thresholds: dict[str, Any], lang: str = "en",
               texts: bool = True) -> Fact:
    """The fact asserted for `profile`: inputs that are present, plus derived quantities; its
    texts in `lang` (without `texts`, none: the figures the rules compare, for a walk that
    renders no answer)."""
    w = WORDS[lang] if texts else None
    fact = _inputs(profile)
    _examples(fact, thresholds, w)
    _change(fact, thresholds, w)
    _roi(fact, thresholds, w)
    if w is not None:
        _positive_roi_criteria(fact, thresholds, w)
    _base_model(fact, thresholds, w, lang)
    if w is not None:
        fact["goal_label"] = enum_label(w, "goal", fact.get("goal"))
        fact["domain_label"] = enum_label(w, "domain", fact.get("domain"))
    return fact


def _criteria(fact: Fact, t: dict[str, Any]) -> tuple[bool | None, bool | None, bool | None]:
    """The article's three criteria for a clearly positive ROI (volume, savings per request, no
    frequent retraining): each True, False, or None when it cannot be told. Inputs and
    thresholds are doubles, which compare as the decimals they were written as
    (ftgate.domain.money)."""
    rpd, saving = fact.get("requests_per_day"), fact.get("savings_per_request_usd")
    return (None if rpd is None else rpd > t["roi_positive_requests_per_day"],
            None if saving is None else saving > t["roi_positive_savings_per_request_usd"],
            None if "frequent_change" not in fact else not fact["frequent_change"])


def roi_likely_positive(fact: Fact, t: dict[str, Any]) -> bool | None:
    """Whether the project meets the article's criteria for a clearly positive ROI
    (docs/rules.md): False when one fails, True when all hold, None when one cannot be told. It
    is not the verdict: step 5 decides on the break-even net of retraining."""
    checks = _criteria(fact, t)
    return False if False in checks else (True if all(checks) else None)


def _positive_roi_criteria(fact: Fact, t: dict[str, Any], w: dict[str, Any]) -> None:
    """`positive_roi_criteria_text`: roi_likely_positive in words, with what fails."""
    checks = _criteria(fact, t)
    if False in checks:
        failed = [w["criteria_fails"][i].format(
            rpd=fact.get("requests_per_day"), saving=fact.get("savings_per_request_usd", 0),
            frequency=fact.get("frequency_label"),
            volume=t["roi_positive_requests_per_day"],
            minimum=t["roi_positive_savings_per_request_usd"])
            for i, check in enumerate(checks) if check is False]
        answer, details = w["no"], w["sep"].join(failed)
    elif all(checks):
        answer = w["yes"]
        details = w["criteria_hold"].format(volume=t["roi_positive_requests_per_day"],
                                            minimum=t["roi_positive_savings_per_request_usd"])
    else:
        return
    fact["positive_roi_criteria_text"] = w["criteria"].format(answer=answer, details=details)

