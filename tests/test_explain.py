"""The explainer's shortcuts give the answers the plain reading of the rule files gives."""

from __future__ import annotations

import pytest
from ftgate.api import convert
from ftgate.engine import Engine, explain
from ftgate.engine.engine import compile_policy, default_rules_dir
from ftgate.engine.texts import Templates, values_type
from ftgate.present.templates import Template
from ftgate.ruletest import load_cases, profile_message

PROFILES = [convert.profile_from_proto(profile_message(case.profile))
            for case in load_cases(default_rules_dir() / "tests")]


def test_answers_are_the_same_whether_shapes_are_kept_or_not(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = compile_policy(engine.ruleset)
    monkeypatch.setattr(explain, "_SHAPES_KEPT", 0)
    none_kept = compile_policy(engine.ruleset)
    for _ in range(2):  # the second time from the kept shapes
        for profile in PROFILES:
            assert kept.decide(profile) == none_kept.decide(profile)
    assert none_kept.explainer._shapes == {}
    assert 1 < len(kept.explainer._shapes) <= len(PROFILES)


def test_shapes_kept_are_bounded(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(explain, "_SHAPES_KEPT", 3)
    policy = compile_policy(engine.ruleset)
    answers = [policy.decide(profile) for profile in PROFILES]
    assert len(policy.explainer._shapes) == 3
    assert [policy.decide(profile) for profile in PROFILES] == answers


def test_fixed_parts_are_shared_between_decisions(engine: Engine) -> None:
    shared = {id(o) for o in engine.policy.explainer.shared()}
    decisions = [engine.decide(p) for p in PROFILES]
    fine_tune = [d for d in decisions if d.verdict == "FINE_TUNE"]
    assert fine_tune and all(id(d.plan) in shared for d in fine_tune)
    fixed_steps = {s.step.step: s.passed for s in engine.policy.explainer.steps
                   if s.passed is not None}
    for d in decisions:
        for taken in d.path:
            if fixed_steps.get(taken.step) == taken:
                assert taken is fixed_steps[taken.step]


@pytest.mark.parametrize("template", [
    "{quality_examples:,} examples, minimum {minimum_requests_per_day:,}",
    "{{literal braces}} {minimum_requests_per_day} {goal_label}",
    "{frequent_change} {retraining_runs_per_year}",  # thresholds a fact of that name shadows
    "{no_such_name} {maximum_break_even_months:months} {investment_usd:usd}",
    "no field at all, a }} and a {{",
])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_bound_template_renders_as_the_template_with_thresholds_and_fact(
        engine: Engine, template: str, lang: str) -> None:
    thresholds = engine.ruleset.thresholds
    templates = Templates(thresholds, lang)
    for fact in ({}, {"quality_examples": 1234, "goal_label": "style", "investment_usd": 1500.5,
                      "frequent_change": True, "retraining_runs_per_year": 4}):
        values = values_type(thresholds)(fact)
        expected = Template(template, lang).format_map(values)
        assert templates.bind(template).format_map(values) == expected
