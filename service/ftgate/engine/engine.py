"""Engine: holds the active compiled policy, evaluates profiles, swaps policies atomically."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from ftgate.domain.assessment import Assessment
from ftgate.domain.profile import Profile
from ftgate.domain.regression import RegressionReport, check_regression
from ftgate.engine.assemble import Assembler
from ftgate.engine.durable_host import RuleHost, compile_condition
from ftgate.engine.facts import build_fact
from ftgate.ruleset import RuleSet, load_ruleset
from ftgate.ruleset.conditions import facts_of


@dataclass(frozen=True)
class CompiledPolicy:
    """A RuleSet and the durable-rules host compiled from it; never changes once built."""

    ruleset: RuleSet
    host: RuleHost
    assembler: Assembler

    def evaluate(self, profile: Profile, decision_id: str | None = None) -> Assessment:
        fact = build_fact(profile, self.ruleset.thresholds)
        fired = self.host.fire(fact)
        return self.assembler.assemble(fact, fired, decision_id or new_decision_id(),
                                       profile.name)


def new_decision_id() -> str:
    return str(uuid.uuid4())


def compile_policy(ruleset: RuleSet) -> CompiledPolicy:
    """Compile every rule's condition into one durable-rules ruleset."""
    rules = [(r.id, compile_condition(r.when, ruleset.thresholds)) for r in ruleset.rules]
    fields = {name for r in ruleset.rules for name in facts_of(r.when)}
    return CompiledPolicy(ruleset, RuleHost(rules, fields), Assembler(ruleset))


def default_rules_dir() -> Path:
    """The rule files shipped with the package."""
    return Path(__file__).resolve().parent.parent / "rules"


class Engine:
    """Evaluates profiles against the active policy; `reload` swaps in a new one or keeps the old.

    Thread-safe: the active policy is replaced by one reference assignment, and a call keeps
    the policy it started with until it returns.
    """

    def __init__(self, rules_dir: str | Path | None = None) -> None:
        self.rules_dir = Path(rules_dir) if rules_dir else default_rules_dir()
        self._policy = compile_policy(load_ruleset(self.rules_dir))
        self._reload_lock = threading.Lock()

    @property
    def policy(self) -> CompiledPolicy:
        return self._policy

    @property
    def ruleset(self) -> RuleSet:
        return self._policy.ruleset

    def evaluate(self, profile: Profile, decision_id: str | None = None) -> Assessment:
        return self._policy.evaluate(profile, decision_id)

    def reload(self) -> bool:
        """Load, validate and compile the rule files off to the side, then swap them in.

        Returns False when the files did not change. Raises RuleFileError (and keeps serving the
        last good policy) when they are broken.
        """
        with self._reload_lock:
            ruleset = load_ruleset(self.rules_dir)
            if ruleset.version == self._policy.ruleset.version:
                return False
            self._policy = compile_policy(ruleset)
            return True

    def check_regression(
        self,
        baseline: list[tuple[str, float]],
        candidate: list[tuple[str, float]],
        tolerance: float | None = None,
    ) -> RegressionReport:
        return check_regression(baseline, candidate, tolerance,
                                self.ruleset.thresholds["degradation_tolerance"])
