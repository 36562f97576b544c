"""The assembler's shortcuts give the answers the plain reading of the rule files gives."""

from __future__ import annotations

import string

import pytest
from ftgate.api import convert
from ftgate.engine import Engine
from ftgate.engine import assemble as assemble_module
from ftgate.engine.assemble import _Texts, _values_type
from ftgate.engine.engine import compile_policy, default_rules_dir
from ftgate.ruletest import load_cases, profile_message

PROFILES = [convert.profile_from_proto(profile_message(case.profile))
            for case in load_cases(default_rules_dir() / "tests")]


def test_answers_are_the_same_whether_plans_are_kept_or_not(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = compile_policy(engine.ruleset)
    monkeypatch.setattr(assemble_module, "_PLANS_KEPT", 0)
    none_kept = compile_policy(engine.ruleset)
    for _ in range(2):  # the second time from the kept plans
        for profile in PROFILES:
            assert kept.evaluate(profile, "id") == none_kept.evaluate(profile, "id")
    assert none_kept.assembler._plans == {}
    assert 1 < len(kept.assembler._plans) <= len(PROFILES)


def test_plans_kept_are_bounded(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assemble_module, "_PLANS_KEPT", 3)
    policy = compile_policy(engine.ruleset)
    answers = [policy.evaluate(profile, "id") for profile in PROFILES]
    assert len(policy.assembler._plans) == 3
    assert [policy.evaluate(profile, "id") for profile in PROFILES] == answers


@pytest.mark.parametrize("template", [
    "{quality_examples:,} examples, minimum {minimum_requests_per_day:,}",
    "{{literal braces}} {minimum_requests_per_day!r:>12} {goal_label}",
    "{days_per_month:{width}}",  # a nested spec is left to each evaluation
    "{frequent_change} {retraining_runs_per_year}",  # thresholds a fact of that name shadows
    "{no_such_name} {maximum_break_even_months:.2f}",
    "no field at all, a } and a {{",
])
def test_a_bound_template_renders_as_the_template_with_thresholds_and_fact(
        engine: Engine, template: str) -> None:
    thresholds = engine.ruleset.thresholds
    texts = _Texts(thresholds)
    for fact in ({}, {"quality_examples": 1234, "goal_label": "style", "width": 6,
                      "frequent_change": True, "retraining_runs_per_year": 4}):
        values = _values_type(thresholds)(fact)
        try:
            expected = string.Formatter().vformat(template, (), values)
        except (ValueError, KeyError):
            continue  # not a template the loader accepts
        assert texts.bind(template).format_map(values) == expected
