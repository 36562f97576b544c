"""Inverting the rules' conditions: which input values make a condition false.

A condition compares facts with thresholds (`requests_per_day < minimum_requests_per_day`). To
stop a rule from firing, each comparison is inverted at its boundary: an input fact moves to the
boundary value on the other side (the smallest volume that passes); an enum moves to the nearest
value that passes, a bool flips; a derived figure is solved back to the inputs it is computed
from (engine/facts.py): break-even to the volume, the savings per request or the investment;
the tree minimum to the task type; the checklist to its three items. Nothing here is written per
rule: a rule added in YAML over these facts is inverted the same way.

Every value proposed here is a candidate: the caller checks it by firing the rules again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from ftgate.domain import money
from ftgate.ruleset.conditions import facts_of
from ftgate.ruleset.model import Condition
from ftgate.ruleset.vocabulary import FACTS

Changes = dict[str, Any]  # input fact name → value
_MIRROR = {"lt": "gt", "lte": "gte", "gt": "lt", "gte": "lte", "eq": "eq", "ne": "ne"}

# How a number input is rounded at a boundary (a team writes whole requests, cents, scores to
# the hundredth), and the valid range of each (api/convert.py checks the same ranges).
_WHOLE = frozenset({"quality_examples", "prompt_variations_tested", "system_prompt_tokens",
                    "requests_per_day"})
_CENTS = frozenset({"investment_usd", "retraining_cost_usd"})
_SCORES = frozenset({"base_model_score", "target_score"})
_MAXIMUM = {"prompt_variations_tested": Decimal(10**6), "base_model_score": Decimal(1),
            "target_score": Decimal(1)}
_LIMIT = Decimal(10**12)
_HUNDREDTH = Decimal(1).scaleb(-2)  # cents, and scores to the hundredth


def _quantum(name: str, x: Decimal) -> Decimal:
    if name in _WHOLE:
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
    return int(v) if name in _WHOLE else float(v)


def _values_near(name: str, current: Any) -> list[Any]:
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


def _net_monthly(fact: dict[str, Any], t: dict[str, Any], bound: Decimal) -> _Solved:
    runs, cost = fact.get("retraining_runs_per_year"), _x(fact, "retraining_cost_usd")
    if runs is None or (runs and cost is None):
        return []
    monthly_retraining = (cost or 0) * runs / 12
    out = _monthly(fact, t, bound + monthly_retraining)
    rpd, saving = _x(fact, "requests_per_day"), _x(fact, "savings_per_request_usd")
    if runs and rpd is not None and saving is not None:
        gross = saving * rpd * money.exact(t["days_per_month"])
        out.append(("retraining_cost_usd", (gross - bound) * 12 / runs, False))
    return out


_NUMERIC_SOLVERS: dict[str, Callable[[dict[str, Any], dict[str, Any], Decimal], _Solved]] = {
    "monthly_savings_usd": _monthly,
    "break_even_months": _break_even,
    "annual_retraining_cost_usd": _annual,
    "net_monthly_savings_usd": _net_monthly,
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
    for name, x, grows in _net_monthly(fact, t, Decimal(0)):
        value = boundary_value(name, x, up=grows == (not want), strict=not want)
        if value is not None:
            yield {name: value}


_BOOL_SOLVERS: dict[str, Callable[[dict[str, Any], dict[str, Any], bool], Iterator[Changes]]] = {
    "target_met": _target_met,
    "checklist_complete": _checklist,
    "never_breaks_even": _never_breaks_even,
}

# Derived facts that depend on enum inputs only: inverted by trying those inputs' values.
_ENUM_INPUTS = {
    "minimum_viable_examples": ("task_type",),
    "recommended_examples": ("task_type",),
    "tree_minimum_examples": ("task_type",),
    "frequent_change": ("data_change_frequency",),
    "retraining_runs_per_year": ("data_change_frequency",),
}


def invertible(name: str) -> bool:
    """Whether a condition on fact `name` can be solved back to inputs."""
    spec = FACTS.get(name)
    return spec is not None and (spec.path is not None or name in _NUMERIC_SOLVERS
                                 or name in _BOOL_SOLVERS or name in _ENUM_INPUTS)


def not_invertible(cond: Condition) -> list[str]:
    """The facts of a condition that cannot be solved back to inputs."""
    return [name for name in dict.fromkeys(facts_of(cond)) if not invertible(name)]


# ---- conditions ------------------------------------------------------------------------------

def _parts(cond: Condition) -> list[Condition]:
    parts: list[Condition] = cond["all"] if "all" in cond else cond["any"]
    return parts


def _operand(value: Any, fact: dict[str, Any], t: dict[str, Any]) -> Any:
    if isinstance(value, dict) and "threshold" in value:
        return t[value["threshold"]]
    if isinstance(value, dict):
        return fact.get(value["fact"])
    return value


def options(cond: Condition, fact: dict[str, Any], t: dict[str, Any]) -> Iterator[Changes]:
    """Candidate input changes that each make `cond` false on `fact` (the ones nearest first,
    per input): for `all`, any one part false; for `any`, one part at a time (the caller
    applies a change and asks again for what still holds)."""
    if "all" in cond or "any" in cond:
        for item in _parts(cond):
            yield from options(item, fact, t)
        return
    (op, raw), = ((k, v) for k, v in cond.items() if k != "fact")
    name = cond["fact"]
    bound = _operand(raw, fact, t)
    yield from _make_false(name, op, bound, fact, t)
    if isinstance(raw, dict) and "fact" in raw and op in _MIRROR:
        # `a < b` is also `b > a`: the other side may move instead.
        yield from _make_false(raw["fact"], _MIRROR[op], fact.get(name), fact, t)


def _make_false(name: str, op: str, bound: Any, fact: dict[str, Any],
                t: dict[str, Any]) -> Iterator[Changes]:
    """Changes that make `name OP bound` false (bound: the operand's value)."""
    spec = FACTS.get(name)
    if spec is None or bound is None:
        return
    current = fact.get(name)
    if spec.path is not None:  # an input
        yield from _input_false(name, spec.kind, op, bound, current)
    elif name in _ENUM_INPUTS:
        for input_name in _ENUM_INPUTS[name]:
            for value in _values_near(input_name, fact.get(input_name)):
                yield {input_name: value}
    elif name in _BOOL_SOLVERS and op in ("eq", "ne"):
        want = (not bound) if op == "eq" else bool(bound)
        yield from _BOOL_SOLVERS[name](fact, t, want)
    elif name in _NUMERIC_SOLVERS and op in ("lt", "lte", "gt", "gte"):
        larger = op in ("lt", "lte")  # the figure must reach the bound (or go beyond it)
        for input_name, x, grows in _NUMERIC_SOLVERS[name](fact, t, money.exact(bound)):
            value = boundary_value(input_name, x, up=grows == larger, strict=op in ("lte", "gte"))
            if value is not None:
                yield {input_name: value}


def _input_false(name: str, kind: str, op: str, bound: Any, current: Any) -> Iterator[Changes]:
    if kind == "number" and op in ("lt", "lte", "gt", "gte"):
        up = op in ("lt", "lte")
        value = boundary_value(name, money.exact(bound), up=up, strict=op in ("lte", "gte"))
        if value is not None:
            yield {name: value}
    elif kind == "list" and op == "contains":
        yield {name: tuple(v for v in (current or ()) if v != bound)}
    elif op == "eq":
        if kind == "number":
            yield {name: boundary_value(name, money.exact(bound), up=True, strict=True)}
        else:
            yield from ({name: v} for v in _values_near(name, current) if v != bound)
    elif op == "ne":
        yield {name: bound}
    elif op == "in":
        yield from ({name: v} for v in _values_near(name, current) if v not in bound)


def sample_values(name: str, conditions: list[Condition], fact: dict[str, Any],
                  t: dict[str, Any]) -> list[Any]:
    """Values of input `name` on each side of every boundary the conditions put on it
    (directly or through a derived figure), for an input that is absent: numbers in increasing
    order (0 first), an enum's values in order, a bool's two values."""
    spec = FACTS[name]
    if spec.kind == "bool":
        return [True, False]
    if spec.kind == "enum":
        return list(spec.values)
    if spec.kind != "number":
        return []
    points: set[Decimal] = {Decimal(0)}
    for cond in conditions:
        for x in _boundaries(name, cond, fact, t):
            for up, strict in ((True, False), (False, True), (True, True)):
                value = boundary_value(name, x, up=up, strict=strict)
                if value is not None:
                    points.add(money.exact(value))
    return [int(p) if name in _WHOLE else float(p) for p in sorted(points)]


def _boundaries(name: str, cond: Condition, fact: dict[str, Any],
                t: dict[str, Any]) -> Iterator[Decimal]:
    if "all" in cond or "any" in cond:
        for item in _parts(cond):
            yield from _boundaries(name, item, fact, t)
        return
    (_, raw), = ((k, v) for k, v in cond.items() if k != "fact")
    bound = _operand(raw, fact, t)
    target = cond["fact"]
    if target in ("never_breaks_even", "checklist_complete", "target_met"):
        bound = 0
    if bound is None or isinstance(bound, bool) or not isinstance(bound, int | float):
        return
    if target == name:
        yield money.exact(bound)
    elif target in _NUMERIC_SOLVERS:
        for input_name, x, _ in _NUMERIC_SOLVERS[target](fact, t, money.exact(bound)):
            if input_name == name:
                yield x
    elif target == "never_breaks_even":
        yield from (x for input_name, x, _ in _net_monthly(fact, t, Decimal(0))
                    if input_name == name)
    elif target == "checklist_complete" and name == "prompt_variations_tested":
        yield money.exact(t["checklist_prompt_variations"])
    elif target == "target_met" and name in _OTHER_SCORE:
        other = fact.get(_OTHER_SCORE[name])
        if other is not None:
            yield money.exact(other)
    if isinstance(raw, dict) and raw.get("fact") == name and fact.get(target) is not None:
        yield money.exact(fact[target])


_OTHER_SCORE = {"base_model_score": "target_score", "target_score": "base_model_score"}
