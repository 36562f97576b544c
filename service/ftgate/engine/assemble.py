"""Fired rules + fact → Assessment: findings, the tree walk, alternatives, ROI and plan."""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
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


class _Values(Mapping[str, Any]):
    """The fact, then the thresholds, as one mapping for templates."""

    def __init__(self, fact: Fact, thresholds: dict[str, Any]) -> None:
        self.fact, self.thresholds = fact, thresholds

    def __getitem__(self, key: str) -> Any:
        if key in self.fact:
            return self.fact[key]
        if key in self.thresholds:
            return self.thresholds[key]
        return _Unknown()

    def __iter__(self) -> Any:
        return iter(self.fact)

    def __len__(self) -> int:
        return len(self.fact)


_formatter = string.Formatter()


def render(template: str, values: _Values) -> str:
    return _formatter.vformat(template, (), values)


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
    evidence = tuple(
        Evidence(name, plain(values[name])) for name in rule.evidence
        if name in values.fact or name in values.thresholds
    )
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


def _walk(rs: RuleSet, fired: set[str], values: _Values,
          ) -> tuple[list[DecisionStep], str | None, list[str]]:
    path: list[DecisionStep] = []
    for i, step in enumerate(rs.steps):
        blocking = [rs.rule(r) for r in step.blocked_by if r in fired]
        if blocking:
            reason = " ".join(render(r.message, values) for r in blocking)
            path.append(DecisionStep(step.step, step.question, step.answer_when_blocked, reason))
            return path, step.outcome, []
        missing = _missing(step, values.fact)
        if missing:
            for later in rs.steps[i + 1:]:
                missing += [m for m in _missing(later, values.fact) if m not in missing]
            return path, None, missing
        path.append(DecisionStep(step.step, step.question, not step.answer_when_blocked,
                                 render(step.pass_reason, values)))
    return path, rs.final_outcome, []


def _alternatives(rs: RuleSet, fired: set[str], findings: list[Finding], outcome: str | None,
                  values: _Values) -> list[Alternative]:
    position = {f.rule_id: i for i, f in enumerate(findings)}
    ranked = []
    for index, spec in enumerate(rs.alternatives):
        held = [t for t in spec.triggers if (t.finding or t.rule_id) in fired]
        if not held:
            continue
        ids = tuple(t.finding or t.rule_id or "" for t in held)
        details = spec.details + dict(spec.details_by_domain).get(values.fact.get("domain", ""), ())
        alternative = Alternative(
            kind=spec.kind,
            rationale=" ".join(render(t.rationale, values) for t in held),
            details=details,
            rule_ids=ids,
        )
        first = min((position[i] for i in ids if i in position), default=len(position))
        ranked.append(((outcome not in spec.leaf_outcomes, first, index), alternative))
    return [a for _, a in sorted(ranked, key=lambda pair: pair[0])]


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


def assemble(rs: RuleSet, fact: Fact, fired_ids: Iterable[str], decision_id: str,
             project_name: str) -> Assessment:
    """Build the deterministic Assessment of one evaluation."""
    fired = set(fired_ids)
    values = _Values(fact, rs.thresholds)
    order = {r.id: i for i, r in enumerate(rs.rules)}
    fm_rules = sorted(
        (r for r in rs.rules if r.id in fired and r.failure_mode),
        key=lambda r: (r.step, SEVERITY_RANK[r.severity or "INFO"], order[r.id]),
    )
    findings = [_finding(r, values) for r in fm_rules]
    path, outcome, missing = _walk(rs, fired, values)
    if outcome is None:
        verdict = VERDICT_NEEDS_INFORMATION
    elif outcome == rs.final_outcome:
        verdict = VERDICT_FINE_TUNE
    else:
        verdict = VERDICT_DO_NOT_FINE_TUNE
    return Assessment(
        decision_id=decision_id,
        project_name=project_name,
        verdict=verdict,
        outcome=outcome,
        decision_path=tuple(path),
        findings=tuple(findings),
        alternatives=tuple(_alternatives(rs, fired, findings, outcome, values)),
        roi=roi_of(fact, rs.thresholds),
        plan=_plan(rs) if verdict == VERDICT_FINE_TUNE else None,
        missing_fields=tuple(missing),
        ruleset_version=rs.version,
        fired_rules=tuple(sorted(fired, key=lambda r: order.get(r, len(order)))),
    )
