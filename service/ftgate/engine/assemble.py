"""Fired rules + fact → the Assessment: findings, the tree walk, alternatives, ROI, plan.

The answer is the `ftgate.v1.Assessment` message itself (the contract's type, not a gRPC one),
written in its wire format (`Assembler.encode`, which the server sends as it is) and parsed into
the message for in-process callers (`Assembler.assemble`): building domain objects and then
copying them into messages cost twice (docs/performance.md). An `Assembler` is built once per
ruleset and holds everything that does not depend on the profile — each rule's fixed fields
encoded, enum numbers, the tree steps, the triggers of each alternative, the plan — and, per set
of fired rules, a `_Plan` of the answer's shape, so that an evaluation only renders and encodes
the texts of what fired.
"""

from __future__ import annotations

import string
import struct
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from google.protobuf import descriptor

from ftgate.engine.encode import ONE_BYTE as _ONE_BYTE
from ftgate.engine.encode import field, fixed, tag, text, varint
from ftgate.engine.facts import ROI_FIGURES, Fact, roi_likely_positive
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


def _values_type(thresholds: dict[str, Any]) -> type[dict[str, Any]]:
    """The mapping templates read: a copy of the fact that falls back to the thresholds, then
    to "unknown" (a fact shadows a threshold of the same name)."""
    get = dict(thresholds).get

    class Values(dict[str, Any]):
        __slots__ = ()

        def __missing__(self, key: str) -> Any:
            return get(key, _UNKNOWN)

    return Values


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


# Keys of the fields the assembler writes (engine/encode.py).
_FINDINGS, _PATH, _ALTERNATIVES, _MISSING, _PLAN, _ROI, _DECISION_ID, _PROJECT_NAME, _VERSION = (
    tag(pb.Assessment, f) for f in ("findings", "decision_path", "alternatives",
                                    "missing_fields", "plan", "roi", "decision_id",
                                    "project_name", "ruleset_version"))
_VERDICT, _OUTCOME = tag(pb.Assessment, "verdict", 0), tag(pb.Assessment, "outcome", 0)
_MESSAGE, _RECOMMENDATION, _EVIDENCE = (
    tag(pb.Finding, f) for f in ("message", "recommendation", "evidence"))
_EVIDENCE_VALUE = tag(pb.Evidence, "value")
_REASON = tag(pb.DecisionStep, "reason")
_RATIONALE, _RULE_IDS = tag(pb.Alternative, "rationale"), tag(pb.Alternative, "rule_ids")
_DOUBLE = struct.Struct("<d").pack
_FD = descriptor.FieldDescriptor


def _roi_encoders() -> dict[str, tuple[bytes, Callable[[Any], bytes]]]:
    """RoiAnalysis field name → its key and the encoder of its value (by the field's type)."""
    out: dict[str, tuple[bytes, Callable[[Any], bytes]]] = {}
    for f in pb.RoiAnalysis.DESCRIPTOR.fields:
        if f.type == _FD.TYPE_DOUBLE:
            out[f.name] = (tag(pb.RoiAnalysis, f.name, 1), _DOUBLE)
        elif f.type == _FD.TYPE_BOOL:
            out[f.name] = (tag(pb.RoiAnalysis, f.name, 0), lambda v: b"\x01" if v else b"\x00")
        elif f.type == _FD.TYPE_INT32:
            out[f.name] = (tag(pb.RoiAnalysis, f.name, 0),
                           lambda v: varint(int(v) & 0xFFFFFFFFFFFFFFFF))
        else:  # pragma: no cover - a field type the encoder does not know
            raise TypeError(f"RoiAnalysis.{f.name}: no encoder for field type {f.type}")
    return out


class _Texts:
    """Prepares the templates of one ruleset. A template that reads only thresholds is the same
    for every profile: it is rendered once, here (about half of them: every recommendation, the
    fixed messages and rationales). In the others, the thresholds are rendered in once, so that
    an evaluation formats the facts only."""

    def __init__(self, thresholds: dict[str, Any]) -> None:
        self.thresholds = thresholds
        self.values_type = _values_type(thresholds)
        self.values = self.values_type()  # the thresholds alone
        self._fixed_names = frozenset(n for n in thresholds if n not in FACTS)

    def fixed(self, template: str) -> str | None:
        """The text of a template that reads no fact, else None."""
        names = {name for _, name, _, _ in _FORMATTER.parse(template) if name}
        return template.format_map(self.values) if names <= self._fixed_names else None

    def bind(self, template: str) -> str:
        """`template` with the fields that read a threshold (not shadowed by a fact) already
        rendered: the same text for any values, formatted faster."""
        out: list[str] = []
        for literal, name, spec, conversion in _FORMATTER.parse(template):
            out.append(_escape(literal))
            if name is None:
                continue
            whole = "{" + name + (f"!{conversion}" if conversion else "") + (
                f":{spec}" if spec else "") + "}"
            if name in self._fixed_names and "{" not in (spec or ""):
                out.append(_escape(whole.format_map(self.values)))
            else:
                out.append(whole)
        return "".join(out)

    def is_fixed(self, name: str) -> bool:
        return name in self._fixed_names


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


_FORMATTER = string.Formatter()


class _FindingRule:
    """A failure-mode rule as the assembler uses it: everything that does not depend on the
    profile already encoded (fixed fields and texts, evidence read from thresholds); `whole`,
    the whole finding, when nothing in it does."""

    __slots__ = ("evidence", "head", "id", "kind", "message", "message_text", "recommendation",
                 "whole")

    def __init__(self, rule: Any, texts: _Texts) -> None:
        self.id: str = rule.id
        self.message_text = texts.fixed(rule.message)  # None: rendered for each profile
        self.message: str = texts.bind(rule.message)
        recommendation = texts.fixed(rule.recommendation)
        self.recommendation = None if recommendation is not None else texts.bind(
            rule.recommendation)
        self.kind = (number(pb.FailureMode, rule.failure_mode), number(pb.Severity, rule.severity))
        self.head = fixed(pb.Finding(
            rule_id=rule.id, title=rule.title, citation=rule.citation,
            failure_mode=self.kind[0], severity=self.kind[1],
            message=self.message_text or "", recommendation=recommendation or ""))
        # In order: an evidence item read from the thresholds, encoded; or the name of a fact,
        # the encoded item up to its value, and whether a threshold of that name stands in
        # when the fact is absent.
        self.evidence: tuple[Any, ...] = tuple(
            field(_EVIDENCE, fixed(pb.Evidence(name=name,
                                               value=plain(texts.values[name]))))
            if texts.is_fixed(name) else
            (name, fixed(pb.Evidence(name=name)) + _EVIDENCE_VALUE, name in texts.thresholds)
            for name in rule.evidence)
        self.whole = (field(_FINDINGS, self.head + b"".join(self.evidence))
                      if self.message_text is not None and self.recommendation is None
                      and all(type(e) is bytes for e in self.evidence) else None)


class _Step:
    """A tree step as the walk uses it: its inputs, and the encoded step when it passes (whole
    when its reason is fixed, else up to the reason, with the reason's template)."""

    __slots__ = ("inputs", "passed", "passed_head", "passed_reason", "step")

    def __init__(self, step: TreeStep, texts: _Texts) -> None:
        self.step = step
        # The first group of each requirement: when all are present, nothing is missing (the
        # usual case, tested first); else `_missing` looks at the other groups.
        self.inputs = frozenset(n for groups in step.requires for n in groups[0])
        self.passed_head = fixed(pb.DecisionStep(step=step.step, question=step.question,
                                                 answer=not step.answer_when_blocked))
        reason = texts.fixed(step.pass_reason)
        self.passed = None if reason is None else field(_PATH, self.passed_head
                                                        + text(_REASON, reason))
        self.passed_reason = texts.bind(step.pass_reason)


class _Plan:
    """What an Assessment looks like for one set of fired rules, whatever the values: the
    findings in order, where the walk stops, and the alternatives for each (outcome, domain).
    Worked out once per set of fired rules (the Assembler keeps a bounded number of them)."""

    __slots__ = ("alternatives", "block_at", "blocked", "findings", "kinds", "position")

    def __init__(self, assembler: Assembler, fired: frozenset[str]) -> None:
        self.findings = tuple(r for r in assembler._fm_rules if r.id in fired)
        self.kinds = tuple(r.kind for r in self.findings)
        self.position = {r.id: i for i, r in enumerate(self.findings)}
        steps = assembler._steps
        self.block_at = len(steps)
        # At the first blocked step: its encoded head, the reason's parts (rule id, the fixed
        # text or None, the template), its outcome.
        self.blocked: tuple[bytes, tuple[tuple[str, str | None, str], ...], int] | None = None
        for i, (blocked_by, head, outcome) in enumerate(assembler._blocks):
            blocking = tuple(entry for entry in blocked_by if entry[0] in fired)
            if blocking:
                self.block_at, self.blocked = i, (head, blocking, outcome)
                break
        self.alternatives: dict[tuple[int, str], tuple[Any, ...]] = {}

    def alternatives_for(self, assembler: Assembler, fired: frozenset[str], outcome: int,
                         domain: str) -> tuple[Any, ...]:
        """The alternatives whose triggers fired, most relevant first: those proposed for the
        tree's outcome, then by their first finding, then in file order. Each is encoded whole
        when its rationale is fixed, else kept as (head, the rationale's parts, the rule ids)."""
        candidates = sorted({i for rule_id in fired
                             for i in assembler._triggered_by.get(rule_id, ())})
        position = self.position
        ranked = []
        for index in candidates:
            by_domain, triggers, leaves = assembler._alternatives[index]
            held = [(key, rendered, template) for key, rendered, template in triggers
                    if key in fired]
            if not held:
                continue
            first = min((position[key] for key, _, _ in held if key in position),
                        default=len(position))
            ranked.append(((outcome not in leaves, first, index),
                           by_domain.get(domain) or by_domain[""], held))
        ranked.sort(key=lambda entry: entry[0])
        entries: list[Any] = []
        for _, head, held in ranked:
            ids = b"".join(text(_RULE_IDS, key) for key, _, _ in held)
            if all(rendered is not None for _, rendered, _ in held):
                rationale = " ".join(rendered for _, rendered, _ in held)  # type: ignore[misc]
                entries.append(field(_ALTERNATIVES, head + text(_RATIONALE, rationale) + ids))
            else:
                entries.append((head, tuple((rendered, template) for _, rendered, template
                                            in held), ids))
        found = tuple(entries)
        self.alternatives[(outcome, domain)] = found
        return found


class Encoded(NamedTuple):
    """An Assessment as the service sends it: `body`, every field but the decision id, in wire
    format (`encode_decision_id(id) + body` is the whole message); and what the service counts
    and logs of it, without parsing it."""

    body: bytes
    verdict: int
    outcome: int
    findings: tuple[tuple[int, int], ...]  # each finding's failure mode and severity


def encode_decision_id(decision_id: str) -> bytes:
    """The Assessment's decision_id field, encoded (to put before an `Encoded.body`)."""
    return text(_DECISION_ID, decision_id)


_PLANS_KEPT = 4096  # sets of fired rules whose plan is kept, per ruleset


class Assembler:
    """Builds the deterministic Assessment of one evaluation under one ruleset."""

    def __init__(self, rs: RuleSet) -> None:
        self.rs = rs
        order = {r.id: i for i, r in enumerate(rs.rules)}
        rules = {r.id: r for r in rs.rules}
        texts = _Texts(rs.thresholds)
        self._values = texts.values_type
        # Findings come out by tree step, then severity, then file order: a fixed order.
        self._fm_rules = tuple(_FindingRule(r, texts) for r in sorted(
            (r for r in rs.rules if r.failure_mode),
            key=lambda r: (r.step, SEVERITY_RANK[r.severity or "INFO"], order[r.id]),
        ))
        fm_rules = {r.id: r for r in self._fm_rules}
        self._steps = tuple(_Step(step, texts) for step in rs.steps)
        # Per step: the rules that block it (rule id; the message when it is fixed, else None,
        # and then the rendered finding's message stands in, or the template for a rule with
        # no finding), the encoded step when blocked, its outcome's number.
        self._blocks = tuple(
            (tuple((r, fm_rules[r].message_text if r in fm_rules else None,
                    texts.bind(rules[r].message)) for r in step.blocked_by if r in rules),
             fixed(pb.DecisionStep(step=step.step, question=step.question,
                                   answer=step.answer_when_blocked)),
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
        # encoded; the triggers (rule id, the fixed rationale or None, the template); the
        # outcomes it is proposed for.
        self._alternatives = tuple(
            ({domain: fixed(pb.Alternative(kind=number(pb.AlternativeKind, spec.kind),
                                           details=spec.details + extra))
              for domain, extra in (("", ()), *spec.details_by_domain)},
             tuple((t.finding or t.rule_id or "", texts.fixed(t.rationale),
                    texts.bind(t.rationale)) for t in spec.triggers),
             frozenset(number(pb.Outcome, o) for o in spec.leaf_outcomes))
            for spec in rs.alternatives
        )
        self._plan = field(_PLAN, fixed(_plan(rs)))  # in every FINE_TUNE answer
        self._version = text(_VERSION, rs.version) if rs.version else b""
        self._verdicts = {v: _VERDICT + varint(v)
                          for v in (FINE_TUNE, DO_NOT_FINE_TUNE, NEEDS_INFORMATION)}
        self._outcomes = {o: _OUTCOME + varint(o) for o in pb.Outcome.values() if o}
        roi = _roi_encoders()
        self._roi_figures = tuple((name, *roi[name]) for name in ROI_FIGURES)
        self._likely = {v: roi["likely_positive"][0] + roi["likely_positive"][1](v)
                        for v in (True, False)}
        self._plans: dict[frozenset[str], _Plan] = {}
        self._plans_kept = _PLANS_KEPT

    def _plan_of(self, fired: frozenset[str]) -> _Plan:
        plan = self._plans.get(fired)
        if plan is None:
            plan = _Plan(self, fired)
            if len(self._plans) < self._plans_kept:
                self._plans[fired] = plan
        return plan

    def assemble(self, fact: Fact, fired_ids: Iterable[str], decision_id: str,
                 project_name: str, into: pb.Assessment | None = None) -> pb.Assessment:
        """The Assessment, written into `into` when given (an empty message, e.g. the field of
        a response: filling it in place saves copying the answer into the response)."""
        out = pb.Assessment() if into is None else into
        out.MergeFromString(encode_decision_id(decision_id)
                            + self.encode(fact, fired_ids, project_name).body)
        return out

    def encode(self, fact: Fact, fired_ids: Iterable[str], project_name: str) -> Encoded:
        """The Assessment's fields but its decision id, encoded, with what the service counts
        and logs of it."""
        fired = frozenset(fired_ids)
        plan = self._plan_of(fired)
        values = self._values(fact)
        parts: list[bytes] = [self._version]
        if project_name:
            parts.append(text(_PROJECT_NAME, project_name))
        messages: dict[str, str] = {}  # rule id → rendered message (of templated ones)
        for r in plan.findings:
            if r.whole is not None:
                parts.append(r.whole)
                continue
            finding = [r.head]
            if r.message_text is None:
                message = messages[r.id] = r.message.format_map(values)
                finding.append(text(_MESSAGE, message))
            if r.recommendation is not None:
                finding.append(text(_RECOMMENDATION, r.recommendation.format_map(values)))
            for item in r.evidence:
                if type(item) is bytes:
                    finding.append(item)
                elif item[2] or item[0] in fact:  # the most frequent field: encoded inline
                    name, head, _ = item
                    value = values[name]
                    value = (value if type(value) is str else plain(value)).encode()
                    size = len(value)
                    whole = len(head) + 1 + size
                    finding.append(_EVIDENCE + _ONE_BYTE[whole] + head + _ONE_BYTE[size] + value
                                   if whole < 128 else
                                   field(_EVIDENCE, head + varint(size) + value))
            parts.append(field(_FINDINGS, b"".join(finding)))
        outcome = self._walk(parts, plan, values, fact, messages)
        if not outcome:
            verdict = NEEDS_INFORMATION
        else:
            parts.append(self._outcomes[outcome])
            if outcome == self._final_outcome:
                verdict = FINE_TUNE
                parts.append(self._plan)
            else:
                verdict = DO_NOT_FINE_TUNE
        parts.append(self._verdicts[verdict])
        domain = fact.get("domain", "")
        alternatives = plan.alternatives.get((outcome, domain))
        if alternatives is None:
            alternatives = plan.alternatives_for(self, fired, outcome, domain)
        for entry in alternatives:
            if type(entry) is bytes:
                parts.append(entry)
            else:
                head, pieces, ids = entry
                rationale = " ".join([rendered or template.format_map(values)
                                      for rendered, template in pieces])
                parts.append(field(_ALTERNATIVES, head + text(_RATIONALE, rationale) + ids))
        parts.append(self._roi_field(fact))
        return Encoded(b"".join(parts), verdict, outcome, plan.kinds)

    def _roi_field(self, fact: Fact) -> bytes:
        """The RoiAnalysis, encoded: each figure when computable, likely_positive when
        decidable; present even when empty."""
        data = b""
        for name, key, encode in self._roi_figures:
            value = fact.get(name)
            if value is not None:
                data += key + encode(value)
        likely = roi_likely_positive(fact, self.rs.thresholds)
        if likely is not None:
            data += self._likely[likely]
        return _ROI + _ONE_BYTE[len(data)] + data if len(data) < 128 else field(_ROI, data)

    def _walk(self, parts: list[bytes], plan: _Plan, values: dict[str, Any], fact: Fact,
              messages: dict[str, str]) -> pb.Outcome.ValueType:
        """Add the steps walked (and the missing fields) to `parts`; the outcome's number, 0
        when information is missing."""
        steps = self._steps
        present = fact.keys()
        for i in range(plan.block_at):
            step = steps[i]
            if not step.inputs <= present:
                missing = _missing(step.step, fact)
                if missing:
                    for later in steps[i + 1:]:
                        missing += [m for m in _missing(later.step, fact) if m not in missing]
                    parts += [text(_MISSING, m) for m in missing]
                    return pb.OUTCOME_UNSPECIFIED
            parts.append(step.passed or field(_PATH, step.passed_head + text(
                _REASON, step.passed_reason.format_map(values))))
        if plan.blocked is None:
            return self._final_outcome
        head, blocking, outcome = plan.blocked
        reason = " ".join([rendered or messages.get(rule_id) or template.format_map(values)
                           for rule_id, rendered, template in blocking])
        parts.append(field(_PATH, head + text(_REASON, reason)))
        return outcome  # type: ignore[return-value]
