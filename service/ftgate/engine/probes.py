"""The profiles the counterfactual search tries: each changed profile (`with_changes`) and its
probe (`Probed`: the fact without texts, and, when first asked for, the rules that block a step
that fire on it and where its walk stops), a probe derived from the explained profile's fact
(only the figures the changed inputs feed computed again), or patched from another's when the
two differ in inputs that feed no derived fact (UNREAD)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import fields
from typing import Any, TypeVar

from ftgate.domain.profile import Economics, Profile, PromptEngineering, PromptInfo
from ftgate.engine.explain import Explainer, Stop
from ftgate.engine.fact_changes import FactChanges
from ftgate.engine.facts import Fact
from ftgate.engine.matching import RuleMatcher
from ftgate.engine.solving import FEEDS, Changes
from ftgate.ruleset.vocabulary import FACTS

_Frozen = TypeVar("_Frozen")

# The inputs that no derived figure of engine/facts.py reads (engine/solving.py's FEEDS): two
# profiles that differ in these alone have the same derived figures, so the fact of one is the
# other's with these inputs set.
UNREAD = frozenset(name for name, spec in FACTS.items()
                   if spec.path is not None and name not in FEEDS)


class Probed:
    """A profile tried: its fact (without texts); the rules that block a step that fire on it,
    and where its walk stops, found when first asked for (whether one rule fires, what most
    tries ask, costs one test)."""

    __slots__ = ("_changes", "_explainer", "_fired", "_matcher", "_stop", "_values", "built",
                 "fact")

    def __init__(self, fact: Fact, matcher: RuleMatcher, explainer: Explainer,
                 built: bool = True) -> None:
        self.fact, self._matcher, self._explainer = fact, matcher, explainer
        self.built = built  # by build_fact (else: another probe's fact, patched)
        self._values: dict[str, Any] | None = None
        self._fired: frozenset[str] | None = None
        self._stop: Stop | None = None
        self._changes: FactChanges | None = None

    def _read(self) -> dict[str, Any]:
        if self._values is None:
            self._values = self._matcher.values(self.fact)
        return self._values

    @property
    def fired(self) -> frozenset[str]:
        if self._fired is None:
            self._fired = frozenset(self._matcher.fire_values(self._read()))
        return self._fired

    def fires(self, rule_ids: Iterable[str]) -> bool:
        """Whether any of `rule_ids` fires."""
        if self._fired is not None:
            return not self._fired.isdisjoint(rule_ids)
        values, fires = self._read(), self._matcher.fires
        return any(fires(values, rule_id) for rule_id in rule_ids)

    @property
    def stop(self) -> Stop:
        if self._stop is None:
            self._stop = self._explainer.stop(self.fact, self.fired)
        return self._stop

    def patched(self, unread: dict[str, Any]) -> Probed:
        """The probe of a profile that differs from this one in inputs of UNREAD alone (each
        of them given: None when absent): this fact with those inputs set, every derived
        figure as it is (no derived figure reads them)."""
        fact = Fact(self.fact)
        if self.fact.exact:
            fact.exact = self.fact.exact
        for name, value in unread.items():
            if value is None:
                fact.pop(name, None)
            else:
                fact[name] = list(value) if name == "symptoms" else value
        return Probed(fact, self._matcher, self._explainer, built=False)

    def changed(self, changes: Changes, thresholds: dict[str, Any]) -> Probed | None:
        """The probe of this profile with each input of `changes` set (None: absent), its fact
        derived from this one (engine/fact_changes.py); None when it must be built."""
        if self._changes is None:
            self._changes = FactChanges(self.fact, thresholds)
        fact = self._changes.fact(changes)
        return None if fact is None else Probed(fact, self._matcher, self._explainer,
                                                built=False)


Probe = Callable[[Profile], Probed]


# Input fact → (its group in the profile or None, its field): the path of FACTS, split once.
_PLACES: dict[str, tuple[str | None, str]] = {
    name: ((spec.path or name).split(".", 1)[0], (spec.path or name).split(".", 1)[1])
    if "." in (spec.path or name) else (None, spec.path or name)
    for name, spec in FACTS.items()}
# Input fact → its value read from a profile (operator.attrgetter follows the dotted path).
_GETTERS = {name: operator.attrgetter(spec.path or name) for name, spec in FACTS.items()}


def with_changes(profile: Profile, changes: Changes) -> Profile:
    """`profile` with each input fact of `changes` set (None: absent)."""
    top: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for name, value in changes.items():
        group, field = _PLACES[name]
        if group is not None:
            nested.setdefault(group, {})[field] = value
        else:
            top[field] = tuple(value) if name == "symptoms" else value
    for group, values in nested.items():
        top[group] = _replaced(getattr(profile, group), values)
    return _replaced(profile, top)


_set = object.__setattr__
_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls))
    for cls in (Profile, PromptEngineering, Economics, PromptInfo)}


def _replaced(obj: _Frozen, fields: dict[str, Any]) -> _Frozen:
    """dataclasses.replace for the profile's frozen dataclasses with slots, whose values are
    already valid: each slot copied or set, without __init__ (a tenth of the cost: the search
    builds thousands of profiles)."""
    new = object.__new__(type(obj))
    for name in _FIELDS[type(obj)]:
        _set(new, name, fields[name] if name in fields else getattr(obj, name))
    return new


def input_value(profile: Profile, name: str) -> Any:
    """The value of input fact `name` in `profile` (None when absent)."""
    return _GETTERS[name](profile)


class Inputs(dict[str, Any]):
    """A profile's inputs by fact name, each read when first asked for."""

    def __init__(self, profile: Profile) -> None:
        super().__init__()
        self._profile = profile

    def __missing__(self, name: str) -> Any:
        value = self[name] = input_value(self._profile, name)
        return value
