"""The rules of a policy matched in plain Python, for the many profiles an explanation tries.

The same conditions as the rule host (engine/durable_host.py), with the same meaning: a fact
that is absent matches no comparison (`ne` included), `in` is one of the values, `contains` an
element of the list; a derived figure whose double is rounded (`Fact.exact`) is compared through
the double engine/ordering.py gives it, which compares as its decimal does, exactly as the rule
host sends it. A decision is always the rule host's; the counterfactual search asks this matcher
where a changed profile's walk would stop (tests/test_matching.py holds the two to the same
answers), and each counterfactual it returns is decided again by the rule host.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Sequence
from typing import Any

from ftgate.engine.durable_host import compile_condition
from ftgate.engine.facts import Fact
from ftgate.engine.ordering import comparison_groups, ordered_numbers
from ftgate.ruleset.model import Condition

Test = Callable[[dict[str, Any]], bool]
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "lte": operator.le,
    "gt": operator.gt, "gte": operator.ge}
_ABSENT = object()


def _all(parts: list[Test]) -> Test:
    return lambda fact: all(p(fact) for p in parts)


def _any(parts: list[Test]) -> Test:
    return lambda fact: any(p(fact) for p in parts)


def compile_test(cond: Condition, thresholds: dict[str, Any]) -> Test:
    """A validated condition of the rule files as a predicate over a fact."""
    if "all" in cond:
        return _all([compile_test(c, thresholds) for c in cond["all"]])
    if "any" in cond:
        return _any([compile_test(c, thresholds) for c in cond["any"]])
    name: str = cond["fact"]
    (op, value), = ((k, v) for k, v in cond.items() if k != "fact")
    if op == "in":
        allowed = frozenset(value)
        return lambda fact: fact.get(name, _ABSENT) in allowed
    if op == "contains":
        return lambda fact: value in fact.get(name, ())
    compare = _COMPARE[op]
    if isinstance(value, dict) and "fact" in value:
        other: str = value["fact"]

        def against_fact(fact: dict[str, Any]) -> bool:
            left, right = fact.get(name, _ABSENT), fact.get(other, _ABSENT)
            return left is not _ABSENT and right is not _ABSENT and compare(left, right)
        return against_fact
    bound = thresholds[value["threshold"]] if isinstance(value, dict) else value

    def against_value(fact: dict[str, Any]) -> bool:
        left = fact.get(name, _ABSENT)
        return left is not _ABSENT and compare(left, bound)
    return against_value


class RuleMatcher:
    """`fire(fact)`: the ids of the rules whose condition holds, in rule order; only those of
    `only` when given (the rules that block a step are all a walk needs to know). `fires`:
    whether one of them holds, over `values(fact)` (what a probe that needs to know no more
    than that asks)."""

    def __init__(self, rules: Sequence[tuple[str, Condition]], thresholds: dict[str, Any],
                 only: Collection[str] | None = None) -> None:
        self._tests = [(rule_id, compile_test(cond, thresholds)) for rule_id, cond in rules
                       if only is None or rule_id in only]
        self.tests: dict[str, Test] = dict(self._tests)
        # The groups of figures compared with one another, as the rule host computes them.
        self._groups = comparison_groups([compile_condition(cond, thresholds)
                                          for _, cond in rules])

    def values(self, fact: Fact) -> dict[str, Any]:
        """What the tests read: the fact, its rounded figures as the ordered doubles."""
        if fact.exact:
            ordered = ordered_numbers(fact, fact.exact, self._groups)
            if ordered:  # (seldom: a figure's double is a number it is compared with)
                return {**fact, **ordered}
        return fact

    def fire(self, fact: Fact) -> list[str]:
        return self.fire_values(self.values(fact))

    def fire_values(self, values: dict[str, Any]) -> list[str]:
        """`fire` over what `values(fact)` gave."""
        return [rule_id for rule_id, test in self._tests if test(values)]

    def fires(self, values: dict[str, Any], rule_id: str) -> bool:
        """Whether rule `rule_id` (one of those matched) holds over `values(fact)`."""
        return self.tests[rule_id](values)
