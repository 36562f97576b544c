"""Answers → the proto3 JSON mapping of `ftgate.v1.Assessment`, straight from the typed Decision.

The HTTP edge and the console answer JSON; building the message (ftgate/assessment.py) and then
`json_format.MessageToDict` cost more than the decision itself. Here the Decision becomes the
same dict directly: lowerCamelCase names, enums by their proto names, every field without
presence printed (zero values included: `"answer": false`), `optional` fields only when set,
non-finite doubles as the strings the mapping names; orjson writes the bytes. The objects the
explainer hands out again (findings, steps, alternatives, the plan) are mapped once per policy
and kept, as the gRPC edge keeps their bytes. tests/test_assessment_json.py checks the dicts
against `MessageToDict(to_message(...))` on every rule-table case and thousands of random
profiles.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from typing import Any

import orjson
from google.protobuf import timestamp_pb2

from ftgate import enums
from ftgate.api.answer import Answer
from ftgate.domain.decision import (
    NO_EXPLANATIONS,
    Alternative,
    Counterfactual,
    Decision,
    Explanations,
    Finding,
    MissingFieldOutcome,
    Plan,
    Roi,
    StepTaken,
)
from ftgate.domain.waiver import Waiver

_KNOWN = 8192  # mapped objects a policy's mapper keeps

_ROI_DOUBLES = (("monthly_savings_usd", "monthlySavingsUsd"),
                ("break_even_months", "breakEvenMonths"),
                ("annual_retraining_cost_usd", "annualRetrainingCostUsd"))
_ROI_NET_DOUBLES = (("net_monthly_savings_usd", "netMonthlySavingsUsd"),
                    ("net_break_even_months", "netBreakEvenMonths"),
                    ("net_value_one_year_usd", "netValueOneYearUsd"),
                    ("net_value_three_years_usd", "netValueThreeYearsUsd"))


def _double(value: float) -> float | str:
    """A double as the mapping writes it: a number, or "NaN", "Infinity", "-Infinity"."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _outcome(name: str | None) -> str:
    return "OUTCOME_UNSPECIFIED" if name is None else enums.OUTCOME.full(name)


def finding_dict(f: Finding) -> dict[str, Any]:
    return {"ruleId": f.rule_id, "failureMode": enums.FAILURE_MODE.full(f.failure_mode),
            "severity": enums.SEVERITY.full(f.severity), "title": f.title,
            "evidence": [{"name": e.name, "value": e.value} for e in f.evidence],
            "recommendation": f.recommendation, "citation": f.citation, "message": f.message,
            "waiverId": f.waiver_id}


def _timestamp(at_us: int) -> str:
    """A google.protobuf.Timestamp as the mapping writes it (RFC 3339, UTC)."""
    stamp = timestamp_pb2.Timestamp()
    stamp.FromMicroseconds(at_us)
    return stamp.ToJsonString()


def waiver_dict(w: Waiver) -> dict[str, Any]:
    """A waiver as the mapping writes it (an Assessment's waiversApplied)."""
    out: dict[str, Any] = {"id": w.id, "projectName": w.project_name,
                           "ruleIds": list(w.rule_ids), "reason": w.reason, "ticket": w.ticket,
                           "approvedBy": w.approved_by,
                           "createdAt": _timestamp(w.created_at_us),
                           "expiresAt": _timestamp(w.expires_at_us)}
    if w.revoked_at_us is not None:
        out["revokedAt"] = _timestamp(w.revoked_at_us)
    return out


def step_dict(s: StepTaken) -> dict[str, Any]:
    return {"step": s.step, "question": s.question, "answer": s.answer, "reason": s.reason}


def alternative_dict(a: Alternative) -> dict[str, Any]:
    return {"kind": enums.ALTERNATIVE_KIND.full(a.kind), "rationale": a.rationale,
            "details": list(a.details), "ruleIds": list(a.rule_ids)}


def roi_dict(r: Roi) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, key in _ROI_DOUBLES:
        value = getattr(r, name)
        if value is not None:
            out[key] = _double(value)
    if r.likely_positive is not None:
        out["likelyPositive"] = r.likely_positive
    if r.retraining_runs_per_year is not None:
        out["retrainingRunsPerYear"] = r.retraining_runs_per_year
    for name, key in _ROI_NET_DOUBLES:
        value = getattr(r, name)
        if value is not None:
            out[key] = _double(value)
    if r.never_breaks_even is not None:
        out["neverBreaksEven"] = r.never_breaks_even
    out["positiveRoiCriteria"] = r.positive_roi_criteria
    return out


def plan_dict(p: Plan) -> dict[str, Any]:
    return {
        "lora": {"r": p.lora.r, "loraAlpha": p.lora.lora_alpha,
                 "targetModules": list(p.lora.target_modules),
                 "loraDropout": _double(p.lora.lora_dropout)},
        "validationTasks": list(p.validation_tasks),
        "degradationTolerance": _double(p.degradation_tolerance),
        "metrics": list(p.metrics),
        "yearOneCosts": [{"item": c.item, "lowUsd": _double(c.low_usd),
                          "highUsd": _double(c.high_usd)} for c in p.year_one_costs],
        "yearOneCostLowUsd": _double(p.year_one_cost_low_usd),
        "yearOneCostHighUsd": _double(p.year_one_cost_high_usd),
        "recommendations": list(p.recommendations),
    }


def value_json(value: object) -> object:
    """A google.protobuf.Value as the mapping writes it (numbers are doubles)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"a Value holds no {number}")
        return int(number) if number.is_integer() else number
    if isinstance(value, list | tuple):
        return [value_json(v) for v in value]
    raise TypeError(f"no Value for {type(value).__name__}")


def counterfactual_dict(c: Counterfactual) -> dict[str, Any]:
    return {"changes": [{"field": ch.field, "from": value_json(ch.from_value),
                         "to": value_json(ch.to_value)} for ch in c.changes],
            "resultingVerdict": enums.VERDICT.full(c.verdict),
            "resultingOutcome": _outcome(c.outcome),
            "summary": c.summary, "actionable": c.actionable}


def missing_outcome_dict(m: MissingFieldOutcome) -> dict[str, Any]:
    outcomes = []
    for o in m.outcomes:
        item: dict[str, Any] = {"values": [value_json(v) for v in o.values]}
        if o.at_least is not None:
            item["atLeast"] = _double(o.at_least)
        if o.below is not None:
            item["below"] = _double(o.below)
        item.update(verdict=enums.VERDICT.full(o.verdict), outcome=_outcome(o.outcome),
                    description=o.description)
        outcomes.append(item)
    return {"field": m.field, "outcomes": outcomes}


class AssessmentMapper:
    """The JSON dicts of one policy's decisions; the objects its explainers hand out again are
    mapped once (by identity: each entry holds its object, so that no other can take its id)."""

    def __init__(self) -> None:
        self._known: dict[int, tuple[object, dict[str, Any]]] = {}

    def _mapped(self, obj: Any, make: Any) -> dict[str, Any]:
        entry = self._known.get(id(obj))
        if entry is not None:
            return entry[1]
        if len(self._known) >= _KNOWN:
            self._known = {}
        out: dict[str, Any] = make(obj)
        self._known[id(obj)] = (obj, out)
        return out

    def assessment(self, d: Decision, decision_id: str) -> dict[str, Any]:
        """The Assessment of a decision, as `MessageToDict(to_message(d, decision_id),
        always_print_fields_with_no_presence=True)` gives it."""
        mapped = self._mapped
        out: dict[str, Any] = {
            "decisionId": decision_id,
            "verdict": enums.VERDICT.full(d.verdict),
            "outcome": _outcome(d.outcome),
            "decisionPath": [mapped(s, step_dict) for s in d.path],
            "findings": [mapped(f, finding_dict) for f in d.findings],
            "alternatives": [mapped(a, alternative_dict) for a in d.alternatives],
            "roi": roi_dict(d.roi),
        }
        if d.plan is not None:
            out["plan"] = mapped(d.plan, plan_dict)
        out["missingFields"] = list(d.missing_fields)
        out["rulesetVersion"] = d.ruleset_version
        out["projectName"] = d.project_name
        e = d.explanations
        if e is NO_EXPLANATIONS:
            out.update(_NO_EXPLANATIONS)
        else:
            out.update(_explanations(e))
        out["waiversApplied"] = [waiver_dict(w) for w in d.waivers_applied]
        return out


_NO_EXPLANATIONS = {"counterfactuals": [], "fineTuneUnreachable": False,
                    "missingFieldOutcomes": []}


def _explanations(e: Explanations) -> dict[str, Any]:
    return {"counterfactuals": [counterfactual_dict(c) for c in e.counterfactuals],
            "fineTuneUnreachable": e.fine_tune_unreachable,
            "missingFieldOutcomes": [missing_outcome_dict(m) for m in e.missing_field_outcomes]}


_mappers: weakref.WeakKeyDictionary[Any, AssessmentMapper] = weakref.WeakKeyDictionary()


def mapper_for(policy: Any) -> AssessmentMapper:
    """The mapper of a compiled policy's decisions, made on first use and dropped with the
    policy (what it keeps are that policy's objects)."""
    mapper = _mappers.get(policy)
    if mapper is None:
        mapper = _mappers.setdefault(policy, AssessmentMapper())
    return mapper


def assessment_dict(answer: Answer) -> dict[str, Any]:
    """The Assessment of an answer, as a dict of the proto3 JSON mapping."""
    return mapper_for(answer.policy).assessment(answer.decision, answer.decision_id)


def evaluate_json(answer: Answer) -> bytes:
    """The EvaluateResponse of an answer, in JSON."""
    return orjson.dumps({"assessment": assessment_dict(answer)})


def batch_json(answers: Sequence[Answer]) -> bytes:
    """The EvaluateBatchResponse of a batch's answers, in JSON."""
    return orjson.dumps({"assessments": [assessment_dict(a) for a in answers]})
