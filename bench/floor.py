"""A plain-Python evaluator of the same rule files, written only for the benchmark.

It replaces the durable-rules host (ftgate.engine.durable_host) by Python closures compiled from
the same conditions, and keeps everything else of an evaluation (the fact, the explained
Decision), so that `engine / floor` is the cost of the rules engine itself.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from ftgate.domain.decision import Decision
from ftgate.domain.profile import Profile
from ftgate.engine.explain import Explainer
from ftgate.engine.facts import build_fact
from ftgate.ruleset import RuleSet

Test = Callable[[dict[str, Any]], bool]
_COMPARE = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "lte": operator.le,
            "gt": operator.gt, "gte": operator.ge}
_ABSENT = object()


def compile_test(cond: dict[str, Any], thresholds: dict[str, Any]) -> Test:
    """A condition of the rule files as a Python predicate over the fact (absent never matches)."""
    if "all" in cond:
        parts = [compile_test(c, thresholds) for c in cond["all"]]
        return lambda fact: all(p(fact) for p in parts)
    if "any" in cond:
        parts = [compile_test(c, thresholds) for c in cond["any"]]
        return lambda fact: any(p(fact) for p in parts)
    name = cond["fact"]
    (op, value), = ((k, v) for k, v in cond.items() if k != "fact")
    if op == "in":
        allowed = frozenset(value)
        return lambda fact: fact.get(name, _ABSENT) in allowed
    if op == "contains":
        return lambda fact: value in fact.get(name, ())
    compare = _COMPARE[op]
    if isinstance(value, dict) and "fact" in value:
        other = value["fact"]

        def against_fact(fact: dict[str, Any]) -> bool:
            left, right = fact.get(name, _ABSENT), fact.get(other, _ABSENT)
            return left is not _ABSENT and right is not _ABSENT and compare(left, right)
        return against_fact
    if isinstance(value, dict) and "threshold" in value:
        value = thresholds[value["threshold"]]

    def against_value(fact: dict[str, Any]) -> bool:
        left = fact.get(name, _ABSENT)
        return left is not _ABSENT and compare(left, value)
    return against_value


class FloorPolicy:
    """Same interface as CompiledPolicy.decide, rules matched in plain Python."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.tests = [(r.id, compile_test(r.when, ruleset.thresholds)) for r in ruleset.rules]
        self.explainer = Explainer(ruleset)

    def fire(self, fact: dict[str, Any]) -> list[str]:
        return [rule_id for rule_id, test in self.tests if test(fact)]

    def decide(self, profile: Profile) -> Decision:
        fact = build_fact(profile, self.ruleset.thresholds)
        return self.explainer.explain(fact, self.fire(fact), profile.name)
