"""Solving for inputs: the round value of an input at a boundary (as a team writes it, within
its valid range), an enum's values nearest first, and each derived figure of engine/facts.py
solved back to the inputs it is computed from (break-even → volume, savings per request or
investment; the break-even net of retraining → those or the cost of a retraining; the checklist
→ its three items; the tree minimum → the task type)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from ftgate.domain import money
from ftgate.ruleset.vocabulary import FACTS

Changes = dict[str, Any]  # input fact name → value

# How a number input is rounded at a boundary (a team writes whole requests, cents, scores to
# the hundredth), and the valid range of each (api/convert.py checks the same ranges).
WHOLE = frozenset({"quality_examples", "prompt_variations_tested", "system_prompt_tokens",
                    "requests_per_day"})
_CENTS = frozenset({"investment_usd", "retraining_cost_usd"})
_SCORES = frozenset({"base_model_score", "target_score"})
_MAXIMUM = {"prompt_variations_tested": Decimal(10**6), "base_model_score": Decimal(1),
            "target_score": Decimal(1)}
_LIMIT = Decimal(10**12)
_HUNDREDTH = Decimal(1).scaleb(-2)  # cents, and scores to the hundredth


def _quantum(name: str, x: Decimal) -> Decimal:
    if name in WHOLE:
        return Decimal(1)
    if name in _CENTS or name in _SCORES:
        return _HUNDREDTH
    # Savings per request: six significant digits.
    return Decimal(1).scaleb((x.adjusted() if x else -1) - 5)


def boundary_value(name: str, x: Decimal, up: bool, strict: bool) -> int | float | None:
    """The round value of input `name` nearest the boundary `x` on its passing side: at or
    above it (`up`), at or below it; strictly beyond it when `strict`. None when outside the
    input's valid range."""
    q = _quantum(name, x)
    v = x.quantize(q, rounding=ROUND_CEILING if up else ROUND_FLOOR) if x.is_finite() else x
    if strict and v == x:
        v = v + q if up else v - q
    if v < 0 or v > _MAXIMUM.get(name, _LIMIT):
        return None
    return int(v) if name in WHOLE else float(v)


def values_near(name: str, current: Any) -> list[Any]:
    """The values of an enum or bool input, nearest the current one first (enums in their
    declared order: the frequencies are ordered, so the nearest is the least change)."""
    spec = FACTS[name]
    if spec.kind == "bool":
        return [not current] if current is not None else [True, False]
    values = list(spec.values)
    if current not in values:
        return values
    at = values.index(current)
    return sorted((v for v in values if v != current), key=lambda v: abs(values.index(v) - at))


# ---- what each input feeds ---------------------------------------------------------------------
# The derived facts of engine/facts.py (without texts) each input is read by, directly or through
# another: changing an input changes no other fact than itself and these (tests/test_solving.py
# holds this to build_fact on random profiles). Inputs not named feed nothing.
_NET = ("net_monthly_savings_usd", "net_break_even_months", "net_value_one_year_usd",
        "net_value_three_years_usd", "never_breaks_even")
FEEDS: dict[str, frozenset[str]] = {name: frozenset(facts) for name, facts in {
    "task_type": ("minimum_viable_examples", "recommended_examples", "tree_minimum_examples"),
    "data_change_frequency": ("frequent_change", "retraining_runs_per_year",
                              "annual_retraining_cost_usd", *_NET),
    "retraining_cost_usd": ("annual_retraining_cost_usd", *_NET),
    "requests_per_day": ("monthly_savings_usd", "break_even_months", *_NET),
    "savings_per_request_usd": ("monthly_savings_usd", "break_even_months", *_NET),
    "investment_usd": ("break_even_months", "net_break_even_months", "net_value_one_year_usd",
                       "net_value_three_years_usd"),
    "base_model_score": ("target_met",),
    "target_score": ("target_met",),
    "base_model_meets_target": ("target_met",),
    "prompt_variations_tested": ("checklist_complete",),
    "few_shot_tried": ("checklist_complete",),
    "more_capable_model_tried": ("checklist_complete",),
}.items()}


def affected(name: str) -> frozenset[str]:
    """The facts a change of input `name` may change: itself and those it feeds."""
    return FEEDS.get(name, frozenset()) | {name}


# ---- derived figures solved back to their inputs ----------------------------------------------
# Each numeric solver gives, for `figure = bound`, the inputs and the value of each at which the
# figure equals the bound, and whether the figure grows with that input.
_Solved = list[tuple[str, Decimal, bool]]


def _x(fact: dict[str, Any], name: str) -> Decimal | None:
    value = fact.get(name)
    return None if value is None else money.exact(value)


def _monthly(fact: dict[str, Any], t: dict[str, Any], bound: Decimal) -> _Solved:
    rpd, saving = _x(fact, "requests_per_day"), _x(fact, "savings_per_request_usd")
    days = money.exact(t["days_per_month"])
    out: _Solved = []
    if saving:
        out.append(("requests_per_day", bound / (saving * days), True))
    if rpd:
        out.append(("savings_per_request_usd", bound / (rpd * days), True))
    return out


def _break_even(fact: dict[str, Any], t: dict[str, Any], bound: Decimal) -> _Solved:
    rpd, saving = _x(fact, "requests_per_day"), _x(fact, "savings_per_request_usd")
    investment, days = _x(fact, "investment_usd"), money.exact(t["days_per_month"])
    out: _Solved = []
    if investment is None or bound <= 0:
        return out
    if saving:
        out.append(("requests_per_day", investment / (bound * saving * days), False))
    if rpd:
        out.append(("savings_per_request_usd", investment / (bound * rpd * days), False))
    if rpd is not None and saving is not None:
        out.append(("investment_usd", bound * saving * rpd * days, True))
    return out


def _annual(fact: dict[str, Any], t: dict[str, Any], bound: Decimal) -> _Solved:
    runs = fact.get("retraining_runs_per_year")
    return [("retraining_cost_usd", bound / runs, True)] if runs else []


def net_monthly(fact: dict[str, Any], t: dict[str, Any], bound: Decimal) -> _Solved:
    runs, cost = fact.get("retraining_runs_per_year"), _x(fact, "retraining_cost_usd")
    if runs is None:
        return []
    # (the cost of a retraining solves alone when it is not given: what it may be)
    out = ([] if runs and cost is None
           else _monthly(fact, t, bound + (cost or 0) * Decimal(runs) / 12))
    rpd, saving = _x(fact, "requests_per_day"), _x(fact, "savings_per_request_usd")
    if runs and rpd is not None and saving is not None:
        gross = saving * rpd * money.exact(t["days_per_month"])
        out.append(("retraining_cost_usd", (gross - bound) * 12 / runs, False))
    return out


def _net_break_even(fact: dict[str, Any], t: dict[str, Any], bound: Decimal) -> _Solved:
    """investment / net monthly savings = bound: the net monthly savings must be investment /
    bound (volume, savings per request, retraining cost), or the investment bound × the net."""
    investment = _x(fact, "investment_usd")
    if investment is None or bound <= 0:
        return []
    # A figure that lowers the net raises the break-even: each grows the other way.
    out = [(name, x, not grows) for name, x, grows in net_monthly(fact, t, investment / bound)]
    runs, cost = fact.get("retraining_runs_per_year"), _x(fact, "retraining_cost_usd")
    rpd, saving = _x(fact, "requests_per_day"), _x(fact, "savings_per_request_usd")
    if runs is not None and rpd is not None and saving is not None and (cost is not None
                                                                        or not runs):
        net = saving * rpd * money.exact(t["days_per_month"]) - (cost or 0) * Decimal(runs) / 12
        if net > 0:
            out.append(("investment_usd", bound * net, True))
    return out


NUMERIC_SOLVERS: dict[str, Callable[[dict[str, Any], dict[str, Any], Decimal], _Solved]] = {
    "monthly_savings_usd": _monthly,
    "break_even_months": _break_even,
    "annual_retraining_cost_usd": _annual,
    "net_monthly_savings_usd": net_monthly,
    "net_break_even_months": _net_break_even,
}


def _target_met(fact: dict[str, Any], t: dict[str, Any], want: bool) -> Iterator[Changes]:
    score, target = _x(fact, "base_model_score"), _x(fact, "target_score")
    if score is not None and target is not None:
        # met: score ≥ target. Not met: a score below the target, or a target above the score.
        moved = boundary_value("base_model_score", target, up=want, strict=not want)
        if moved is not None:
            yield {"base_model_score": moved}
        moved = boundary_value("target_score", score, up=not want, strict=not want)
        if moved is not None:
            yield {"target_score": moved}
    else:
        yield {"base_model_meets_target": want}


def _checklist(fact: dict[str, Any], t: dict[str, Any], want: bool) -> Iterator[Changes]:
    if not want:
        yield {"few_shot_tried": False}
        return
    needed = t["checklist_prompt_variations"]
    changes: Changes = {}
    if (fact.get("prompt_variations_tested") or 0) < needed:
        changes["prompt_variations_tested"] = needed
    for item in ("few_shot_tried", "more_capable_model_tried"):
        if fact.get(item) is not True:
            changes[item] = True
    yield changes


def _never_breaks_even(fact: dict[str, Any], t: dict[str, Any], want: bool) -> Iterator[Changes]:
    # never: net ≤ 0. To break even, the net must be above 0.
    for name, x, grows in net_monthly(fact, t, Decimal(0)):
        value = boundary_value(name, x, up=grows == (not want), strict=not want)
        if value is not None:
            yield {name: value}


BOOL_SOLVERS: dict[str, Callable[[dict[str, Any], dict[str, Any], bool], Iterator[Changes]]] = {
    "target_met": _target_met,
    "checklist_complete": _checklist,
    "never_breaks_even": _never_breaks_even,
}

# Derived facts that depend on enum inputs only: inverted by trying those inputs' values.
ENUM_INPUTS = {
    "minimum_viable_examples": ("task_type",),
    "recommended_examples": ("task_type",),
    "tree_minimum_examples": ("task_type",),
    "frequent_change": ("data_change_frequency",),
    "retraining_runs_per_year": ("data_change_frequency",),
}


def invertible(name: str) -> bool:
    """Whether a condition on fact `name` can be solved back to inputs."""
    spec = FACTS.get(name)
    return spec is not None and (spec.path is not None or name in NUMERIC_SOLVERS
                                 or name in BOOL_SOLVERS or name in ENUM_INPUTS)
