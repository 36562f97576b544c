"""Fired rules + fact → the Assessment message: findings, the tree walk, alternatives, ROI, plan.

The answer is built as the `ftgate.v1.Assessment` message itself (the contract's type, not a
gRPC one): building domain objects and then copying them into messages cost twice
(docs/performance.md). An `Assembler` is built once per ruleset and holds everything that does
not depend on the profile — each rule's fixed fields as message arguments, enum numbers, the tree
steps, the triggers of each alternative, the plan message — so that an evaluation only renders
the texts of what fired.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from typing import Any

from ftgate.engine.encode import ONE_BYTE as _ONE_BYTE
from ftgate.engine.encode import field, fixed, tag, text, varint
from ftgate.engine.facts import Fact, roi_fields
from ftgate.enums import number
from ftgate.ruleset.model import RuleSet, TreeStep
from ftgate.ruleset.vocabulary import FACTS
from ftgate.v1 import advisor_pb2 as pb

SEVERITY_RANK = {"BLOCKER": 0, "WARNING": 1, "INFO": 2}
FINE_TUNE = pb.VERDICT_FINE_TUNE
DO_NOT_FINE_TUNE = pb.VERDICT_DO_NOT_FINE_TUNE
NEEDS_INFORMATION = pb.VERDICT_NEEDS_INFORMATION


class _Unknown:
    def __format__(self, spec: str) -> str:
        return "unknown"


_UNKNOWN = _Unknown()


class _Values(dict[str, Any]):
    """The thresholds overlaid with the fact, as one mapping for templates; absent → unknown."""

    def __missing__(self, key: str) -> Any:
        return _UNKNOWN


def plain(value: Any) -> str:
    """A value as evidence text: 0.002 · 15000 · true · OFF_TOPIC_ANSWERS, HIGH_LATENCY."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is bool:
        return "true" if value else "false"
    if kind is float:
        return str(int(value)) if value.is_integer() else repr(value)
    if kind is list:
        return ", ".join(map(str, value))
    return str(value)


def _missing(step: TreeStep, fact: Fact) -> list[str]:
    missing: list[str] = []
    for groups in step.requires:
        if any(all(name in fact for name in group) for group in groups):
            continue
        missing += [FACTS[n].path or n for n in groups[0] if n not in fact]
    return missing


def _plan(rs: RuleSet) -> pb.FineTuningPlan:
    p = rs.plan
    return pb.FineTuningPlan(
        lora=pb.LoraConfig(r=p.lora["r"], lora_alpha=p.lora["lora_alpha"],
                           target_modules=p.lora["target_modules"],
                           lora_dropout=p.lora["lora_dropout"]),
        validation_tasks=p.validation_tasks,
        degradation_tolerance=rs.thresholds["degradation_tolerance"],
        metrics=p.metrics,
        year_one_costs=[pb.CostItem(item=item, low_usd=low, high_usd=high)
                        for item, low, high in p.year_one_costs],
        year_one_cost_low_usd=p.year_one_total[0],
        year_one_cost_high_usd=p.year_one_total[1],
        recommendations=p.recommendations,
    )


# Keys of the length-delimited fields the assembler writes (engine/encode.py).
_FINDINGS, _PATH, _ALTERNATIVES, _MISSING, _PLAN = (
    tag(pb.Assessment, f) for f in ("findings", "decision_path", "alternatives",
                                    "missing_fields", "plan"))
_MESSAGE, _RECOMMENDATION, _EVIDENCE = (
    tag(pb.Finding, f) for f in ("message", "recommendation", "evidence"))
_EVIDENCE_VALUE = tag(pb.Evidence, "value")
_REASON = tag(pb.DecisionStep, "reason")
_RATIONALE, _RULE_IDS = tag(pb.Alternative, "rationale"), tag(pb.Alternative, "rule_ids")


class _Texts:
    """Renders the templates of one ruleset. A template that reads only thresholds is the same
    for every profile: it is rendered once, here (about half of them: every recommendation, the
    fixed messages and rationales)."""

    def __init__(self, thresholds: dict[str, Any]) -> None:
        self.thresholds = _Values(thresholds)
        self._fixed_names = frozenset(n for n in thresholds if n not in FACTS)

    def fixed(self, template: str) -> str | None:
        """The text of a template that reads no fact, else None."""
        names = {name for _, name, _, _ in _FORMATTER.parse(template) if name}
        return template.format_map(self.thresholds) if names <= self._fixed_names else None

    def is_fixed(self, name: str) -> bool:
        return name in self._fixed_names


_FORMATTER = string.Formatter()


class _FindingRule:
    """A failure-mode rule as the assembler uses it: everything that does not depend on the
    profile already encoded (fixed fields and texts, evidence read from thresholds)."""

    __slots__ = ("evidence", "head", "id", "message", "message_text", "recommendation")

    def __init__(self, rule: Any, texts: _Texts) -> None:
        self.id: str = rule.id
        self.message_text = texts.fixed(rule.message)  # None: rendered for each profile
        self.message: str = rule.message
        recommendation = texts.fixed(rule.recommendation)
        self.recommendation = None if recommendation is not None else rule.recommendation
        self.head = fixed(pb.Finding(
            rule_id=rule.id, title=rule.title, citation=rule.citation,
            failure_mode=number(pb.FailureMode, rule.failure_mode),
            severity=number(pb.Severity, rule.severity),
            message=self.message_text or "", recommendation=recommendation or ""))
        # In order: an evidence item read from the thresholds, encoded; or the name of a fact
        # and the encoded item up to its value.
        self.evidence: tuple[Any, ...] = tuple(
            field(_EVIDENCE, fixed(pb.Evidence(name=name,
                                               value=plain(texts.thresholds[name]))))
            if texts.is_fixed(name) else (name, fixed(pb.Evidence(name=name)) + _EVIDENCE_VALUE)
            for name in rule.evidence)


class Assembler:
    """Builds the deterministic Assessment of one evaluation under one ruleset."""

    def __init__(self, rs: RuleSet) -> None:
        self.rs = rs
        order = {r.id: i for i, r in enumerate(rs.rules)}
        rules = {r.id: r for r in rs.rules}
        texts = _Texts(rs.thresholds)
        # Findings come out by tree step, then severity, then file order: a fixed order.
        self._fm_rules = tuple(_FindingRule(r, texts) for r in sorted(
            (r for r in rs.rules if r.failure_mode),
            key=lambda r: (r.step, SEVERITY_RANK[r.severity or "INFO"], order[r.id]),
        ))
        self._steps = tuple(
            (step,
             tuple((r, rules[r].message) for r in step.blocked_by if r in rules),
             frozenset(n for groups in step.requires for g in groups for n in g),
             fixed(pb.DecisionStep(step=step.step, question=step.question,
                                   answer=step.answer_when_blocked)),
             fixed(pb.DecisionStep(step=step.step, question=step.question,
                                   answer=not step.answer_when_blocked)),
             texts.fixed(step.pass_reason),
             number(pb.Outcome, step.outcome))
            for step in rs.steps)
        self._final_outcome: pb.Outcome.ValueType = number(pb.Outcome, rs.final_outcome)
        # rule id → the alternatives it triggers, so that only fired rules are looked at.
        self._triggered_by: dict[str, list[int]] = {}
        for index, spec in enumerate(rs.alternatives):
            for t in spec.triggers:
                key = t.finding or t.rule_id
                if key and index not in self._triggered_by.setdefault(key, []):
                    self._triggered_by[key].append(index)
        # Per alternative: its kind with the details for each domain (the general ones first),
        # encoded; the triggers; the outcomes it is proposed for.
        self._alternatives = tuple(
            ({domain: fixed(pb.Alternative(kind=number(pb.AlternativeKind, spec.kind),
                                           details=spec.details + extra))
              for domain, extra in (("", ()), *spec.details_by_domain)},
             tuple((t.finding or t.rule_id or "", texts.fixed(t.rationale), t.rationale)
                   for t in spec.triggers),
             frozenset(number(pb.Outcome, o) for o in spec.leaf_outcomes))
            for spec in rs.alternatives
        )
        self._plan = field(_PLAN, fixed(_plan(rs)))  # in every FINE_TUNE answer

    def assemble(self, fact: Fact, fired_ids: Iterable[str], decision_id: str,
                 project_name: str, into: pb.Assessment | None = None) -> pb.Assessment:
        """The Assessment, written into `into` when given (an empty message, e.g. the field of
        a response: filling it in place saves copying the answer into the response)."""
        rs = self.rs
        fired = set(fired_ids)
        values = _Values(rs.thresholds)
        values.update(fact)
        parts: list[bytes] = []  # the Assessment's repeated and sub-message fields, encoded
        messages: dict[str, str] = {}  # rule id → rendered message, in finding order
        for r in self._fm_rules:
            if r.id not in fired:
                continue
            finding = [r.head]
            if r.message_text is None:
                message = messages[r.id] = r.message.format_map(values)
                finding.append(text(_MESSAGE, message))
            else:
                messages[r.id] = r.message_text
            if r.recommendation is not None:
                finding.append(text(_RECOMMENDATION, r.recommendation.format_map(values)))
            for item in r.evidence:
                if type(item) is bytes:
                    finding.append(item)
                elif item[0] in values:  # the most frequent field: encoded inline
                    name, head = item
                    value = plain(values[name]).encode()
                    size = len(value)
                    whole = len(head) + 1 + size
                    finding.append(_EVIDENCE + _ONE_BYTE[whole] + head + _ONE_BYTE[size] + value
                                   if whole < 128 else
                                   field(_EVIDENCE, head + varint(size) + value))
            parts.append(field(_FINDINGS, b"".join(finding)))
        outcome = self._walk(parts, fired, values, fact, messages)
        if not outcome:
            verdict = NEEDS_INFORMATION
        elif outcome == self._final_outcome:
            verdict = FINE_TUNE
            parts.append(self._plan)
        else:
            verdict = DO_NOT_FINE_TUNE
        self._add_alternatives(parts, fired, messages, outcome, values, fact)
        out = pb.Assessment() if into is None else into
        out.MergeFromString(b"".join(parts))
        out.decision_id = decision_id
        out.project_name = project_name
        out.ruleset_version = rs.version
        out.verdict = verdict
        out.outcome = outcome
        roi = out.roi
        roi.SetInParent()  # present even when no figure is computable
        for name, value in roi_fields(fact, rs.thresholds):
            setattr(roi, name, value)
        return out

    def _walk(self, parts: list[bytes], fired: set[str], values: _Values, fact: Fact,
              messages: dict[str, str]) -> pb.Outcome.ValueType:
        """Add the steps walked (and the missing fields) to `parts`; the outcome's number, 0
        when information is missing."""
        steps = self.rs.steps
        present = fact.keys()
        for i, (step, blocked_by, inputs, blocked, passed, passed_reason, outcome) in enumerate(
                self._steps):
            blocking = [(r, m) for r, m in blocked_by if r in fired]
            if blocking:
                reason = " ".join(messages.get(r) or m.format_map(values) for r, m in blocking)
                parts.append(field(_PATH, blocked + text(_REASON, reason)))
                return outcome  # type: ignore[no-any-return]
            # Fast path: every input of every group of the step is present (the usual case).
            missing = [] if inputs <= present else _missing(step, fact)
            if missing:
                for later in steps[i + 1:]:
                    missing += [m for m in _missing(later, fact) if m not in missing]
                parts += [text(_MISSING, m) for m in missing]
                return pb.OUTCOME_UNSPECIFIED
            reason = passed_reason or step.pass_reason.format_map(values)
            parts.append(field(_PATH, passed + text(_REASON, reason)))
        return self._final_outcome

    def _add_alternatives(self, parts: list[bytes], fired: set[str], messages: dict[str, str],
                          outcome: pb.Outcome.ValueType, values: _Values, fact: Fact) -> None:
        """The alternatives whose triggers fired, most relevant first: those proposed for the
        tree's outcome, then by their first finding, then in file order."""
        candidates = sorted({i for rule_id in fired for i in self._triggered_by.get(rule_id, ())})
        if not candidates:
            return
        position = {rule_id: i for i, rule_id in enumerate(messages)}
        domain = fact.get("domain", "")
        ranked = []
        for index in candidates:
            by_domain, triggers, leaves = self._alternatives[index]
            held = [(key, rendered or template.format_map(values))
                    for key, rendered, template in triggers if key in fired]
            if not held:
                continue
            first = min((position[key] for key, _ in held if key in position),
                        default=len(position))
            ranked.append(((outcome not in leaves, first, index),
                           by_domain.get(domain) or by_domain[""], held))
        ranked.sort(key=lambda entry: entry[0])
        for _, head, held in ranked:
            rationale = " ".join(r for _, r in held)
            parts.append(field(_ALTERNATIVES, b"".join(
                [head, text(_RATIONALE, rationale), *(text(_RULE_IDS, key) for key, _ in held)])))


def assemble(rs: RuleSet, fact: Fact, fired_ids: Iterable[str], decision_id: str,
             project_name: str) -> pb.Assessment:
    """Build the deterministic Assessment of one evaluation (builds a one-off Assembler)."""
    return Assembler(rs).assemble(fact, fired_ids, decision_id, project_name)
