"""Engine: holds the active compiled policy, decides profiles, swaps policies atomically."""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftgate.domain.decision import Decision, Explanations
from ftgate.domain.profile import Profile
from ftgate.domain.regression import RegressionReport, check_regression
from ftgate.domain.waiver import Waiver, active_for
from ftgate.engine.counterfactuals import Search
from ftgate.engine.durable_host import RuleHost, compile_condition
from ftgate.engine.explain import Explainer, Stop
from ftgate.engine.facts import Fact, build_fact
from ftgate.engine.matching import RuleMatcher
from ftgate.engine.phrases import DEFAULT_LANGUAGE, LANGUAGES, phrases
from ftgate.engine.probes import Probed
from ftgate.ruleset import DEFAULT_MAX_FILE_BYTES, RuleSet, load_ruleset
from ftgate.ruleset.conditions import facts_of
from ftgate.ruleset.model import Rule


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one policy, one object
class CompiledPolicy:
    """A RuleSet, the durable-rules host compiled from it and its explainer; never changes once
    built. Whatever is cached for a policy (here, or by the API layer keyed by it) goes with it."""

    ruleset: RuleSet
    host: RuleHost
    # The rules that block a step, compiled alone into a durable-rules ruleset of their own:
    # where a changed profile's walk stops, decided by durable-rules (`walk`), at about half
    # the cost of the whole ruleset (nothing else moves a walk; docs/performance.md).
    walk_host: RuleHost
    # One explainer per language (ftgate.languages): each keeps the texts it rendered.
    explainers: dict[str, Explainer]
    # The rules that block a step, matched in Python: where the walk of each profile the
    # counterfactual search tries stops.
    matcher: RuleMatcher

    @functools.cached_property
    def blocker_ids(self) -> frozenset[str]:
        """The ids of the BLOCKER rules: the only ones a waiver can name."""
        return self.ruleset.blocker_ids

    @property
    def explainer(self) -> Explainer:
        """The explainer of the default language."""
        return self.explainers[DEFAULT_LANGUAGE]

    def decide(self, profile: Profile, *, explain: bool = False,
               lang: str = DEFAULT_LANGUAGE, waivers: Sequence[Waiver] = (),
               now_us: int | None = None) -> Decision:
        """The Decision for `profile`: its fact, the rules that fire on it, explained in `lang`;
        with `explain`, also what would change the verdict (engine/counterfactuals.py).

        `waivers`: those that may apply; a BLOCKER finding covered by one active for this
        project at `now_us` (default: now) is marked with its id and does not block. This is
        the one place waivers are honoured: every door decides through it."""
        fact = build_fact(profile, self.ruleset.thresholds, lang)
        fired = self.host.fire(fact)
        waived, applied = self._waived(fired, profile.name, waivers, now_us)
        decision = self.explainers[lang].explain(fact, fired, profile.name, waived)
        if applied:
            decision = dataclasses.replace(decision, waivers_applied=applied)
        if explain:
            search = Search(self.ruleset, self.explainer, self.probe, self.walk,
                            phrases(lang), self.rules_by_id)
            # (the fact with texts: the rules read none of them)
            decision = _with_explanations(decision, search.explanations(
                profile, decision, Probed(fact, self.matcher, self.explainer)))
        return decision

    @functools.cached_property
    def rules_by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.ruleset.rules}

    def _waived(self, fired: list[str], project_name: str, waivers: Sequence[Waiver],
                now_us: int | None) -> tuple[dict[str, str], tuple[Waiver, ...]]:
        """Fired BLOCKER rule id → the id of the first active waiver of the project covering
        it; the waivers so used."""
        if not waivers:
            return {}, ()
        now = time.time_ns() // 1000 if now_us is None else now_us
        blockers = self.blocker_ids
        waived: dict[str, str] = {}
        applied: list[Waiver] = []
        for waiver in active_for(waivers, project_name, now):
            covered = [r for r in waiver.rule_ids
                       if r in blockers and r in fired and r not in waived]
            if covered:
                waived.update(dict.fromkeys(covered, waiver.id))
                applied.append(waiver)
        return waived, tuple(applied)

    def probe(self, profile: Profile) -> Probed:
        """Where the walk stops for `profile` (`fired`: the rules that block a step, matched in
        Python, engine/matching.py), without rendering an answer: what the counterfactual
        search asks of each profile it tries."""
        return Probed(build_fact(profile, self.ruleset.thresholds, texts=False), self.matcher,
                      self.explainer)

    def walk(self, fact: Fact) -> Stop:
        """Where the walk stops for a profile's fact (`build_fact`, texts or not), decided by the
        rule host as `decide` decides it: the same conditions of the rules that block a step,
        compiled alone (`walk_host`: the others move no walk), without rendering an answer."""
        return self.explainer.stop(fact, self.walk_host.fire(fact))


_DECISION_FIELDS = tuple(f.name for f in dataclasses.fields(Decision))


def _with_explanations(decision: Decision, explanations: Explanations) -> Decision:
    """dataclasses.replace(decision, explanations=explanations), each slot copied without
    __init__ (the decision's values are already checked; a third of the cost)."""
    new = object.__new__(Decision)
    for name in _DECISION_FIELDS:
        object.__setattr__(new, name, getattr(decision, name))
    object.__setattr__(new, "explanations", explanations)
    return new


def facts_read(rules: Sequence[Rule]) -> list[str]:
    """The facts the conditions of `rules` read, sorted."""
    return sorted({name for r in rules for name in facts_of(r.when)})


def _rule_host(rules: Sequence[Rule], thresholds: dict[str, Any]) -> RuleHost:
    """`rules`' conditions compiled into one durable-rules ruleset."""
    keys = {name: f"f{i}" for i, name in enumerate(facts_read(rules))}  # short keys: less JSON to parse
    return RuleHost([(r.id, compile_condition(r.when, thresholds, keys)) for r in rules], keys)


def compile_policy(ruleset: RuleSet) -> CompiledPolicy:
    """Compile every rule's condition into one durable-rules ruleset, and those of the rules
    that block a step into another (the walks of the counterfactual search's verification)."""
    steps = {rule_id for step in ruleset.steps for rule_id in step.blocked_by}
    explainers = {lang: Explainer(ruleset.in_language(lang)) for lang in LANGUAGES}
    matcher = RuleMatcher([(r.id, r.when) for r in ruleset.rules], ruleset.thresholds, steps)
    return CompiledPolicy(ruleset, _rule_host(ruleset.rules, ruleset.thresholds),
                          _rule_host([r for r in ruleset.rules if r.id in steps],
                                     ruleset.thresholds),
                          explainers, matcher)


def default_rules_dir() -> Path:
    """The rule files shipped with the package."""
    return Path(__file__).resolve().parent.parent / "rules"


class Engine:
    """Decides profiles under the active policy; `reload` swaps in a new one or keeps the old.

    Thread-safe: the active policy is replaced by one reference assignment, and a call keeps
    the policy it started with until it returns.
    """

    def __init__(self, rules_dir: str | Path | None = None,
                 max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> None:
        self.rules_dir = Path(rules_dir) if rules_dir else default_rules_dir()
        self.max_file_bytes = max_file_bytes  # each rule file's cap, at start and every reload
        self._policy = compile_policy(load_ruleset(self.rules_dir, max_file_bytes))
        self._reload_lock = threading.Lock()

    @property
    def policy(self) -> CompiledPolicy:
        return self._policy

    @property
    def ruleset(self) -> RuleSet:
        return self._policy.ruleset

    def decide(self, profile: Profile, *, explain: bool = False,
               lang: str = DEFAULT_LANGUAGE, waivers: Sequence[Waiver] = (),
               now_us: int | None = None) -> Decision:
        """The Decision for `profile` under the active policy (CompiledPolicy.decide)."""
        return self._policy.decide(profile, explain=explain, lang=lang, waivers=waivers,
                                   now_us=now_us)

    def reload(self) -> bool:
        """Load, validate and compile the rule files off to the side, then swap them in.

        Returns False when the files did not change. Raises RuleFileError (and keeps serving the
        last good policy) when they are broken.
        """
        with self._reload_lock:
            ruleset = load_ruleset(self.rules_dir, self.max_file_bytes)
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
