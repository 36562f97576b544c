"""Conditions of the rule files: validation against the fact vocabulary, and rendering as text.

A condition is `{fact: NAME, OP: VALUE}` with OP one of eq, ne, lt, lte, gt, gte, in, contains,
or `{all: [...]}` / `{any: [...]}`. VALUE is a literal, `{fact: NAME}` or `{threshold: NAME}`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from ftgate.ruleset.vocabulary import FACTS

COMPARISONS = {"eq": "==", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
OPERATORS = (*COMPARISONS, "in", "contains")


class ConditionError(ValueError):
    """What is wrong with a condition; `path` locates it inside the `when` field."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(message)


def _check_operand(value: Any, spec_kind: str, values: tuple[str, ...],
                   thresholds: dict[str, Any], path: str) -> None:
    if isinstance(value, dict):
        if set(value) == {"fact"}:
            ref = FACTS.get(value["fact"])
            if ref is None:
                raise ConditionError(path, f"unknown fact {value['fact']!r}")
            if ref.kind != spec_kind:
                raise ConditionError(path, f"fact {value['fact']!r} is a {ref.kind}, not a {spec_kind}")
            return
        if set(value) == {"threshold"}:
            t = thresholds.get(value["threshold"])
            if t is None:
                raise ConditionError(path, f"unknown threshold {value['threshold']!r}")
            if spec_kind != "number" or isinstance(t, bool) or not isinstance(t, int | float):
                raise ConditionError(path, f"threshold {value['threshold']!r} is not a number")
            return
        raise ConditionError(path, "an operand is a literal, {fact: NAME} or {threshold: NAME}")
    if spec_kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ConditionError(path, f"expected a number, got {value!r}")
    if spec_kind == "bool" and not isinstance(value, bool):
        raise ConditionError(path, f"expected true or false, got {value!r}")
    if spec_kind in ("enum", "list") and value not in values:
        raise ConditionError(path, f"{value!r} is not one of {', '.join(values)}")


def validate(cond: Any, thresholds: dict[str, Any], path: str = "when") -> None:
    """Raise ConditionError unless `cond` is a well-formed condition over known facts."""
    if not isinstance(cond, dict) or not cond:
        raise ConditionError(path, "a condition is a mapping")
    if set(cond) in ({"all"}, {"any"}):
        (key, items), = cond.items()
        if not isinstance(items, list) or not items:
            raise ConditionError(f"{path}.{key}", "expects a non-empty list of conditions")
        for i, item in enumerate(items):
            validate(item, thresholds, f"{path}.{key}[{i}]")
        return
    if "fact" not in cond:
        raise ConditionError(path, "needs `fact` (or `all`/`any`)")
    ops = [k for k in cond if k != "fact"]
    if len(ops) != 1 or ops[0] not in OPERATORS:
        raise ConditionError(path, f"needs exactly one operator among {', '.join(OPERATORS)}")
    name, op = cond["fact"], ops[0]
    spec = FACTS.get(name)
    if spec is None:
        raise ConditionError(f"{path}.fact", f"unknown fact {name!r}")
    if spec.kind == "text":
        raise ConditionError(f"{path}.fact", f"fact {name!r} is text, for messages only")
    value, where = cond[op], f"{path}.{op}"
    if op == "contains":
        if spec.kind != "list":
            raise ConditionError(where, f"`contains` needs a list fact, {name!r} is a {spec.kind}")
        _check_operand(value, "list", spec.values, thresholds, where)
    elif op == "in":
        if spec.kind != "enum" or not isinstance(value, list) or not value:
            raise ConditionError(where, "`in` takes an enum fact and a non-empty list of values")
        for v in value:
            _check_operand(v, "enum", spec.values, thresholds, where)
    else:
        if op not in ("eq", "ne") and spec.kind != "number":
            raise ConditionError(where, f"{op} compares numbers, {name!r} is a {spec.kind}")
        if spec.kind == "list":
            raise ConditionError(where, f"use `contains` with the list fact {name!r}")
        _check_operand(value, spec.kind, spec.values, thresholds, where)


def facts_of(cond: dict[str, Any]) -> list[str]:
    """The facts a condition reads, in order of appearance."""
    if "all" in cond or "any" in cond:
        return [f for item in cond.get("all", cond.get("any", [])) for f in facts_of(item)]
    found = [cond["fact"]]
    for op, value in cond.items():
        if op != "fact" and isinstance(value, dict) and "fact" in value:
            found.append(value["fact"])
    return found


def _operand_text(value: Any, thresholds: dict[str, Any] | None) -> str:
    if isinstance(value, dict) and "threshold" in value:
        name = value["threshold"]
        return f"{name} ({thresholds[name]})" if thresholds and name in thresholds else str(name)
    if isinstance(value, dict):
        return str(value["fact"])
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_text(cond: dict[str, Any], thresholds: dict[str, Any] | None = None) -> str:
    """The condition as one readable line, e.g. `quality_examples < tree_minimum_examples`;
    with `thresholds`, threshold operands show their value: `minimum_requests_per_day (10000)`."""
    for key, joiner in (("all", " and "), ("any", " or ")):
        if key in cond:
            parts = [to_text(c, thresholds) for c in cond[key]]
            return joiner.join(f"({p})" if (" and " in p or " or " in p) else p for p in parts)
    (op, value), = ((k, v) for k, v in cond.items() if k != "fact")
    if op == "in":
        return f"{cond['fact']} in [{', '.join(map(str, value))}]"
    if op == "contains":
        return f"{cond['fact']} contains {value}"
    return f"{cond['fact']} {COMPARISONS[op]} {_operand_text(value, thresholds)}"


_HOLDS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "lte": operator.le,
    "gt": operator.gt, "gte": operator.ge, "in": lambda a, b: a in b,
    "contains": operator.contains}


def holds(cond: dict[str, Any], fact: dict[str, Any], thresholds: dict[str, Any]) -> bool | None:
    """Whether a condition holds on a fact, or None when a fact it reads is absent. (The rules
    are decided by the rule host; this reads the simple conditions of a step's `requires`,
    whose numbers are inputs or whole figures, compared as they are.)"""
    if "all" in cond or "any" in cond:
        results = [holds(c, fact, thresholds) for c in cond.get("all", cond.get("any", []))]
        decided = [r for r in results if r is not None]
        if "all" in cond:
            return False if False in decided else (True if len(decided) == len(results) else None)
        return True if True in decided else (False if len(decided) == len(results) else None)
    (op, value), = ((k, v) for k, v in cond.items() if k != "fact")
    left = fact.get(cond["fact"])
    if isinstance(value, dict):
        value = (thresholds.get(value["threshold"]) if "threshold" in value
                 else fact.get(value["fact"]))
    if left is None or value is None:
        return None
    return _HOLDS[op](left, value)
