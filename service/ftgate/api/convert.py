"""Proto messages <-> domain objects, with the validation of the contract (the ranges below).

Every bad field becomes a Violation naming its proto path (original field names, prefixed by the
request field, e.g. `project.economics.requests_per_day`, `projects[2].target_score`).
"""

from __future__ import annotations

import math
from typing import Any

from google.protobuf.message import Message

from ftgate import describe, enums
from ftgate.domain.profile import Economics, Profile, PromptEngineering, PromptInfo
from ftgate.domain.regression import RegressionReport
from ftgate.errors import InvalidProfile, Violation
from ftgate.ruleset import RuleSet
from ftgate.ruleset.conditions import to_text
from ftgate.v1 import advisor_pb2 as pb

MAX_NAME_CHARS = 256
# Text a PostgreSQL `text` column refuses (and a C string ends at): refused for every store alike.
NUL = "\x00"
# Contract limits (not policy): large enough for any real project, small enough that no
# arithmetic on them overflows.
MAX_COUNT = 10**12
MAX_MONEY_USD = 1e12
MAX_REQUESTS_PER_DAY = 1e12
MAX_PROMPT_VARIATIONS = 10**6


def text_problems(value: str, max_chars: int) -> list[str]:
    """What keeps `value` from being text every audit store can hold within `max_chars`: the
    one check of the profile's, the waivers' and the outcomes' texts. (Invalid UTF-8 and lone
    surrogates never get this far: the protobuf and JSON parsers refuse them.)"""
    problems: list[str] = []
    if len(value) > max_chars:
        problems.append(describe.expected(f"text of at most {max_chars:,} characters",
                                          f"{len(value):,} characters"))
    if NUL in value:
        problems.append(f"must not contain the NUL character (U+0000); found it at "
                        f"character {value.index(NUL) + 1}")
    return problems


class _Checker:
    """Reads fields that are set (from `present`, one `ListFields` per message: a look-up per
    field of the contract cost more) and collects every violation."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.violations: list[Violation] = []

    def bad(self, field: str, description: str) -> None:
        self.violations.append(Violation(self.prefix + field, description))

    def enum(self, number: int | None, path: str, names: enums.EnumNames) -> str | None:
        if not number:
            return None
        short = names.short_or_none(number)
        if short is None:
            self.bad(path, unknown_enum(names, number))
            return None
        return short

    def count(self, value: int | None, path: str, limit: int) -> int | None:
        if value is None:
            return None
        value = int(value)
        if not 0 <= value <= limit:
            self.bad(path, describe.expected(describe.between(0, limit, whole=True),
                                             describe.shown(value)))
            return None
        return value

    def text(self, value: str, path: str, max_chars: int) -> str:
        for problem in text_problems(value, max_chars):
            self.bad(path, problem)
        return value

    def number(self, value: float | None, path: str, low: float, high: float) -> float | None:
        if value is None:
            return None
        value = float(value)
        if not math.isfinite(value):
            self.bad(path, describe.expected("a finite " + describe.between(low, high, whole=False)
                                             .removeprefix("a "), describe.shown(value)))
            return None
        if not low <= value <= high:
            self.bad(path, describe.expected(describe.between(low, high, whole=False),
                                             describe.shown(value)))
            return None
        return value


def unknown_enum(names: enums.EnumNames, number: int) -> str:
    """The description of an enum number the contract does not know (0 where 0 is not allowed)."""
    valid = [names.full(short) for short in names.names]
    found = f"{names.enum.Name(number)} ({number})" if number == 0 else f"the number {number}"
    return describe.expected(describe.one_of(valid), found)


def present(msg: Message) -> dict[str, Any]:
    """The fields of `msg` that are set (an optional one set to 0 included), by name."""
    return {field.name: value for field, value in msg.ListFields()}


def _flag(value: bool | None) -> bool | None:
    return None if value is None else bool(value)


def profile_from_proto(msg: pb.ProjectProfile, prefix: str = "project.") -> Profile:
    """Validate a ProjectProfile and map it; raise InvalidProfile naming every bad field."""
    c = _Checker(prefix)
    f = present(msg)
    get = f.get
    name = c.text(get("name", ""), "name", MAX_NAME_CHARS)
    symptoms: list[str] = []
    for i, number in enumerate(get("symptoms", ())):
        symptom = enums.SYMPTOM.short_or_none(number)
        if symptom is None:
            c.bad(f"symptoms[{i}]", unknown_enum(enums.SYMPTOM, number))
            continue
        if symptom in symptoms:
            c.bad(f"symptoms[{i}]", f"{enums.SYMPTOM.full(symptom)} is listed twice; list each "
                                    "symptom once")
        symptoms.append(symptom)
    pe = present(f["prompt_engineering"]) if "prompt_engineering" in f else {}
    ec = present(f["economics"]) if "economics" in f else {}
    pr = present(f["prompt"]) if "prompt" in f else {}
    profile = Profile(
        name=name,
        task_type=c.enum(get("task_type"), "task_type", enums.TASK_TYPE),
        goal=c.enum(get("goal"), "goal", enums.GOAL),
        domain=c.enum(get("domain"), "domain", enums.DOMAIN),
        quality_examples=c.count(get("quality_examples"), "quality_examples", MAX_COUNT),
        data_change_frequency=c.enum(get("data_change_frequency"), "data_change_frequency",
                                     enums.CHANGE_FREQUENCY),
        prompt_engineering=PromptEngineering(
            prompt_variations_tested=c.count(
                pe.get("prompt_variations_tested"), "prompt_engineering.prompt_variations_tested",
                MAX_PROMPT_VARIATIONS),
            few_shot_tried=_flag(pe.get("few_shot_tried")),
            more_capable_model_tried=_flag(pe.get("more_capable_model_tried")),
        ),
        base_model_score=c.number(get("base_model_score"), "base_model_score", 0.0, 1.0),
        target_score=c.number(get("target_score"), "target_score", 0.0, 1.0),
        base_model_meets_target=_flag(get("base_model_meets_target")),
        dedicated_model=_flag(get("dedicated_model")),
        planned_method=c.enum(get("planned_method"), "planned_method", enums.TUNING_METHOD),
        economics=Economics(
            requests_per_day=c.number(ec.get("requests_per_day"), "economics.requests_per_day",
                                      0.0, MAX_REQUESTS_PER_DAY),
            savings_per_request_usd=c.number(ec.get("savings_per_request_usd"),
                                             "economics.savings_per_request_usd", 0.0,
                                             MAX_MONEY_USD),
            investment_usd=c.number(ec.get("investment_usd"), "economics.investment_usd", 0.0,
                                    MAX_MONEY_USD),
            retraining_cost_usd=c.number(ec.get("retraining_cost_usd"),
                                         "economics.retraining_cost_usd", 0.0, MAX_MONEY_USD),
        ),
        symptoms=tuple(symptoms),
        prompt=PromptInfo(
            system_prompt_tokens=c.count(pr.get("system_prompt_tokens"),
                                         "prompt.system_prompt_tokens", MAX_COUNT),
            prompt_is_repeated=_flag(pr.get("prompt_is_repeated")),
        ),
        needs_external_actions=_flag(get("needs_external_actions")),
    )
    if c.violations:
        raise InvalidProfile(c.violations)
    return profile


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
            failure_mode=enums.FAILURE_MODE.number(r.failure_mode),
            severity=enums.SEVERITY.number(r.severity),
            title=r.title,
            condition=to_text(r.when, rs.thresholds),
            citation=r.citation,
            source_file=r.source_file,
            step=r.step or 0,  # 0: a rule placed after the tree, or an alternative's
        )
        for r in rs.rules
    ]
    thresholds = [pb.Threshold(name=k, value=float(v)) for k, v in rs.thresholds.items()
                  if isinstance(v, int | float) and not isinstance(v, bool)]
    for task, pair in rs.thresholds["examples"].items():
        for key, value in pair.items():
            thresholds.append(pb.Threshold(name=f"examples.{task}.{key}", value=float(value)))
    return pb.ListRulesResponse(rules=rules, ruleset_version=rs.version, thresholds=thresholds)
