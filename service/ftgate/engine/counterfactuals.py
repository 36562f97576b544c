"""What would change the verdict: counterfactuals, and what each missing field's values lead to.

**Counterfactuals.** From the profile, walk the policy as it is decided: where a step blocks, the
blocking rule's condition is inverted (engine/inversion.py) into candidate changes, each applied
and the changed profile probed (where its walk stops); where a step lacks inputs, each is given
the first value that lets the step pass. Each branch ends at FINE_TUNE (a counterfactual), or
gives up after `_MAX_FIELDS` changed fields or `_BUDGET` profiles tried. The sets found are kept
when no other found set changes a subset of their fields, ranked by the number of fields changed,
and each is decided once more from the original profile with all its changes, by the rule host as
a Decision is (`walk`): only those that give FINE_TUNE are returned. When the search ends without
exhausting its budget and finds none, nothing within the inputs' valid ranges passes:
`fine_tune_unreachable`.

**Probes** are the cheap exact check: the fact without its texts, the rules that block a step
matched in Python over the same doubles as the rule host (engine/matching.py), the walk's stop
(each found when first asked for: most tries ask whether one rule fires); each changed profile
is probed once per search, remembered by its changes, and one that differs from a profile
already built in inputs that feed no derived fact (UNREAD) is probed on that fact, patched.

**Missing fields.** For NEEDS_INFORMATION, each missing input is given values on each side of
every boundary the rules put on it (every value of an enum or bool), the others left missing, and
the answers are grouped: ranges of numbers, sets of enum values. An input that changes none of
the facts deciding whether the walk gets past the step where it stops leads to that stop
whatever its value: its values are not tried.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ftgate.domain.decision import (
    Counterfactual,
    Decision,
    Explanations,
    FieldChange,
    MissingFieldOutcome,
    ValueOutcome,
)
from ftgate.domain.profile import Profile
from ftgate.engine.explain import FINE_TUNE, NEEDS_INFORMATION, Explainer, Stop
from ftgate.engine.facts import Fact
from ftgate.engine.inversion import Changes, options, sample_values
from ftgate.engine.phrases import Phrases
from ftgate.engine.probes import UNREAD, Inputs, Probe, Probed, with_changes
from ftgate.engine.solving import affected
from ftgate.ruleset.conditions import holds
from ftgate.ruleset.model import Requirement, Rule, RuleSet
from ftgate.ruleset.vocabulary import FACTS, REDEFINES_PROBLEM

_MAX_FIELDS = 12  # fields a counterfactual may change (a sparse profile needs many)
_BUDGET = 300  # profiles tried per search
_KEPT = 5  # counterfactuals returned
_BY_PATH = {spec.path: name for name, spec in FACTS.items() if spec.path is not None}
_FIELD_ORDER = {name: i for i, name in enumerate(FACTS)}
_NO_PROFILE = Profile()
_NO_INPUTS = Inputs(_NO_PROFILE)


class Search:
    """The explanations of one decision under one policy."""

    def __init__(self, ruleset: RuleSet, explainer: Explainer, probe: Probe,
                 walk: Callable[[Fact], Stop], phrases: Phrases,
                 rules: Mapping[str, Rule]) -> None:
        """`rules`: the rules of `ruleset` by id (the policy keeps them: a search is made for
        every explained call)."""
        self._rs, self._explainer, self._probe, self._walk = ruleset, explainer, probe, walk
        self._phrases = phrases
        self._rules = rules
        self._tried = 0
        # The profiles probed in this search, by their changes from the profile explained:
        # the same changes are reached by several paths (a change checked by _unfires is
        # probed again when its branch is taken); each is probed once.
        self._profile = _NO_PROFILE  # (set by `explanations`, as the two below)
        self._probed: dict[_Key, Probed] = {}
        # A probe whose fact was built, by its changes to inputs other than UNREAD: a profile
        # that differs from it in UNREAD inputs alone is probed on its fact, patched.
        self._built: dict[_Key, Probed] = {}
        self._inputs = _NO_INPUTS  # the profile's inputs, by fact name

    def _probe_once(self, changes: Changes, key: _Key | None = None) -> Probed:
        """The probe of the profile explained with `changes` (`key`: _key(changes))."""
        if key is None:
            key = _key(changes)
        probed = self._probed.get(key)
        if probed is None:
            read = (key if UNREAD.isdisjoint(changes)
                    else frozenset([item for item in key if item[0] not in UNREAD]))
            source = self._built.get(read)
            if source is None:
                probed = self._built[read] = self._derived(changes)
            else:
                inputs = self._inputs
                probed = source.patched({n: changes[n] if n in changes else inputs[n]
                                         for n in UNREAD})
            self._probed[key] = probed
        return probed

    def _derived(self, changes: Changes) -> Probed:
        """The probe of the profile explained with `changes`, its fact derived from the
        profile's own (engine/fact_changes.py) when it can be, else built."""
        root = self._probed.get(_NO_CHANGES)
        if root is not None and changes:
            probed = root.changed(changes, self._rs.thresholds)
            if probed is not None:
                return probed
        return self._probe(with_changes(self._profile, changes))

    def _fact(self, changes: Changes) -> Fact:
        """The fact of the profile explained with `changes`, as build_fact builds it."""
        probed = self._probe_once(changes)
        if probed.built:
            return probed.fact
        return self._probe(with_changes(self._profile, changes)).fact

    def explanations(self, profile: Profile, decision: Decision,
                     probed: Probed | None = None) -> Explanations:
        """`probed`: the profile's own probe, when its decision built the fact already."""
        if decision.verdict == FINE_TUNE:
            return Explanations()
        self._profile = profile
        self._probed.clear()
        self._built.clear()
        if probed is not None:
            self._probed[frozenset()] = self._built[frozenset()] = probed
        self._inputs = Inputs(profile)
        found, complete = self._search(profile)
        counterfactuals = tuple(self._verified(profile, found))
        missing = (tuple(self._missing(profile, decision))
                   if decision.verdict == NEEDS_INFORMATION else ())
        return Explanations(counterfactuals, complete and not counterfactuals, missing)

    # ---- counterfactuals -----------------------------------------------------------------

    def _search(self, profile: Profile) -> tuple[list[Changes], bool]:
        """Change sets that reached FINE_TUNE (minimal by fields), and whether the search ended
        within its budget."""
        found: list[Changes] = []
        seen: set[_Key] = set()
        stack: list[tuple[Changes, _Key]] = [({}, frozenset())]
        inputs = self._inputs
        self._tried = 0
        while stack:
            if self._tried >= _BUDGET:
                return _minimal(found), False
            changes, key = stack.pop()
            self._tried += 1
            probed = self._probe_once(changes, key)
            if probed.stop.verdict == FINE_TUNE:
                found.append(changes)
                continue
            for option in reversed(self._options(changes, probed)):
                if all(changes.get(n, inputs[n]) == v for n, v in option.items()):
                    continue  # (it changes nothing)
                merged = {**changes, **option}
                if len(merged) > _MAX_FIELDS:
                    continue
                key = _key(merged)
                if key not in seen:
                    seen.add(key)
                    stack.append((merged, key))
        return _minimal(found), True

    def _options(self, changes: Changes, probed: Probed) -> list[Changes]:
        """The changes worth trying where the walk stopped: for a blocking rule, each input's
        nearest change that inverts its condition; for missing inputs, values that pass."""
        t, fact, stop = self._rs.thresholds, probed.fact, probed.stop
        if stop.blocking:
            out: list[Changes] = []
            rule = self._rules[stop.blocking[0]]
            per_input: set[tuple[str, ...]] = set()
            for option in options(rule.when, fact, t):
                names = tuple(sorted(option))
                if names not in per_input and self._unfires(changes, option, rule.id):
                    per_input.add(names)
                    out.append(option)
            return out
        assert stop.step_index is not None
        return self._fill(changes, probed, stop.step_index)

    def _unfires(self, changes: Changes, option: Changes, rule_id: str) -> bool:
        """Whether `option`, applied to the probed profile, stops `rule_id` from firing."""
        self._tried += 1
        return not self._probe_once({**changes, **option}).fires((rule_id,))

    def _fill(self, base: Changes, probed: Probed, step_index: int) -> list[Changes]:
        """Values for the inputs a step lacks, each the first (in sample order) with which none
        of the step's rules fires: one change set per way of meeting the step's requirements."""
        step = self._explainer.steps[step_index].step
        conditions = [self._rules[r].when for r in step.blocked_by]
        fact, blocked_by = probed.fact, step.blocked_by
        out: list[Changes] = []
        for groups in _requirement_choices(step.requires, fact, self._rs.thresholds):
            changes: Changes = {}
            for name in groups:
                for value in _nearest_first(name, sample_values(name, conditions, fact,
                                                                self._rs.thresholds)):
                    trial = {**changes, name: value}
                    self._tried += 1
                    if not self._probe_once({**base, **trial}).fires(blocked_by):
                        changes = trial
                        break
                else:
                    break
            else:
                out.append(changes)
        return out

    def _verified(self, profile: Profile, found: list[Changes]) -> list[Counterfactual]:
        """Each change set decided again from the profile: those that give FINE_TUNE, fewest
        changed fields first, then the actionable ones, then in field order; at most _KEPT.

        At most 2 × _KEPT are verified, fewest fields first; once _KEPT are, the sets with as
        many fields as the last are verified and no longer ones (none could come before them).
        Only those returned have their sentence written."""
        kept: list[tuple[tuple[FieldChange, ...], Stop, bool]] = []
        for changes in sorted(found, key=lambda c: (len(c), sorted(_FIELD_ORDER[n] for n in c))):
            if len(kept) == 2 * _KEPT or (len(kept) >= _KEPT
                                          and len(changes) > len(kept[-1][0])):
                break
            # Decided again by the rule host: the walk of the changed profile's fact (built
            # by build_fact when the search probed it), as its Decision walks it, without
            # rendering the answer's texts.
            result = self._walk(self._fact(changes))
            if result.verdict != FINE_TUNE:
                continue
            fields = tuple(FieldChange(FACTS[n].path or n, _wire(self._inputs[n]),
                                       _wire(v))
                           for n, v in sorted(changes.items(), key=lambda c: _FIELD_ORDER[c[0]]))
            # (giving a missing input redefines nothing)
            kept.append((fields, result, not any(
                n in REDEFINES_PROBLEM and self._inputs[n] is not None for n in changes)))
        kept.sort(key=lambda c: (len(c[0]), not c[2]))  # (stable: field order kept)
        return [Counterfactual(fields, result.verdict, result.outcome,
                               self._phrases.counterfactual(fields, result.verdict), actionable)
                for fields, result, actionable in kept[:_KEPT]]

    # ---- missing fields ------------------------------------------------------------------

    def _missing(self, profile: Profile, decision: Decision) -> list[MissingFieldOutcome]:
        base = self._probe_once({})
        conditions = [self._rules[r].when for step in self._rs.steps for r in step.blocked_by]
        # What decides whether the walk gets past the step where it stops: a missing input
        # that changes none of it stops the walk there whatever its value (known: not tried).
        at = base.stop.step_index
        deciding = frozenset() if at is None else self._explainer.reads_to_step[at]
        out = []
        for path in decision.missing_fields:
            name = _BY_PATH.get(path)
            if name is None:
                continue
            values = sample_values(name, conditions, base.fact, self._rs.thresholds)
            if at is not None and deciding.isdisjoint(affected(name)):
                results = [(value, base.stop) for value in values]
            else:
                results = [(value, self._probe_once({name: value}).stop) for value in values]
            out.append(MissingFieldOutcome(path, tuple(self._grouped(name, results))))
        return out

    def _grouped(self, name: str, results: list[tuple[Any, Stop]]) -> list[ValueOutcome]:
        answer = self._phrases.answer
        if FACTS[name].kind != "number":
            groups: dict[tuple[str, str | None], list[Any]] = {}
            for value, stop in results:
                groups.setdefault((stop.verdict, stop.outcome), []).append(value)
            return [ValueOutcome(tuple(values), None, None, verdict, outcome,
                                 self._phrases.values(values, verdict, outcome))
                    for (verdict, outcome), values in groups.items()]
        out: list[ValueOutcome] = []
        runs: list[tuple[Any, Stop]] = []
        for value, stop in results:  # (in increasing order)
            if runs and (runs[-1][1].verdict, runs[-1][1].outcome) == (stop.verdict,
                                                                     stop.outcome):
                continue
            runs.append((value, stop))
        for i, (value, stop) in enumerate(runs):
            below = runs[i + 1][0] if i + 1 < len(runs) else None
            at_least = None if i == 0 else value
            out.append(ValueOutcome((), None if at_least is None else float(at_least),
                                    None if below is None else float(below), stop.verdict,
                                    stop.outcome,
                                    self._phrases.value_range(at_least, below) + " → "
                                    + answer(stop.verdict, stop.outcome)))
        return out


def _requirement_choices(requires: tuple[Requirement, ...], fact: Fact,
                         thresholds: dict[str, Any]) -> list[list[str]]:
    """The ways of meeting a step's requirements: for each requirement not met (that applies),
    one of its groups (the facts of it missing); at most one way per group of the first unmet
    `any_of`."""
    fixed: list[str] = []
    alternatives: list[list[str]] = [[]]
    for req in requires:
        groups = req.groups
        if any(all(n in fact for n in group) for group in groups):
            continue
        if req.when is not None and not holds(req.when, fact, thresholds):
            continue
        if len(groups) == 1:
            fixed += [n for n in groups[0] if n not in fact]
        elif alternatives == [[]]:
            alternatives = [[n for n in group if n not in fact] for group in groups]
        else:
            fixed += [n for n in groups[0] if n not in fact]
    return [alt + fixed for alt in alternatives]


def _nearest_first(name: str, values: list[Any]) -> list[Any]:
    """The values of a missing input in the order they are tried: a number's boundary values
    first (0 last: a score of 0 passes "the base model does not meet its target" but says
    little), in increasing order."""
    if FACTS[name].kind == "number" and values and values[0] == 0:
        return values[1:] + values[:1]
    return values


def _minimal(found: list[Changes]) -> list[Changes]:
    """The sets whose fields are no superset of another set's fields (the first of equals)."""
    out: list[Changes] = []
    for changes in sorted(found, key=len):
        fields = set(changes)
        if not any(set(kept) <= fields for kept in out):
            out.append(changes)
    return out


_Key = frozenset[tuple[str, Any]]
_NO_CHANGES: _Key = frozenset()


def _key(changes: Changes) -> _Key:
    """`changes` as a key: a list (of symptoms) as a tuple."""
    try:
        return frozenset(changes.items())
    except TypeError:  # (a list: unhashable)
        return frozenset([(n, tuple(v)) if type(v) is list else (n, v)
                          for n, v in changes.items()])


def _wire(value: Any) -> object:
    """A value as a FieldChange carries it: numbers as floats, lists as lists."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value

