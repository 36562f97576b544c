"""Proto messages <-> domain objects, with the validation of SPEC §1.

Every bad field becomes a Violation naming its proto path (original field names, prefixed by the
request field, e.g. `project.economics.requests_per_day`, `projects[2].target_score`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

from google.protobuf.message import Message

from ftgate.domain import assessment as dom
from ftgate.domain.profile import Economics, Profile, PromptEngineering, PromptInfo
from ftgate.domain.regression import RegressionReport
from ftgate.errors import InvalidProfile, Violation
from ftgate.ruleset import RuleSet
from ftgate.ruleset.conditions import to_text
from ftgate.v1 import advisor_pb2 as pb

MAX_NAME_CHARS = 256
# Contract limits (not policy): large enough for any real project, small enough that no
# arithmetic on them overflows.
MAX_COUNT = 10**12
MAX_MONEY_USD = 1e12
MAX_REQUESTS_PER_DAY = 1e12
MAX_PROMPT_VARIATIONS = 10**6


class _Checker:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.violations: list[Violation] = []

    def bad(self, field: str, description: str) -> None:
        self.violations.append(Violation(self.prefix + field, description))

    def enum(self, msg: Message, field: str, enum: Any, path: str | None = None) -> str | None:
        number = getattr(msg, field)
        path = path or field
        if number == 0:
            return None
        short = _short_names(enum).get(number)
        if short is None:
            self.bad(path, f"unknown {enum.DESCRIPTOR.name} value {number}")
            return None
        return short

    def count(self, msg: Message, field: str, path: str, limit: int) -> int | None:
        if not msg.HasField(field):
            return None
        value = int(getattr(msg, field))
        if not 0 <= value <= limit:
            self.bad(path, f"must be between 0 and {limit:,}, got {value}")
            return None
        return value

    def number(self, msg: Message, field: str, path: str, low: float, high: float) -> float | None:
        if not msg.HasField(field):
            return None
        value = float(getattr(msg, field))
        if not math.isfinite(value):
            self.bad(path, f"must be a finite number, got {value}")
            return None
        if not low <= value <= high:
            self.bad(path, f"must be between {low:g} and {high:g}, got {value:g}")
            return None
        return value

    def flag(self, msg: Message, field: str) -> bool | None:
        return bool(getattr(msg, field)) if msg.HasField(field) else None


@functools.cache
def _prefix(enum: Any) -> str:
    name: str = enum.DESCRIPTOR.name
    snake = "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(name)).upper()
    return snake + "_"


# Enum names ↔ numbers, computed once per enum: they are on every call's path.
@functools.cache
def _short_names(enum: Any) -> dict[int, str]:
    return {number: str(name).removeprefix(_prefix(enum)) for name, number in enum.items()}


def short_name(enum: Any, number: int) -> str:
    """An enum value's name without its prefix: short_name(pb.Verdict, 1) == "FINE_TUNE"."""
    return _short_names(enum)[number]


@functools.cache
def _numbers(enum: Any) -> dict[str, int]:
    return {short: number for number, short in _short_names(enum).items()}


def profile_from_proto(msg: pb.ProjectProfile, prefix: str = "project.") -> Profile:
    """Validate a ProjectProfile and map it; raise InvalidProfile naming every bad field."""
    c = _Checker(prefix)
    if len(msg.name) > MAX_NAME_CHARS:
        c.bad("name", f"must be at most {MAX_NAME_CHARS} characters, got {len(msg.name)}")
    symptoms: list[str] = []
    for i, number in enumerate(msg.symptoms):
        name = _short_names(pb.Symptom).get(number) if number else None
        if name is None:
            c.bad(f"symptoms[{i}]", f"unknown Symptom value {number}")
            continue
        if name in symptoms:
            c.bad(f"symptoms[{i}]", f"{name} is listed twice")
        symptoms.append(name)
    pe, ec, pr = msg.prompt_engineering, msg.economics, msg.prompt
    profile = Profile(
        name=msg.name,
        task_type=c.enum(msg, "task_type", pb.TaskType),
        goal=c.enum(msg, "goal", pb.Goal),
        domain=c.enum(msg, "domain", pb.Domain),
        quality_examples=c.count(msg, "quality_examples", "quality_examples", MAX_COUNT),
        data_change_frequency=c.enum(msg, "data_change_frequency", pb.ChangeFrequency),
        prompt_engineering=PromptEngineering(
            prompt_variations_tested=c.count(
                pe, "prompt_variations_tested", "prompt_engineering.prompt_variations_tested",
                MAX_PROMPT_VARIATIONS),
            few_shot_tried=c.flag(pe, "few_shot_tried"),
            more_capable_model_tried=c.flag(pe, "more_capable_model_tried"),
        ),
        base_model_score=c.number(msg, "base_model_score", "base_model_score", 0.0, 1.0),
        target_score=c.number(msg, "target_score", "target_score", 0.0, 1.0),
        base_model_meets_target=c.flag(msg, "base_model_meets_target"),
        dedicated_model=c.flag(msg, "dedicated_model"),
        planned_method=c.enum(msg, "planned_method", pb.TuningMethod),
        economics=Economics(
            requests_per_day=c.number(ec, "requests_per_day", "economics.requests_per_day",
                                      0.0, MAX_REQUESTS_PER_DAY),
            savings_per_request_usd=c.number(ec, "savings_per_request_usd",
                                             "economics.savings_per_request_usd", 0.0,
                                             MAX_MONEY_USD),
            investment_usd=c.number(ec, "investment_usd", "economics.investment_usd", 0.0,
                                    MAX_MONEY_USD),
            retraining_cost_usd=c.number(ec, "retraining_cost_usd",
                                         "economics.retraining_cost_usd", 0.0, MAX_MONEY_USD),
        ),
        symptoms=tuple(symptoms),
        prompt=PromptInfo(
            system_prompt_tokens=c.count(pr, "system_prompt_tokens", "prompt.system_prompt_tokens",
                                         MAX_COUNT),
            prompt_is_repeated=c.flag(pr, "prompt_is_repeated"),
        ),
        needs_external_actions=c.flag(msg, "needs_external_actions"),
    )
    if c.violations:
        raise InvalidProfile(c.violations)
    return profile


def profiles_from_proto(msgs: Sequence[pb.ProjectProfile], max_batch: int) -> list[Profile]:
    """Validate a batch: its size, then every profile (paths `projects[i].…`)."""
    if len(msgs) > max_batch:
        raise InvalidProfile([Violation("projects", f"at most {max_batch} projects per batch, "
                                                    f"got {len(msgs)}")])
    if not msgs:
        raise InvalidProfile([Violation("projects", "must hold at least one project")])
    profiles, violations = [], []
    for i, m in enumerate(msgs):
        try:
            profiles.append(profile_from_proto(m, f"projects[{i}]."))
        except InvalidProfile as exc:
            violations += exc.violations
    if violations:
        raise InvalidProfile(violations)
    return profiles


def _enum(enum: Any, name: str | None) -> Any:
    """The enum number of a short name (0 for None), typed as the generated ValueType."""
    if not name:
        return 0
    number = _numbers(enum).get(name)
    return number if number is not None else enum.Value(_prefix(enum) + name)


def assessment_to_proto(a: dom.Assessment) -> pb.Assessment:
    # Sub-messages are added in place (`.add(...)`): building them apart and passing lists makes
    # upb copy each one into its parent, three times the cost (docs/performance.md).
    out = pb.Assessment(
        decision_id=a.decision_id,
        project_name=a.project_name,
        verdict=_enum(pb.Verdict, a.verdict),
        outcome=_enum(pb.Outcome, a.outcome),
        missing_fields=a.missing_fields,
        ruleset_version=a.ruleset_version,
    )
    add_step = out.decision_path.add
    for s in a.decision_path:
        add_step(step=s.step, question=s.question, answer=s.answer, reason=s.reason)
    add_finding = out.findings.add
    for f in a.findings:
        finding = add_finding(
            rule_id=f.rule_id,
            failure_mode=_enum(pb.FailureMode, f.failure_mode),
            severity=_enum(pb.Severity, f.severity),
            title=f.title,
            message=f.message,
            recommendation=f.recommendation,
            citation=f.citation,
        )
        add_evidence = finding.evidence.add
        for e in f.evidence:
            add_evidence(name=e.name, value=e.value)
    add_alternative = out.alternatives.add
    for alt in a.alternatives:
        add_alternative(kind=_enum(pb.AlternativeKind, alt.kind), rationale=alt.rationale,
                        details=alt.details, rule_ids=alt.rule_ids)
    out.roi.SetInParent()  # present even when no figure is computable, as before
    for name, value in _roi_fields(a.roi).items():
        if value is not None:
            setattr(out.roi, name, value)
    if a.plan is not None:
        out.plan.CopyFrom(_plan_to_proto(a.plan))
    return out


@functools.lru_cache(maxsize=8)
def _plan_to_proto(p: dom.Plan) -> pb.FineTuningPlan:
    """The plan of a ruleset is one immutable object: its message is built once and copied."""
    return pb.FineTuningPlan(
        lora=pb.LoraConfig(r=p.lora.r, lora_alpha=p.lora.lora_alpha,
                           target_modules=p.lora.target_modules,
                           lora_dropout=p.lora.lora_dropout),
        validation_tasks=p.validation_tasks,
        degradation_tolerance=p.degradation_tolerance,
        metrics=p.metrics,
        year_one_costs=[pb.CostItem(item=c.item, low_usd=c.low_usd, high_usd=c.high_usd)
                        for c in p.year_one_costs],
        year_one_cost_low_usd=p.year_one_cost_low_usd,
        year_one_cost_high_usd=p.year_one_cost_high_usd,
        recommendations=p.recommendations,
    )


def _roi_fields(roi: dom.Roi) -> dict[str, Any]:
    return {
        "monthly_savings_usd": roi.monthly_savings_usd,
        "break_even_months": roi.break_even_months,
        "annual_retraining_cost_usd": roi.annual_retraining_cost_usd,
        "likely_positive": roi.likely_positive,
        "retraining_runs_per_year": roi.retraining_runs_per_year,
    }


def regression_request(msg: pb.CheckRegressionRequest,
                       ) -> tuple[list[tuple[str, float]], list[tuple[str, float]], float | None]:
    return ([(s.task, s.score) for s in msg.baseline],
            [(s.task, s.score) for s in msg.candidate],
            msg.tolerance if msg.HasField("tolerance") else None)


def regression_to_proto(r: RegressionReport) -> pb.CheckRegressionResponse:
    return pb.CheckRegressionResponse(
        deltas=[pb.TaskDelta(task=d.task, baseline=d.baseline, candidate=d.candidate,
                             ratio=d.ratio, degraded=d.degraded) for d in r.deltas],
        passed=r.passed,
        tolerance=r.tolerance,
    )


def rules_to_proto(rs: RuleSet) -> pb.ListRulesResponse:
    rules = [
        pb.RuleInfo(
            id=r.id,
            failure_mode=_enum(pb.FailureMode, r.failure_mode),
            severity=_enum(pb.Severity, r.severity),
            title=r.title,
            condition=to_text(r.when, rs.thresholds),
            citation=r.citation,
            source_file=r.source_file,
            step=r.step if r.step <= 6 else 0,
        )
        for r in rs.rules
    ]
    thresholds = [pb.Threshold(name=k, value=float(v)) for k, v in rs.thresholds.items()
                  if isinstance(v, int | float) and not isinstance(v, bool)]
    for task, pair in rs.thresholds["examples"].items():
        for key, value in pair.items():
            thresholds.append(pb.Threshold(name=f"examples.{task}.{key}", value=float(value)))
    return pb.ListRulesResponse(rules=rules, ruleset_version=rs.version, thresholds=thresholds)
