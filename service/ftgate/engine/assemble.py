"""Fired rules + fact → Assessment: findings, the tree walk, alternatives, ROI and plan.

An `Assembler` is built once per ruleset (rule look-ups, finding order, the plan) so that each
evaluation only renders the texts of what fired.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ftgate.domain.assessment import (
    VERDICT_DO_NOT_FINE_TUNE,
    VERDICT_FINE_TUNE,
    VERDICT_NEEDS_INFORMATION,
    Alternative,
    Assessment,
    CostItem,
    DecisionStep,
    Evidence,
    Finding,
    LoraConfig,
    Plan,
)
from ftgate.engine.facts import Fact, roi_of
from ftgate.ruleset.model import Rule, RuleSet, TreeStep
from ftgate.ruleset.vocabulary import FACTS

SEVERITY_RANK = {"BLOCKER": 0, "WARNING": 1, "INFO": 2}


class _Unknown:
    def __format__(self, spec: str) -> str:
        return "unknown"


_UNKNOWN = _Unknown()


class _Values(dict[str, Any]):
    """The thresholds overlaid with the fact, as one mapping for templates; absent → unknown."""

    def __missing__(self, key: str) -> Any:
        return _UNKNOWN


def render(template: str, values: _Values) -> str:
    # Templates are validated on load (named fields only), so format_map, in C, is enough.
    return template.format_map(values)


def plain(value: Any) -> str:
    """A value as evidence text: 0.002 · 15000 · true · OFF_TOPIC_ANSWERS, HIGH_LATENCY."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _finding(rule: Rule, values: _Values) -> Finding:
    evidence = tuple([Evidence(name, plain(values[name])) for name in rule.evidence
                      if name in values])
    return Finding(
        rule_id=rule.id,
        failure_mode=rule.failure_mode or "",
        severity=rule.severity or "",
        title=rule.title,
        message=render(rule.message, values),
        evidence=evidence,
        recommendation=render(rule.recommendation, values),
        citation=rule.citation,
    )


def _missing(step: TreeStep, fact: Fact) -> list[str]:
    missing: list[str] = []
    for groups in step.requires:
        if any(all(name in fact for name in group) for group in groups):
            continue
        missing += [FACTS[n].path or n for n in groups[0] if n not in fact]
    return missing


def _plan(rs: RuleSet) -> Plan:
    p = rs.plan
    return Plan(
        lora=LoraConfig(
            r=p.lora["r"],
            lora_alpha=p.lora["lora_alpha"],
            target_modules=tuple(p.lora["target_modules"]),
            lora_dropout=p.lora["lora_dropout"],
        ),
        validation_tasks=p.validation_tasks,
        degradation_tolerance=rs.thresholds["degradation_tolerance"],
        metrics=p.metrics,
        year_one_costs=tuple(CostItem(*c) for c in p.year_one_costs),
        year_one_cost_low_usd=p.year_one_total[0],
        year_one_cost_high_usd=p.year_one_total[1],
        recommendations=p.recommendations,
    )


class Assembler:
    """Builds the deterministic Assessment of one evaluation under one ruleset."""

    def __init__(self, rs: RuleSet) -> None:
        self.rs = rs
        self._order = {r.id: i for i, r in enumerate(rs.rules)}
        self._rules = {r.id: r for r in rs.rules}
        # Findings come out by tree step, then severity, then file order: a fixed order.
        self._fm_rules = tuple(sorted(
            (r for r in rs.rules if r.failure_mode),
            key=lambda r: (r.step, SEVERITY_RANK[r.severity or "INFO"], self._order[r.id]),
        ))
        self._steps = tuple((step, tuple(self._rules[r] for r in step.blocked_by
                                         if r in self._rules),
                             frozenset(n for groups in step.requires for g in groups for n in g))
                            for step in rs.steps)
        # rule id → the alternatives it triggers, so that only fired rules are looked at.
        self._triggered_by: dict[str, list[int]] = {}
        for index, spec in enumerate(rs.alternatives):
            for t in spec.triggers:
                key = t.finding or t.rule_id
                if key and index not in self._triggered_by.setdefault(key, []):
                    self._triggered_by[key].append(index)
        self._alternatives = tuple(
            (index, spec, tuple((t.finding or t.rule_id or "", t) for t in spec.triggers),
             dict(spec.details_by_domain))
            for index, spec in enumerate(rs.alternatives)
        )
        self._plan = _plan(rs)  # immutable: one instance serves every FINE_TUNE verdict

    def assemble(self, fact: Fact, fired_ids: Iterable[str], decision_id: str,
                 project_name: str) -> Assessment:
        rs = self.rs
        fired = set(fired_ids)
        values = _Values(rs.thresholds)
        values.update(fact)
        findings = [_finding(r, values) for r in self._fm_rules if r.id in fired]
        messages = {f.rule_id: f.message for f in findings}
        path, outcome, missing = self._walk(fired, values, fact, messages)
        if outcome is None:
            verdict = VERDICT_NEEDS_INFORMATION
        elif outcome == rs.final_outcome:
            verdict = VERDICT_FINE_TUNE
        else:
            verdict = VERDICT_DO_NOT_FINE_TUNE
        order = self._order
        return Assessment(
            decision_id=decision_id,
            project_name=project_name,
            verdict=verdict,
            outcome=outcome,
            decision_path=tuple(path),
            findings=tuple(findings),
            alternatives=self._ranked_alternatives(fired, findings, outcome, values, fact),
            roi=roi_of(fact, rs.thresholds),
            plan=self._plan if verdict == VERDICT_FINE_TUNE else None,
            missing_fields=tuple(missing),
            ruleset_version=rs.version,
            fired_rules=tuple(sorted(fired, key=lambda r: order.get(r, len(order)))),
        )

    def _walk(self, fired: set[str], values: _Values, fact: Fact, messages: dict[str, str],
              ) -> tuple[list[DecisionStep], str | None, list[str]]:
        path: list[DecisionStep] = []
        steps = self.rs.steps
        present = fact.keys()
        for i, (step, blocked_by, inputs) in enumerate(self._steps):
            blocking = [r for r in blocked_by if r.id in fired]
            if blocking:
                reason = " ".join(messages.get(r.id) or render(r.message, values)
                                  for r in blocking)
                path.append(DecisionStep(step.step, step.question, step.answer_when_blocked,
                                         reason))
                return path, step.outcome, []
            # Fast path: every input of every group of the step is present (the usual case).
            missing = [] if inputs <= present else _missing(step, fact)
            if missing:
                for later in steps[i + 1:]:
                    missing += [m for m in _missing(later, fact) if m not in missing]
                return path, None, missing
            path.append(DecisionStep(step.step, step.question, not step.answer_when_blocked,
                                     render(step.pass_reason, values)))
        return path, self.rs.final_outcome, []

    def _ranked_alternatives(self, fired: set[str], findings: list[Finding], outcome: str | None,
                             values: _Values, fact: Fact) -> tuple[Alternative, ...]:
        position = {f.rule_id: i for i, f in enumerate(findings)}
        domain = fact.get("domain", "")
        ranked = []
        candidates = sorted({i for rule_id in fired for i in self._triggered_by.get(rule_id, ())})
        for index in candidates:
            _, spec, triggers, by_domain = self._alternatives[index]
            held = [(key, t) for key, t in triggers if key in fired]
            if not held:
                continue
            ids = tuple(key for key, _ in held)
            alternative = Alternative(
                kind=spec.kind,
                rationale=" ".join(render(t.rationale, values) for _, t in held),
                details=spec.details + by_domain.get(domain, ()),
                rule_ids=ids,
            )
            first = min((position[i] for i in ids if i in position), default=len(position))
            ranked.append(((outcome not in spec.leaf_outcomes, first, index), alternative))
        ranked.sort(key=lambda pair: pair[0])
        return tuple(a for _, a in ranked)


def assemble(rs: RuleSet, fact: Fact, fired_ids: Iterable[str], decision_id: str,
             project_name: str) -> Assessment:
    """Build the deterministic Assessment of one evaluation (builds a one-off Assembler)."""
    return Assembler(rs).assemble(fact, fired_ids, decision_id, project_name)
