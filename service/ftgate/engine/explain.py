"""Fired rules + fact → the Decision: the policy's meaning, read in one place.

- **Findings**: every failure-mode rule that fired, ordered by where it stands (the tree's steps
  in order, then the rules placed after the tree), then severity, then file order.
- **The walk**: the tree's steps in order. A step blocked by a rule that fired stops the walk
  with that step's outcome (DO_NOT_FINE_TUNE), its reason the messages of the blocking rules.
  Before that, a step whose inputs are absent stops it with NEEDS_INFORMATION and lists every
  input missing from there to the end of the tree. A walk that passes every step gives the final
  outcome (FINE_TUNE) and the plan.
- **Alternatives**: those with a trigger that held (a finding that fired, or an `ALT.` condition
  rule), ranked: proposed for the tree's outcome first, then by the earliest finding they
  answer, then in file order. Their rationale joins the texts of the triggers that held; their
  details are the domain's when the rule file gives some.

An `Explainer` is built once per ruleset and holds what does not depend on the profile: the
texts rendered from thresholds alone, the objects of a finding or step whose texts are fixed
(shared by every decision that has them), and, per set of fired rules, the `_Shape` of the
answer (which findings, where the walk stops, which alternatives for each outcome and domain):
an evaluation then renders only the texts that read the profile's facts. Its caches live and
die with the compiled policy that owns it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from typing import Any, cast

from ftgate.domain.decision import (
    Alternative,
    CostItem,
    Decision,
    Evidence,
    Finding,
    LoraConfig,
    Plan,
    Roi,
    StepTaken,
)
from ftgate.engine.facts import Fact, roi_likely_positive
from ftgate.engine.texts import Templates, plain
from ftgate.present.templates import Template
from ftgate.ruleset.conditions import facts_of, holds
from ftgate.ruleset.model import Rule, RulePlace, RuleSet, TreeStep
from ftgate.ruleset.vocabulary import FACTS

FINE_TUNE, DO_NOT_FINE_TUNE, NEEDS_INFORMATION = "FINE_TUNE", "DO_NOT_FINE_TUNE", \
    "NEEDS_INFORMATION"
_SEVERITY_RANK = {"BLOCKER": 0, "WARNING": 1, "INFO": 2}
_PLACE_RANK = {RulePlace.TREE_STEP: 0, RulePlace.AFTER_TREE: 1}
_SHAPES_KEPT = 4096  # sets of fired rules whose shape is kept, per ruleset
_STOPS_KEPT = 8192  # stops of a walk kept by what decides them (Explainer.stop), per ruleset


_ValuesOf = Callable[[Fact], dict[str, Any]]
_RENDERED_KEPT = 512  # rendered findings, steps and rationales kept per rule, step or trigger set


def _reads(templates: Templates, *texts: str) -> tuple[str, ...]:
    """The facts `texts` (templates or plain names) read, each once, in a fixed order."""
    names: set[str] = set()
    for text in texts:
        names.update(templates.facts_read(text))
    return tuple(sorted(names))


def _key(fact: Fact, names: tuple[str, ...]) -> tuple[Any, ...]:
    """What `names` hold in the fact (None when absent), hashable: the rendered texts that read
    only them are the same for the same key. (Where `names` hold no list, `_listed(names)` is
    False, the callers write `tuple(map(fact.get, names))` in place: one call less per text.)"""
    return tuple(tuple(v) if type(v) is list else v for v in map(fact.get, names))


def _listed(names: tuple[str, ...]) -> bool:
    """Whether a fact of `names` holds a list (its key is then made by `_key`)."""
    return not _LIST_FACTS.isdisjoint(names)


_LIST_FACTS = frozenset(name for name, spec in FACTS.items() if spec.kind == "list")


class _FindingRule:
    """A failure-mode rule, prepared: its texts bound to the thresholds, its evidence split into
    items read from thresholds (fixed) and facts; `fixed`, the whole Finding, when nothing in it
    reads the profile."""

    __slots__ = ("evidence", "fixed", "listed", "message", "message_text", "reads",
                 "recommendation", "recommendation_text", "rendered", "rule")

    def __init__(self, rule: Rule, templates: Templates) -> None:
        self.rule = rule
        self.message_text = templates.fixed(rule.message)  # None: rendered for each profile
        self.message = templates.bind(rule.message)
        self.recommendation_text = templates.fixed(rule.recommendation)
        self.recommendation = templates.bind(rule.recommendation)
        # An Evidence read from a threshold, or (name, whether a threshold stands in when the
        # fact is absent) for one read from the fact.
        self.evidence: tuple[Evidence | tuple[str, bool], ...] = tuple(
            Evidence(name, plain(templates.values[name])) if templates.is_fixed(name)
            else (name, name in templates.thresholds)
            for name in rule.evidence)
        self.fixed = (self.finding(self.message_text, self.recommendation_text,
                                   self.evidence)  # type: ignore[arg-type]
                      if self.message_text is not None and self.recommendation_text is not None
                      and all(type(e) is Evidence for e in self.evidence) else None)
        # The facts the finding reads; the findings rendered so far, by what those hold (the
        # same object for the same values, so that the API layer encodes it once too).
        self.reads = _reads(templates, rule.message, rule.recommendation,
                            *(item[0] for item in self.evidence if type(item) is tuple))
        self.listed = _listed(self.reads)
        self.rendered: dict[tuple[Any, ...], Finding] = {}

    def finding(self, message: str, recommendation: str,
                evidence: tuple[Evidence, ...]) -> Finding:
        r = self.rule
        return Finding(r.id, r.failure_mode or "", r.severity or "", r.title, evidence,
                       recommendation, r.citation, message)

    def render(self, fact: Fact, values_of: _ValuesOf) -> Finding:
        """The finding for this profile (`values_of(fact)`: the fact with the thresholds behind
        it, for the templates; made only when something is rendered)."""
        if self.fixed is not None:
            return self.fixed
        key = _key(fact, self.reads) if self.listed else tuple(map(fact.get, self.reads))
        found = self.rendered.get(key)
        if found is None:
            found = self._render(fact, values_of(fact))
            if len(self.rendered) < _RENDERED_KEPT:
                self.rendered[key] = found
        return found

    def _render(self, fact: Fact, values: dict[str, Any]) -> Finding:
        evidence: list[Evidence] = []
        for item in self.evidence:
            if isinstance(item, Evidence):
                evidence.append(item)
            elif item[1] or item[0] in fact:
                evidence.append(Evidence(item[0], plain(values[item[0]])))
        return self.finding(self.message_text or self.message.format_map(values),
                            self.recommendation_text or self.recommendation.format_map(values),
                            tuple(evidence))


class _Step:
    """A tree step, prepared: the inputs it needs, its StepTaken when it passes (built once when
    the reason reads no fact), the rules that block it."""

    __slots__ = ("_requires", "_thresholds", "inputs", "listed", "passed", "reads", "reason",
                 "rendered", "step")

    def __init__(self, step: TreeStep, templates: Templates) -> None:
        self.step = step
        self._thresholds = templates.thresholds
        # The first group of each requirement: when all are present, nothing is missing (the
        # usual case, tested first); else `missing` looks at the other groups and conditions.
        self.inputs = frozenset(n for req in step.requires for n in req.groups[0])
        # Each requirement as sets: its groups, its condition, its first group's fields in
        # order with the paths reported for them (the walk asks for these on every profile
        # that lacks an input, and the search on every profile it tries).
        self._requires = tuple(
            (tuple(frozenset(g) for g in req.groups), req.when,
             tuple((n, FACTS[n].path or n) for n in req.groups[0]))
            for req in step.requires)
        self.reason = templates.bind(step.pass_reason)
        fixed = templates.fixed(step.pass_reason)
        self.passed = None if fixed is None else self.taken(True, fixed)
        self.reads = _reads(templates, step.pass_reason)
        self.listed = _listed(self.reads)
        self.rendered: dict[tuple[Any, ...], StepTaken] = {}

    def passed_for(self, fact: Fact, values_of: _ValuesOf) -> StepTaken:
        """The step passed, its reason rendered for the profile."""
        if self.passed is not None:
            return self.passed
        key = _key(fact, self.reads) if self.listed else tuple(map(fact.get, self.reads))
        found = self.rendered.get(key)
        if found is None:
            found = self.taken(True, self.reason.format_map(values_of(fact)))
            if len(self.rendered) < _RENDERED_KEPT:
                self.rendered[key] = found
        return found

    def taken(self, passed: bool, reason: str) -> StepTaken:
        s = self.step
        return StepTaken(s.step, s.question, s.answer_when_blocked != passed, reason)

    def lacks(self, fact: Fact) -> bool:
        """Whether `missing(fact)` names any field (without listing them)."""
        present = fact.keys()
        for groups, when, first in self._requires:
            if _any_within(groups, present):
                continue
            if when is not None and not holds(when, fact, self._thresholds):
                continue
            for name, _ in first:
                if name not in present:
                    return True
        return False

    def missing(self, fact: Fact) -> list[str]:
        """The input fields this step lacks (of each requirement that applies, the first
        group's)."""
        out: list[str] = []
        present = fact.keys()
        for groups, when, first in self._requires:
            if _any_within(groups, present):
                continue
            if when is not None and not holds(when, fact, self._thresholds):
                continue
            out += [path for n, path in first if n not in fact]
        return out


def _any_within(groups: tuple[frozenset[str], ...], present: AbstractSet[str]) -> bool:
    """Whether some group has all its names in `present` (a loop: a generator costs more, and
    this runs for every step a profile lacks an input of)."""
    for group in groups:  # noqa: SIM110
        if group <= present:
            return True
    return False


@dataclass(frozen=True, slots=True)
class _Trigger:
    key: str  # the rule id that must have fired
    text: str | None  # the rationale when it reads no fact
    template: Template


@dataclass(frozen=True, slots=True)
class _AlternativeSpec:
    kind: str
    details: dict[str, tuple[str, ...]]  # by domain; "" for the general ones
    triggers: tuple[_Trigger, ...]
    leaf_outcomes: frozenset[str]


class _PendingAlternative:
    """An alternative whose rationale reads the profile: its parts (each trigger's fixed text or
    template), and the Alternatives rendered so far by what the facts it reads hold."""

    __slots__ = ("details", "kind", "listed", "parts", "reads", "rendered", "rule_ids")

    def __init__(self, kind: str, held: list[_Trigger], details: tuple[str, ...],
                 templates: Templates) -> None:
        self.kind, self.details = kind, details
        self.parts = tuple((t.text, t.template) for t in held)
        self.rule_ids = tuple(t.key for t in held)
        self.reads = _reads(templates, *(t.template.text for t in held if t.text is None))
        self.listed = _listed(self.reads)
        self.rendered: dict[tuple[Any, ...], Alternative] = {}

    def render(self, fact: Fact, values_of: _ValuesOf) -> Alternative:
        key = _key(fact, self.reads) if self.listed else tuple(map(fact.get, self.reads))
        found = self.rendered.get(key)
        if found is None:
            values = values_of(fact)
            found = Alternative(self.kind, " ".join([text or template.format_map(values)
                                                     for text, template in self.parts]),
                                self.details, self.rule_ids)
            if len(self.rendered) < _RENDERED_KEPT:
                self.rendered[key] = found
        return found


class _Shape:
    """The answer for one set of fired rules, whatever the values: the findings in order, where
    the walk stops, and (filled as they are asked for) the alternatives for each outcome and
    domain: each a whole Alternative when its rationale is fixed, else its parts."""

    __slots__ = ("alternatives", "block_at", "blocking", "findings")

    def __init__(self, explainer: Explainer, fired: frozenset[str]) -> None:
        # (built for most never-seen profiles: the fired rules in the findings' order, and the
        # step that blocks them from the few sets of blocking rules, instead of a pass over
        # every rule and step)
        rank = explainer._finding_rank
        rules = explainer.finding_rules
        self.findings = tuple([rules[i] for i in sorted([rank[r] for r in fired if r in rank])])
        self.block_at, self.blocking = explainer.blocking(fired)
        self.alternatives: dict[tuple[str | None, str], tuple[Any, ...]] = {}


@dataclass(frozen=True, slots=True)
class Stop:
    """Where a walk stops: the verdict and outcome, the index of the step that stopped it (None
    when every step passed) and the rules that blocked it (none when inputs were missing)."""

    verdict: str
    outcome: str | None
    step_index: int | None
    blocking: tuple[str, ...]


class Explainer:
    """Explains the evaluations of one ruleset (see the module docstring)."""

    def __init__(self, rs: RuleSet) -> None:
        self.ruleset = rs
        templates = self._templates = Templates(rs.thresholds, rs.lang)
        # fact → the mapping the templates read (a dict subclass: a copy of the fact)
        self._values = cast(_ValuesOf, templates.values_type)
        order = {r.id: i for i, r in enumerate(rs.rules)}
        self.finding_rules = tuple(_FindingRule(r, templates) for r in sorted(
            (r for r in rs.rules if r.place is not RulePlace.ALTERNATIVE_TRIGGER),
            key=lambda r: (_PLACE_RANK[r.place], r.step or 0,
                           _SEVERITY_RANK[r.severity or "INFO"], order[r.id])))
        self.steps = tuple(_Step(step, templates) for step in rs.steps)
        self._final_outcome = rs.final_outcome
        # The stops a walk can reach, built once (the counterfactual search asks for thousands).
        self._lacking = tuple(Stop(NEEDS_INFORMATION, None, i, ()) for i in range(len(self.steps)))
        self._passed = Stop(FINE_TUNE, self._final_outcome, None, ())
        self._step_rules = frozenset(r for step in rs.steps for r in step.blocked_by)
        self._blocks: dict[frozenset[str], tuple[int, Stop]] = {}
        # What a step's requirements read: the inputs they name, the facts their `when` tests.
        self._required = tuple(sorted({name for step in rs.steps for req in step.requires
                                       for group in req.groups for name in group}))
        self._when_facts = tuple(sorted({name for step in rs.steps for req in step.requires
                                         if req.when is not None
                                         for name in facts_of(req.when)}))
        self._when_listed = _listed(self._when_facts)
        self._stops: dict[tuple[frozenset[str], tuple[bool, ...], tuple[Any, ...]], Stop] = {}
        self.reads_to_step = _reads_to_step(rs)
        self._blocking: dict[frozenset[str], tuple[int, tuple[str, ...]]] = {}
        self._alternatives = tuple(
            _AlternativeSpec(
                spec.kind,
                {domain: spec.details + extra for domain, extra in
                 (("", ()), *spec.details_by_domain)},
                tuple(_Trigger(t.finding or t.rule_id or "", templates.fixed(t.rationale),
                               templates.bind(t.rationale)) for t in spec.triggers),
                frozenset(spec.leaf_outcomes))
            for spec in rs.alternatives)
        # rule id → the alternatives it triggers, so that only fired rules are looked at.
        self._triggered_by: dict[str, list[int]] = {}
        for index, alt in enumerate(self._alternatives):
            for t in alt.triggers:
                if index not in self._triggered_by.setdefault(t.key, []):
                    self._triggered_by[t.key].append(index)
        # The rank of each finding rule in the order of the findings (that of any shape's).
        self._finding_rank = {r.rule.id: i for i, r in enumerate(self.finding_rules)}
        self._trigger_keys = frozenset(self._triggered_by)
        # The ranked alternatives by what they depend on: the triggers that fired, the outcome
        # and the domain. Many sets of fired rules share them (profiles never seen before fire
        # more sets than the shapes kept); at most _SHAPES_KEPT, then emptied.
        self._ranked: dict[tuple[frozenset[str], str | None, str], tuple[Any, ...]] = {}
        # (at most one per alternative, set of its triggers and details: a few hundred)
        self._pending: dict[tuple[int, tuple[str, ...], tuple[str, ...]],
                            _PendingAlternative] = {}
        # (alternative, triggers of it that held, domain) → (its rank, its entry)
        self._entries: dict[tuple[int, tuple[str, ...], str], tuple[int, Any]] = {}
        self.plan = _plan(rs)
        self._shapes: dict[frozenset[str], _Shape] = {}
        self._shapes_kept = _SHAPES_KEPT

    def shared(self) -> Iterator[object]:
        """The objects this explainer puts in every decision that has them (fixed findings,
        passed steps with a fixed reason, the plan): they live as long as the explainer."""
        yield self.plan
        yield from (r.fixed for r in self.finding_rules if r.fixed is not None)
        yield from (s.passed for s in self.steps if s.passed is not None)

    def _shape(self, fired: frozenset[str]) -> _Shape:
        shape = self._shapes.get(fired)
        if shape is None:
            shape = _Shape(self, fired)
            if len(self._shapes) < self._shapes_kept:
                self._shapes[fired] = shape
        return shape

    def explain(self, fact: Fact, fired_ids: list[str], project_name: str,
                waived: Mapping[str, str] | None = None) -> Decision:
        """The Decision for a profile's fact and the ids of the rules that fired for it.
        `waived`: rule id → the waiver id of each fired BLOCKER rule a waiver covers; their
        findings stay, marked, and the walk goes on as if they had not fired."""
        fired = frozenset(fired_ids)
        shape = self._shape(fired)
        values_of = self._values
        findings = tuple([r.render(fact, values_of) for r in shape.findings])
        walked = shape
        if waived:
            walked = self._shape(fired.difference(waived))
            findings = tuple([replace(f, waiver_id=waived[f.rule_id]) if f.rule_id in waived
                              else f for f in findings])
        path, outcome, missing = self._walk(walked, fact, values_of, findings)
        if outcome is None:
            verdict = NEEDS_INFORMATION
        elif outcome == self._final_outcome:
            verdict = FINE_TUNE
        else:
            verdict = DO_NOT_FINE_TUNE
        domain = fact.get("domain", "")
        alternatives = shape.alternatives.get((outcome, domain))
        if alternatives is None:
            alternatives = self._rank_alternatives(shape, fired, outcome, domain)
        return Decision(
            verdict=verdict, outcome=outcome, path=path, findings=findings,
            alternatives=tuple([a if type(a) is Alternative else a.render(fact, values_of)
                                for a in alternatives]),
            roi=self._roi(fact), plan=self.plan if verdict == FINE_TUNE else None,
            missing_fields=missing, ruleset_version=self.ruleset.version,
            project_name=project_name)

    def stop(self, fact: Fact, fired_ids: Iterable[str]) -> Stop:
        """Where the walk stops for a profile, without rendering a text (engine/counterfactuals
        asks it for each profile it tries)."""
        # Only the rules that block a step move the walk: at most 2**9 sets of them, each
        # with its blocking step (a shape per set of fired rules would be one of thousands).
        blocks = frozenset(fired_ids) & self._step_rules
        block_at, blocked = self._blocks.get(blocks) or self._block(blocks)
        if not block_at:
            return blocked
        # Whether a step lacks inputs depends on which inputs its requirements name are
        # present and on what the facts of their `when` hold: with the blocking rules, the
        # key of the stop (profiles tried share most of them).
        key = (blocks, tuple(map(fact.__contains__, self._required)),
               _key(fact, self._when_facts) if self._when_listed
               else tuple(map(fact.get, self._when_facts)))
        stop = self._stops.get(key)
        if stop is None:
            stop = blocked
            present = fact.keys()
            steps = self.steps
            for i in range(block_at):
                step = steps[i]
                if not step.inputs <= present and step.lacks(fact):
                    stop = self._lacking[i]
                    break
            if len(self._stops) < _STOPS_KEPT:
                self._stops[key] = stop
        return stop

    def blocking(self, fired: frozenset[str]) -> tuple[int, tuple[str, ...]]:
        """The index of the first step a rule of `fired` blocks (the number of steps when none
        does) and the rules of `fired` that block it."""
        blocks = fired & self._step_rules
        found = self._blocking.get(blocks)
        if found is None:
            found = len(self.steps), ()
            for i, step in enumerate(self.steps):
                blocking = tuple(rule_id for rule_id in step.step.blocked_by if rule_id in blocks)
                if blocking:
                    found = i, blocking
                    break
            if len(self._blocking) < _SHAPES_KEPT:  # (at most 2**9 sets: always kept)
                self._blocking[blocks] = found
        return found

    def _block(self, blocks: frozenset[str]) -> tuple[int, Stop]:
        """The first step a rule of `blocks` blocks, and the stop there (FINE_TUNE past the
        last step)."""
        block_at, blocking = self.blocking(blocks)
        found = (block_at, self._passed if not blocking else Stop(
            DO_NOT_FINE_TUNE, self.steps[block_at].step.outcome, block_at, blocking))
        if len(self._blocks) < _SHAPES_KEPT:
            self._blocks[blocks] = found
        return found

    def _walk(self, shape: _Shape, fact: Fact, values_of: _ValuesOf,
              findings: tuple[Finding, ...],
              ) -> tuple[tuple[StepTaken, ...], str | None, tuple[str, ...]]:
        """The steps walked, the outcome (None when information is missing) and the inputs
        missing."""
        steps = self.steps
        present = fact.keys()
        path: list[StepTaken] = []
        for i in range(shape.block_at):
            step = steps[i]
            if not step.inputs <= present:
                missing = step.missing(fact)
                if missing:
                    # Up to the step that blocks (if one does): the inputs of the steps after
                    # it cannot change the verdict, so they are not asked for.
                    for later in steps[i + 1:shape.block_at]:
                        missing += [m for m in later.missing(fact) if m not in missing]
                    return tuple(path), None, tuple(missing)
            path.append(step.passed_for(fact, values_of))
        if not shape.blocking:
            return tuple(path), self._final_outcome, ()
        blocked = steps[shape.block_at]
        messages = {f.rule_id: f.message for f in findings}
        path.append(blocked.taken(False, " ".join([messages[r] for r in shape.blocking])))
        return tuple(path), blocked.step.outcome, ()

    def _rank_alternatives(self, shape: _Shape, fired: frozenset[str], outcome: str | None,
                           domain: str) -> tuple[Any, ...]:
        """The alternatives whose triggers fired, most relevant first (module docstring); each
        a whole Alternative when its rationale is fixed, else (kind, the rationale's parts,
        details, rule ids: _PendingAlternative). Kept in the shape for the next profile with the
        same rules, and for any set of fired rules with the same triggers."""
        triggers = fired & self._trigger_keys
        key = (triggers, outcome, domain)
        found = self._ranked.get(key)
        if found is not None:
            shape.alternatives[(outcome, domain)] = found
            return found
        # Each alternative's entry by the triggers of it that held (and the domain): a few
        # hundred at most, so that a set of triggers never seen before is ranked from them.
        ranked = []
        entries_of = self._entries
        for index in {i for rule_id in triggers for i in self._triggered_by[rule_id]}:
            alt = self._alternatives[index]
            held_key = (index, tuple([t.key for t in alt.triggers if t.key in triggers]), domain)
            entry = entries_of.get(held_key)
            if entry is None:
                entry = entries_of[held_key] = self._entry(index, alt, held_key[1], domain)
            ranked.append((outcome not in alt.leaf_outcomes, entry[0], index, entry[1]))
        ranked.sort()  # (the index tells any two apart: the entries are never compared)
        entries = [item[3] for item in ranked]
        found = tuple(entries)
        shape.alternatives[(outcome, domain)] = found
        if len(self._ranked) >= self._shapes_kept:
            self._ranked.clear()
        self._ranked[key] = found
        return found

    def _entry(self, index: int, alt: _AlternativeSpec, held_keys: tuple[str, ...],
               domain: str) -> tuple[int, Any]:
        """Alternative `index` when the triggers `held_keys` held: the rank of its earliest
        finding (the findings' order: a trigger's rank among the finding rules orders as its
        position among the findings of any shape), and the whole Alternative when its
        rationale is fixed, else its _PendingAlternative."""
        held = [t for t in alt.triggers if t.key in held_keys]
        rank = self._finding_rank
        first = min((rank[t.key] for t in held if t.key in rank), default=len(rank))
        details = alt.details.get(domain) or alt.details[""]
        if all(t.text is not None for t in held):
            return first, Alternative(alt.kind, " ".join(t.text for t in held),  # type: ignore[misc]
                                      details, held_keys)
        return first, self._pending_alternative(index, alt, held, details)

    def _pending_alternative(self, index: int, alt: _AlternativeSpec, held: list[_Trigger],
                             details: tuple[str, ...]) -> _PendingAlternative:
        """The one _PendingAlternative of alternative `index` with these triggers and details:
        shared by every shape that has it, so that the texts it keeps (at most _RENDERED_KEPT)
        are kept once, however many sets of fired rules come."""
        key = (index, tuple(t.key for t in held), details)
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = _PendingAlternative(alt.kind, held, details,
                                                               self._templates)
        return pending

    def _roi(self, fact: Fact) -> Roi:
        """Each ROI figure the fact has; whether the ROI is likely positive, when decidable."""
        monthly, break_even = fact.get("monthly_savings_usd"), fact.get("break_even_months")
        retraining = fact.get("annual_retraining_cost_usd")
        runs = fact.get("retraining_runs_per_year")
        get = fact.get
        return Roi(
            monthly_savings_usd=None if monthly is None else float(monthly),
            break_even_months=None if break_even is None else float(break_even),
            annual_retraining_cost_usd=None if retraining is None else float(retraining),
            likely_positive=roi_likely_positive(fact, self.ruleset.thresholds),
            retraining_runs_per_year=None if runs is None else int(runs),
            net_monthly_savings_usd=get("net_monthly_savings_usd"),
            net_break_even_months=get("net_break_even_months"),
            net_value_one_year_usd=get("net_value_one_year_usd"),
            net_value_three_years_usd=get("net_value_three_years_usd"),
            never_breaks_even=get("never_breaks_even"),
            positive_roi_criteria=get("positive_roi_criteria_text", ""))


def _reads_to_step(rs: RuleSet) -> tuple[frozenset[str], ...]:
    """Per step, the facts that decide whether a walk gets past it: those the rules that block
    it or an earlier step read and those the requirements of these steps name or test, each with
    every fact compared with it (directly or through others: the doubles the rules are matched
    over are ordered within such groups, engine/ordering.py)."""
    rules = {r.id: r for r in rs.rules}
    linked: dict[str, set[str]] = {}
    for rule in rs.rules:
        for leaf in _leaves(rule.when):
            names = set(facts_of(leaf))
            if len(names) > 1:
                group = set().union(*(linked.get(n, {n}) for n in names))
                for n in group:
                    linked[n] = group
    out: list[frozenset[str]] = []
    reads: set[str] = set()
    for step in rs.steps:
        for rule_id in step.blocked_by:
            reads.update(facts_of(rules[rule_id].when))
        for req in step.requires:
            reads.update(n for group in req.groups for n in group)
            if req.when is not None:
                reads.update(facts_of(req.when))
        out.append(frozenset().union(*(linked.get(n, {n}) for n in reads)))
    return tuple(out)


def _leaves(cond: dict[str, Any]) -> Iterator[dict[str, Any]]:
    parts = cond.get("all", cond.get("any"))
    if parts is None:
        yield cond
        return
    for part in parts:
        yield from _leaves(part)


def _plan(rs: RuleSet) -> Plan:
    p = rs.plan
    return Plan(
        lora=LoraConfig(r=p.lora["r"], lora_alpha=p.lora["lora_alpha"],
                        target_modules=tuple(p.lora["target_modules"]),
                        lora_dropout=p.lora["lora_dropout"]),
        validation_tasks=p.validation_tasks,
        degradation_tolerance=rs.thresholds["degradation_tolerance"],
        metrics=p.metrics,
        year_one_costs=tuple(CostItem(item, low, high) for item, low, high in p.year_one_costs),
        year_one_cost_low_usd=p.year_one_total[0],
        year_one_cost_high_usd=p.year_one_total[1],
        recommendations=p.recommendations,
    )
