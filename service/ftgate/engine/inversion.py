"""Inverting the rules' conditions: which input values make a condition false.

A condition compares facts with thresholds (`requests_per_day < minimum_requests_per_day`). To
stop a rule from firing, each comparison is inverted at its boundary: an input fact moves to the
boundary value on the other side (the smallest volume that passes); an enum moves to the nearest
value that passes, a bool flips; a derived figure is solved back to the inputs it is computed
from (engine/solving.py). Nothing here is written per rule: a rule added in YAML over these
facts is inverted the same way.

Every value proposed here is a candidate: the caller checks it by firing the rules again.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ftgate.domain import money
from ftgate.engine.solving import (
    BOOL_SOLVERS,
    ENUM_INPUTS,
    NUMERIC_SOLVERS,
    WHOLE,
    Changes,
    boundary_value,
    invertible,
    net_monthly,
    values_near,
)
from ftgate.ruleset.conditions import facts_of
from ftgate.ruleset.model import Condition
from ftgate.ruleset.vocabulary import FACTS

__all__ = ["Changes", "not_invertible", "options", "sample_values"]

_MIRROR = {"lt": "gt", "lte": "gte", "gt": "lt", "gte": "lte", "eq": "eq", "ne": "ne"}


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
    elif name in ENUM_INPUTS:
        for input_name in ENUM_INPUTS[name]:
            for value in values_near(input_name, fact.get(input_name)):
                yield {input_name: value}
    elif name in BOOL_SOLVERS and op in ("eq", "ne"):
        want = (not bound) if op == "eq" else bool(bound)
        yield from BOOL_SOLVERS[name](fact, t, want)
    elif name in NUMERIC_SOLVERS and op in ("lt", "lte", "gt", "gte"):
        larger = op in ("lt", "lte")  # the figure must reach the bound (or go beyond it)
        for input_name, x, grows in NUMERIC_SOLVERS[name](fact, t, money.exact(bound)):
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
            value = boundary_value(name, money.exact(bound), up=True, strict=True)
            if value is not None:
                yield {name: value}
        else:
            yield from ({name: v} for v in values_near(name, current) if v != bound)
    elif op == "ne":
        yield {name: bound}
    elif op == "in":
        yield from ({name: v} for v in values_near(name, current) if v not in bound)


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
        for leaf in _bounding(name, cond):
            for x in _boundaries(name, leaf, fact, t):
                points.update(_around(name, x))
    return [int(p) if name in WHOLE else float(p) for p in sorted(points)]


def _around(name: str, x: Decimal) -> tuple[Decimal, ...]:
    """The round values of input `name` each side of the boundary `x` (at or above it,
    strictly below and strictly above), as decimals; those within its valid range."""
    if not x.is_finite():
        return _around_uncached(name, x)
    return _around_cached(name, x)


def _around_uncached(name: str, x: Decimal) -> tuple[Decimal, ...]:
    out = []
    for up, strict in ((True, False), (False, True), (True, True)):
        value = boundary_value(name, x, up=up, strict=strict)
        if value is not None:
            out.append(money.exact(value))
    return tuple(out)


# (a function of the input and the boundary's value alone: the boundaries at thresholds recur
# from profile to profile)
_around_cached = functools.lru_cache(maxsize=4096)(_around_uncached)

# The inputs each derived figure's solver (engine/solving.py NUMERIC_SOLVERS) may give a value.
_SOLVED_FOR: dict[str, frozenset[str]] = {name: frozenset(inputs) for name, inputs in {
    "monthly_savings_usd": ("requests_per_day", "savings_per_request_usd"),
    "break_even_months": ("requests_per_day", "savings_per_request_usd", "investment_usd"),
    "annual_retraining_cost_usd": ("retraining_cost_usd",),
    "net_monthly_savings_usd": ("requests_per_day", "savings_per_request_usd",
                                "retraining_cost_usd"),
    "net_break_even_months": ("requests_per_day", "savings_per_request_usd",
                              "retraining_cost_usd", "investment_usd"),
}.items()}
# (id of a condition, input) → the condition and those of its comparisons that may put a
# boundary on the input (_boundaries gives nothing for the others); the condition is held, so
# that its id is not reused while it is a key. Conditions belong to a policy: a handful a
# policy, the cache cleared when it grows past what a few policies hold.
_BOUNDING: dict[tuple[int, str], tuple[Condition, tuple[Condition, ...]]] = {}
_BOUNDING_KEPT = 8192


def _bounding(name: str, cond: Condition) -> tuple[Condition, ...]:
    """The comparisons of `cond` (all of them, at any depth) that may put a boundary on input
    `name`."""
    key = (id(cond), name)
    found = _BOUNDING.get(key)
    if found is None or found[0] is not cond:
        if len(_BOUNDING) >= _BOUNDING_KEPT:
            _BOUNDING.clear()
        found = _BOUNDING[key] = (cond, tuple(
            leaf for leaf in _comparisons(cond) if _may_bound(name, leaf)))
    return found[1]


def _comparisons(cond: Condition) -> Iterator[Condition]:
    if "all" in cond or "any" in cond:
        for item in _parts(cond):
            yield from _comparisons(item)
    else:
        yield cond


def _may_bound(name: str, leaf: Condition) -> bool:
    """Whether _boundaries may give a boundary of input `name` for comparison `leaf`."""
    (_, raw), = ((k, v) for k, v in leaf.items() if k != "fact")
    target = leaf["fact"]
    if isinstance(raw, dict) and raw.get("fact") == name:
        return True
    if target == name:
        return True
    if target in NUMERIC_SOLVERS:
        return name in _SOLVED_FOR.get(target, (name,))
    if target == "never_breaks_even":
        return name in _SOLVED_FOR["net_monthly_savings_usd"]
    if target == "checklist_complete":
        return name == "prompt_variations_tested"
    return target == "target_met" and name in _OTHER_SCORE


def _boundaries(name: str, cond: Condition, fact: dict[str, Any],
                t: dict[str, Any]) -> Iterator[Decimal]:
    """The boundaries comparison `cond` puts on input `name` (directly or through a derived
    figure)."""
    (_, raw), = ((k, v) for k, v in cond.items() if k != "fact")
    bound = _operand(raw, fact, t)
    target = cond["fact"]
    if target in ("never_breaks_even", "checklist_complete", "target_met"):
        bound = 0
    if bound is None or isinstance(bound, bool) or not isinstance(bound, int | float):
        return
    if target == name:
        yield money.exact(bound)
    elif target in NUMERIC_SOLVERS:
        for input_name, x, _ in NUMERIC_SOLVERS[target](fact, t, money.exact(bound)):
            if input_name == name:
                yield x
    elif target == "never_breaks_even":
        yield from (x for input_name, x, _ in net_monthly(fact, t, Decimal(0))
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
