"""Proto messages <-> domain objects, with the validation of SPEC §1.

Every bad field becomes a Violation naming its proto path (original field names, prefixed by the
request field, e.g. `project.economics.requests_per_day`, `projects[2].target_score`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from google.protobuf.message import Message

from ftgate import enums
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
        short = enums.short_names(enum).get(number)
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


def profile_from_proto(msg: pb.ProjectProfile, prefix: str = "project.") -> Profile:
    """Validate a ProjectProfile and map it; raise InvalidProfile naming every bad field."""
    c = _Checker(prefix)
    if len(msg.name) > MAX_NAME_CHARS:
        c.bad("name", f"must be at most {MAX_NAME_CHARS} characters, got {len(msg.name)}")
    symptoms: list[str] = []
    for i, number in enumerate(msg.symptoms):
        name = enums.short_names(pb.Symptom).get(number) if number else None
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
            failure_mode=enums.number(pb.FailureMode, r.failure_mode),
            severity=enums.number(pb.Severity, r.severity),
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
