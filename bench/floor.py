"""A plain-Python evaluator of the same rule files, written only for the benchmark.

It replaces the durable-rules host (ftgate.engine.durable_host) by Python closures compiled from
the same conditions (engine/matching.py, the counterfactual search's matcher), and keeps
everything else of an evaluation (the fact, the explained Decision), so that `engine / floor` is
the cost of the rules engine itself.
"""

from __future__ import annotations

from typing import Any

from ftgate.domain.decision import Decision
from ftgate.domain.profile import Profile
from ftgate.engine.explain import Explainer
from ftgate.engine.facts import build_fact
from ftgate.engine.matching import compile_test
from ftgate.ruleset import RuleSet


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
