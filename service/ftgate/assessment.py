"""Decision → the `ftgate.v1.Assessment` message, with the protobuf message API.

One mapping, below every door: the CLI and rule tables print it, the audit writer stores its
bytes (audit/writer.py, off the request path), and it is the oracle of the two fast writers on
the request path: the gRPC edge's bytes (server/grpc/assessments.py) and the HTTP edge's JSON
(server/http/assessment_json.py); tests/test_wire.py and tests/test_assessment_json.py check
both against it.
"""

from __future__ import annotations

from google.protobuf import struct_pb2

from ftgate import enums
from ftgate.domain.decision import (
    Alternative,
    Counterfactual,
    Decision,
    Finding,
    MissingFieldOutcome,
    Plan,
    Roi,
    StepTaken,
)
from ftgate.domain.waiver import Waiver
from ftgate.v1 import advisor_pb2 as pb

ROI_FIELDS = ("monthly_savings_usd", "break_even_months", "annual_retraining_cost_usd",
              "likely_positive", "retraining_runs_per_year", "net_monthly_savings_usd",
              "net_break_even_months", "net_value_one_year_usd", "net_value_three_years_usd",
              "never_breaks_even", "positive_roi_criteria")


def finding_message(f: Finding) -> pb.Finding:
    return pb.Finding(rule_id=f.rule_id,
                      failure_mode=enums.FAILURE_MODE.number(f.failure_mode),
                      severity=enums.SEVERITY.number(f.severity), title=f.title,
                      evidence=[pb.Evidence(name=e.name, value=e.value) for e in f.evidence],
                      recommendation=f.recommendation, citation=f.citation, message=f.message,
                      waiver_id=f.waiver_id)


def step_message(s: StepTaken) -> pb.DecisionStep:
    return pb.DecisionStep(step=s.step, question=s.question, answer=s.answer, reason=s.reason)


def alternative_message(a: Alternative) -> pb.Alternative:
    return pb.Alternative(kind=enums.ALTERNATIVE_KIND.number(a.kind), rationale=a.rationale,
                          details=a.details, rule_ids=a.rule_ids)


def roi_message(r: Roi) -> pb.RoiAnalysis:
    out = pb.RoiAnalysis()
    for name in ROI_FIELDS:
        value = getattr(r, name)
        if value is not None:
            setattr(out, name, value)
    return out


def plan_message(p: Plan) -> pb.FineTuningPlan:
    return pb.FineTuningPlan(
        lora=pb.LoraConfig(r=p.lora.r, lora_alpha=p.lora.lora_alpha,
                           target_modules=p.lora.target_modules,
                           lora_dropout=p.lora.lora_dropout),
        validation_tasks=p.validation_tasks, degradation_tolerance=p.degradation_tolerance,
        metrics=p.metrics,
        year_one_costs=[pb.CostItem(item=c.item, low_usd=c.low_usd, high_usd=c.high_usd)
                        for c in p.year_one_costs],
        year_one_cost_low_usd=p.year_one_cost_low_usd,
        year_one_cost_high_usd=p.year_one_cost_high_usd,
        recommendations=p.recommendations)


def value_message(value: object) -> struct_pb2.Value:
    """A Python value as a google.protobuf.Value (None: null; numbers as doubles)."""
    out = struct_pb2.Value()
    if value is None:
        out.null_value = struct_pb2.NULL_VALUE
    elif isinstance(value, bool):
        out.bool_value = value
    elif isinstance(value, int | float):
        out.number_value = float(value)
    elif isinstance(value, str):
        out.string_value = value
    elif isinstance(value, list | tuple):
        out.list_value.values.extend(value_message(v) for v in value)
    else:
        raise TypeError(f"no Value for {type(value).__name__}")
    return out


def counterfactual_message(c: Counterfactual) -> pb.Counterfactual:
    out = pb.Counterfactual(resulting_verdict=enums.VERDICT.number(c.verdict),
                            resulting_outcome=enums.OUTCOME.number(c.outcome),
                            summary=c.summary, actionable=c.actionable)
    for change in c.changes:
        item = out.changes.add(field=change.field)
        getattr(item, "from").CopyFrom(value_message(change.from_value))
        item.to.CopyFrom(value_message(change.to_value))
    return out


def missing_outcome_message(m: MissingFieldOutcome) -> pb.MissingFieldOutcome:
    out = pb.MissingFieldOutcome(field=m.field)
    for o in m.outcomes:
        item = out.outcomes.add(values=[value_message(v) for v in o.values],
                                verdict=enums.VERDICT.number(o.verdict),
                                outcome=enums.OUTCOME.number(o.outcome),
                                description=o.description)
        if o.at_least is not None:
            item.at_least = o.at_least
        if o.below is not None:
            item.below = o.below
    return out


def to_message(d: Decision, decision_id: str) -> pb.Assessment:
    """The Assessment of a decision, built with the protobuf message API."""
    out = pb.Assessment(
        decision_id=decision_id, verdict=enums.VERDICT.number(d.verdict),
        outcome=enums.OUTCOME.number(d.outcome),
        decision_path=[step_message(s) for s in d.path],
        findings=[finding_message(f) for f in d.findings],
        alternatives=[alternative_message(a) for a in d.alternatives],
        roi=roi_message(d.roi), missing_fields=d.missing_fields,
        ruleset_version=d.ruleset_version, project_name=d.project_name)
    if d.plan is not None:
        out.plan.CopyFrom(plan_message(d.plan))
    e = d.explanations
    out.counterfactuals.extend(counterfactual_message(c) for c in e.counterfactuals)
    out.fine_tune_unreachable = e.fine_tune_unreachable
    out.missing_field_outcomes.extend(missing_outcome_message(m)
                                      for m in e.missing_field_outcomes)
    out.waivers_applied.extend(waiver_message(w) for w in d.waivers_applied)
    return out


def waiver_message(w: Waiver) -> pb.Waiver:
    """A waiver as the API shows it (an Assessment's waivers_applied, ListWaivers...)."""
    out = pb.Waiver(id=w.id, project_name=w.project_name, rule_ids=w.rule_ids,
                    reason=w.reason, ticket=w.ticket, approved_by=w.approved_by)
    out.created_at.FromMicroseconds(w.created_at_us)
    out.expires_at.FromMicroseconds(w.expires_at_us)
    if w.revoked_at_us is not None:
        out.revoked_at.FromMicroseconds(w.revoked_at_us)
    return out


def to_bytes(d: Decision, decision_id: str) -> bytes:
    """The Assessment's deterministic serialization (what the gRPC edge answers, byte for
    byte)."""
    data: bytes = to_message(d, decision_id).SerializeToString(deterministic=True)
    return data
