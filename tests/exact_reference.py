"""What the rules decide, re-computed in exact rational arithmetic, to check the engine against.

Independent of ftgate's decimal code: every input is read as the decimal it was written as (the
shortest repr of its double) and held as a Fraction; the derived figures are computed with
Fractions; conditions are evaluated by a small interpreter of the rule-file form. Only the
non-numeric facts (labels, enum names, booleans given as such) are taken from `build_fact`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ftgate.domain.profile import Profile
from ftgate.engine.facts import build_fact
from ftgate.ruleset import RuleSet


def q(x: float | int) -> Fraction:
    """The exact value of the decimal `x` was written as."""
    return Fraction(x) if type(x) is int else Fraction(Decimal(repr(x)))


def figures(profile: Profile, t: dict[str, Any]) -> dict[str, Fraction]:
    """monthly_savings_usd, break_even_months, annual_retraining_cost_usd, when computable."""
    ec, out = profile.economics, {}
    if ec.requests_per_day is not None and ec.savings_per_request_usd is not None:
        monthly = q(ec.savings_per_request_usd) * q(ec.requests_per_day) * q(t["days_per_month"])
        out["monthly_savings_usd"] = monthly
        if ec.investment_usd is not None and monthly > 0:
            out["break_even_months"] = q(ec.investment_usd) / monthly
    runs = t["retraining_runs_per_year"].get(profile.data_change_frequency)
    if runs is not None and ec.retraining_cost_usd is not None:
        out["annual_retraining_cost_usd"] = q(ec.retraining_cost_usd) * runs
    return out


def net_figures(profile: Profile, t: dict[str, Any]) -> dict[str, Any]:
    """net_monthly_savings_usd, never_breaks_even and net_break_even_months, when computable:
    the monthly savings less a twelfth of the yearly retraining cost (none for static data)."""
    ec, gross = profile.economics, figures(profile, t)
    runs = t["retraining_runs_per_year"].get(profile.data_change_frequency)
    if "monthly_savings_usd" not in gross or runs is None:
        return {}
    if runs and ec.retraining_cost_usd is None:
        return {}
    net = gross["monthly_savings_usd"] - gross.get("annual_retraining_cost_usd", 0) / 12
    out: dict[str, Any] = {"net_monthly_savings_usd": net, "never_breaks_even": net <= 0}
    if ec.investment_usd is not None and net > 0:
        out["net_break_even_months"] = q(ec.investment_usd) / net
    return out


def exact_fact(profile: Profile, t: dict[str, Any]) -> dict[str, Any]:
    """The fact with every number exact (Fraction) and the derived figures and comparisons
    re-computed from the exact inputs."""
    fact = {name: q(v) if type(v) in (int, float) else v
            for name, v in build_fact(profile, t).items()}
    for name in ("monthly_savings_usd", "break_even_months", "annual_retraining_cost_usd",
                 "net_monthly_savings_usd", "net_break_even_months", "never_breaks_even"):
        fact.pop(name, None)
    fact.update(figures(profile, t))
    fact.update(net_figures(profile, t))
    if profile.base_model_score is not None and profile.target_score is not None:
        fact["target_met"] = q(profile.base_model_score) >= q(profile.target_score)
    pe = profile.prompt_engineering
    checks = (None if pe.prompt_variations_tested is None
              else pe.prompt_variations_tested >= t["checklist_prompt_variations"],
              pe.few_shot_tried, pe.more_capable_model_tried)
    fact.pop("checklist_complete", None)
    if False in checks:
        fact["checklist_complete"] = False
    elif checks == (True, True, True):
        fact["checklist_complete"] = True
    return fact


def _operand(value: Any, fact: dict[str, Any], t: dict[str, Any]) -> Any:
    if isinstance(value, dict) and "threshold" in value:
        return q(t[value["threshold"]])
    if isinstance(value, dict):
        return fact.get(value["fact"])
    return q(value) if type(value) in (int, float) else value


_COMPARE = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
            "lte": lambda a, b: a <= b, "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b}


def holds(cond: dict[str, Any], fact: dict[str, Any], t: dict[str, Any]) -> bool:
    """Whether a rule-file condition holds; a comparison with an absent fact does not."""
    if "all" in cond:
        return all(holds(c, fact, t) for c in cond["all"])
    if "any" in cond:
        return any(holds(c, fact, t) for c in cond["any"])
    (op, value), = ((k, v) for k, v in cond.items() if k != "fact")
    left, right = fact.get(cond["fact"]), _operand(value, fact, t)
    if left is None or right is None:
        return False
    if op == "in":
        return left in value
    if op == "contains":
        return value in left
    return bool(_COMPARE[op](left, right))


@dataclass(frozen=True)
class Expected:
    fired: frozenset[str]
    verdict: str
    likely_positive: bool | None
    figures: dict[str, Fraction]


def expected(ruleset: RuleSet, profile: Profile) -> Expected:
    """The rules that fire, the verdict and likely_positive, decided exactly."""
    t = ruleset.thresholds
    fact = exact_fact(profile, t)
    fired = frozenset(r.id for r in ruleset.rules if holds(r.when, fact, t))
    verdict = "FINE_TUNE"  # the base profiles pass every step their rules do not block
    for step in ruleset.steps:
        if fired & set(step.blocked_by):
            verdict = "DO_NOT_FINE_TUNE"
            break
        if not all(any(all(n in fact for n in group) for group in req.groups)
                   or (req.when is not None and not holds(req.when, fact, t))
                   for req in step.requires):
            verdict = "NEEDS_INFORMATION"
            break
    rpd, saving = fact.get("requests_per_day"), fact.get("savings_per_request_usd")
    checks = (None if rpd is None else rpd > q(t["roi_positive_requests_per_day"]),
              None if saving is None else saving > q(t["roi_positive_savings_per_request_usd"]),
              None if "frequent_change" not in fact else not fact["frequent_change"])
    likely = False if False in checks else (True if all(checks) else None)
    return Expected(fired, verdict, likely, figures(profile, t))
