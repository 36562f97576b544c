"""Fired rules + fact → the Assessment message: findings, the tree walk, alternatives, ROI, plan.

The answer is built as the `ftgate.v1.Assessment` message itself (the contract's type, not a
gRPC one): building domain objects and then copying them into messages cost twice
(docs/performance.md). An `Assembler` is built once per ruleset and holds everything that does
not depend on the profile — each rule's fixed fields as message arguments, enum numbers, the tree
steps, the triggers of each alternative, the plan message — so that an evaluation only renders
the texts of what fired.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list):
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


class _FindingRule:
    """A failure-mode rule as the assembler uses it: its fixed fields, ready to pass on."""

    __slots__ = ("evidence", "fixed", "id", "message", "recommendation")

    def __init__(self, rule: Any) -> None:
        self.id: str = rule.id
        self.message: str = rule.message
        self.recommendation: str = rule.recommendation
        self.evidence: tuple[str, ...] = rule.evidence
        self.fixed = {"rule_id": rule.id, "title": rule.title, "citation": rule.citation,
                      "failure_mode": number(pb.FailureMode, rule.failure_mode),
                      "severity": number(pb.Severity, rule.severity)}


class Assembler:
    """Builds the deterministic Assessment of one evaluation under one ruleset."""

    def __init__(self, rs: RuleSet) -> None:
        self.rs = rs
        order = {r.id: i for i, r in enumerate(rs.rules)}
        rules = {r.id: r for r in rs.rules}
        # Findings come out by tree step, then severity, then file order: a fixed order.
        self._fm_rules = tuple(_FindingRule(r) for r in sorted(
            (r for r in rs.rules if r.failure_mode),
            key=lambda r: (r.step, SEVERITY_RANK[r.severity or "INFO"], order[r.id]),
        ))
        self._steps = tuple(
            (step,
             tuple((r, rules[r].message) for r in step.blocked_by if r in rules),
             frozenset(n for groups in step.requires for g in groups for n in g),
             {"step": step.step, "question": step.question, "answer": step.answer_when_blocked},
             {"step": step.step, "question": step.question,
              "answer": not step.answer_when_blocked},
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
        self._alternatives = tuple(
            (number(pb.AlternativeKind, spec.kind),
             tuple((t.finding or t.rule_id or "", t.rationale) for t in spec.triggers),
             spec.details, dict(spec.details_by_domain),
             frozenset(number(pb.Outcome, o) for o in spec.leaf_outcomes))
            for spec in rs.alternatives
        )
        self._plan = _plan(rs)  # copied into every FINE_TUNE answer

    def assemble(self, fact: Fact, fired_ids: Iterable[str], decision_id: str,
                 project_name: str) -> pb.Assessment:
        rs = self.rs
        fired = set(fired_ids)
        values = _Values(rs.thresholds)
        values.update(fact)
        out = pb.Assessment(decision_id=decision_id, project_name=project_name,
                            ruleset_version=rs.version)
        messages: dict[str, str] = {}  # rule id → rendered message, in finding order
        add_finding = out.findings.add
        for r in self._fm_rules:
            if r.id not in fired:
                continue
            message = messages[r.id] = r.message.format_map(values)
            finding = add_finding(message=message,
                                  recommendation=r.recommendation.format_map(values), **r.fixed)
            add_evidence = finding.evidence.add
            for name in r.evidence:
                if name in values:
                    add_evidence(name=name, value=plain(values[name]))
        outcome = self._walk(out, fired, values, fact, messages)
        out.outcome = outcome
        if not outcome:
            out.verdict = NEEDS_INFORMATION
        elif outcome == self._final_outcome:
            out.verdict = FINE_TUNE
            out.plan.CopyFrom(self._plan)
        else:
            out.verdict = DO_NOT_FINE_TUNE
        self._add_alternatives(out, fired, messages, outcome, values, fact)
        roi = out.roi
        roi.SetInParent()  # present even when no figure is computable
        for name, value in roi_fields(fact, rs.thresholds):
            setattr(roi, name, value)
        return out

    def _walk(self, out: pb.Assessment, fired: set[str], values: _Values, fact: Fact,
              messages: dict[str, str]) -> pb.Outcome.ValueType:
        """Add the steps walked to `out`; the outcome's number, 0 when information is missing."""
        add_step = out.decision_path.add
        steps = self.rs.steps
        present = fact.keys()
        for i, (step, blocked_by, inputs, blocked, passed, outcome) in enumerate(self._steps):
            blocking = [(r, m) for r, m in blocked_by if r in fired]
            if blocking:
                reason = " ".join(messages.get(r) or m.format_map(values) for r, m in blocking)
                add_step(reason=reason, **blocked)
                return outcome  # type: ignore[no-any-return]
            # Fast path: every input of every group of the step is present (the usual case).
            missing = [] if inputs <= present else _missing(step, fact)
            if missing:
                for later in steps[i + 1:]:
                    missing += [m for m in _missing(later, fact) if m not in missing]
                out.missing_fields.extend(missing)
                return pb.OUTCOME_UNSPECIFIED
            add_step(reason=step.pass_reason.format_map(values), **passed)
        return self._final_outcome

    def _add_alternatives(self, out: pb.Assessment, fired: set[str], messages: dict[str, str],
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
            kind, triggers, details, by_domain, leaves = self._alternatives[index]
            held = [(key, rationale) for key, rationale in triggers if key in fired]
            if not held:
                continue
            first = min((position[key] for key, _ in held if key in position),
                        default=len(position))
            ranked.append(((outcome not in leaves, first, index), kind, held,
                           details + by_domain.get(domain, ())))
        ranked.sort(key=lambda entry: entry[0])
        add_alternative = out.alternatives.add
        for _, kind, held, all_details in ranked:
            add_alternative(kind=kind,
                            rationale=" ".join(r.format_map(values) for _, r in held),
                            details=all_details, rule_ids=[key for key, _ in held])


def assemble(rs: RuleSet, fact: Fact, fired_ids: Iterable[str], decision_id: str,
             project_name: str) -> pb.Assessment:
    """Build the deterministic Assessment of one evaluation (builds a one-off Assembler)."""
    return Assembler(rs).assemble(fact, fired_ids, decision_id, project_name)
