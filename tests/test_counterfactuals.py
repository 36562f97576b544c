"""Counterfactuals are true: each one's `to` values, written into the profile as a client would
(tests/counterfactual_check.py), give the verdict and outcome it announces when the profile is
decided again. Checked on every rule-table case and on thousands of seeded random profiles; and
the search's shape: fewest changes first, minimal, within the inputs' valid ranges."""

from __future__ import annotations

import pytest
from conftest_helpers import assess
from counterfactual_check import apply, changes_of, value_of
from ftgate import enums
from ftgate.api import convert, wire
from ftgate.domain.profile import Economics, Profile, PromptEngineering
from ftgate.engine import Engine
from ftgate.engine.engine import default_rules_dir
from ftgate.errors import InvalidInput
from ftgate.ruletest import load_cases, profile_message
from ftgate.v1 import advisor_pb2 as pb
from randomprofiles import random_profiles

CASES = [profile_message(case.profile) for case in load_cases(default_rules_dir() / "tests")]


def _explained(engine: Engine, project: pb.ProjectProfile) -> pb.Assessment | None:
    try:
        profile = convert.profile_from_proto(project)
    except InvalidInput:
        return None
    return wire.to_message(engine.decide(profile, explain=True), "")


def _check_true(engine: Engine, project: pb.ProjectProfile) -> tuple[int, bool]:
    """Every counterfactual of the project holds; (how many, whether FINE_TUNE was unreachable)."""
    a = _explained(engine, project)
    if a is None:
        return 0, False
    if a.verdict == pb.VERDICT_FINE_TUNE:
        assert not a.counterfactuals and not a.fine_tune_unreachable
        return 0, False
    assert not (a.counterfactuals and a.fine_tune_unreachable)
    sizes = [len(c.changes) for c in a.counterfactuals]
    assert sizes == sorted(sizes), "ranked by the number of fields changed"
    fields = [frozenset(ch.field for ch in c.changes) for c in a.counterfactuals]
    for i, f in enumerate(fields):  # minimal: no set holds another's fields
        assert not any(other < f for other in fields[:i]), fields
    for c in a.counterfactuals:
        changed = apply(project, changes_of(c))
        profile = convert.profile_from_proto(changed)  # within the valid ranges, or it raises
        again = wire.to_message(engine.decide(profile), "")
        assert (again.verdict, again.outcome) == (c.resulting_verdict, c.resulting_outcome), \
            (project, c)
        assert c.resulting_verdict == pb.VERDICT_FINE_TUNE
        for change in c.changes:  # `from` is what the profile held
            before = apply(project, [])
            assert value_of(getattr(change, "from")) != value_of(change.to)
            del before
    return len(a.counterfactuals), a.fine_tune_unreachable


@pytest.mark.parametrize("index", range(len(CASES)))
def test_every_rule_table_case(engine: Engine, index: int) -> None:
    _check_true(engine, CASES[index])


# The default run checks the first 1,000 of the 5,000 profiles make test-long checks: they already
# reach every outcome, every field a counterfactual changes (and with each resulting outcome)
# and every number of changes that the 5,000 reach.
@pytest.mark.slow
@pytest.mark.parametrize("count", [1_000, pytest.param(5_000, marks=pytest.mark.long)])
def test_random_profiles(engine: Engine, count: int) -> None:
    found = unreachable = 0
    for project in random_profiles(count, seed=12):
        n, never = _check_true(engine, project)
        found += n
        unreachable += never
    assert found > 0.4 * count  # (the property is not vacuous)


def _base(**changes: object) -> Profile:
    fields: dict[str, object] = dict(
        task_type="CLASSIFICATION", goal="FORMAT", domain="GENERAL", quality_examples=3_000,
        data_change_frequency="STATIC",
        prompt_engineering=PromptEngineering(8, True, True),
        base_model_score=0.78, target_score=0.9, dedicated_model=True, planned_method="LORA",
        economics=Economics(200_000, 0.02, 30_000, 400))
    fields.update(changes)
    return Profile(**fields)  # type: ignore[arg-type]


def _changes(a: pb.Assessment) -> list[dict[str, object]]:
    return [{ch.field: value_of(ch.to) for ch in c.changes}
            for c in a.counterfactuals]


def test_the_smallest_volume_that_passes(engine: Engine) -> None:
    a = wire.to_message(engine.decide(_base(economics=Economics(5_000, 0.02, 30_000, 400)),
                                      explain=True), "")
    assert {"economics.requests_per_day": 10_000.0} in _changes(a)
    assert a.counterfactuals[0].actionable


def test_break_even_solved_back_to_the_inputs(engine: Engine) -> None:
    # $0.002 × 20,000/day × 30 = $1,200/month; $30,000 breaks even after 25 months (max 12).
    a = wire.to_message(engine.decide(_base(economics=Economics(20_000, 0.002, 30_000, 400)),
                                      explain=True), "")
    got = _changes(a)
    assert {"economics.requests_per_day": 41_667.0} in got  # 30,000 / (12 × 0.002 × 30)
    assert {"economics.savings_per_request_usd": 0.00416667} in got  # 30,000 / (12 × 20,000 × 30)
    assert {"economics.investment_usd": 14_400.0} in got  # 12 × $1,200


def test_an_enum_moves_to_the_nearest_passing_value(engine: Engine) -> None:
    a = wire.to_message(engine.decide(_base(data_change_frequency="MONTHLY"), explain=True), "")
    assert _changes(a) == [{"data_change_frequency": "YEARLY"}]
    assert not a.counterfactuals[0].actionable  # how often the data changes is the problem's


def test_the_goal_is_not_actionable(engine: Engine) -> None:
    a = wire.to_message(engine.decide(_base(goal="KNOWLEDGE"), explain=True), "")
    assert a.counterfactuals and not any(c.actionable for c in a.counterfactuals)
    assert a.counterfactuals[0].summary.startswith("With goal: ")


def test_the_checklist_items_together(engine: Engine) -> None:
    a = wire.to_message(engine.decide(
        _base(prompt_engineering=PromptEngineering(2, False, True)), explain=True), "")
    assert _changes(a) == [{"prompt_engineering.prompt_variations_tested": 5.0,
                            "prompt_engineering.few_shot_tried": True}]


def test_a_fine_tune_verdict_has_none(engine: Engine) -> None:
    a = wire.to_message(engine.decide(_base(), explain=True), "")
    assert a.verdict == pb.VERDICT_FINE_TUNE
    assert not a.counterfactuals and not a.fine_tune_unreachable


def test_without_the_option_nothing_is_searched(engine: Engine) -> None:
    a = assess(engine, _base(dedicated_model=False))
    assert not a.counterfactuals and not a.missing_field_outcomes


def test_summary_and_values(engine: Engine) -> None:
    a = wire.to_message(engine.decide(_base(dedicated_model=False), explain=True), "")
    (c,) = a.counterfactuals
    assert c.summary == ("With model dedicated to the task: yes (now no), the verdict would be "
                         "FINE_TUNE.")
    (ch,) = c.changes
    assert value_of(getattr(ch, "from")) is False and value_of(ch.to) is True
    assert enums.OUTCOME.short(c.resulting_outcome) == "FINE_TUNE"


def test_over_grpc_every_counterfactual_holds(stub) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for project in random_profiles(150, seed=7):
        try:
            convert.profile_from_proto(project)
        except InvalidInput:
            continue
        a = stub.Evaluate(pb.EvaluateRequest(project=project, explain=True),
                          timeout=60).assessment
        for c in a.counterfactuals:
            again = stub.Evaluate(pb.EvaluateRequest(project=apply(project, changes_of(c))),
                                  timeout=60).assessment
            assert (again.verdict, again.outcome) == (c.resulting_verdict, c.resulting_outcome)
            checked += 1
    assert checked > 50


def test_the_option_is_part_of_the_cached_answer(stub) -> None:  # type: ignore[no-untyped-def]
    # The same profile, asked for with and without explanations, in turn: the decision cache
    # keeps the two answers apart.
    project = profile_message({"dedicatedModel": False, "goal": "GOAL_FORMAT"})
    for _ in range(2):
        plain = stub.Evaluate(pb.EvaluateRequest(project=project), timeout=30).assessment
        explained = stub.Evaluate(pb.EvaluateRequest(project=project, explain=True),
                                  timeout=30).assessment
        assert not plain.counterfactuals and not plain.missing_field_outcomes
        assert explained.counterfactuals and explained.missing_field_outcomes
    batch = stub.EvaluateBatch(pb.EvaluateBatchRequest(projects=[project], explain=True),
                               timeout=30).assessments
    assert batch[0].counterfactuals == explained.counterfactuals


def test_nothing_within_the_valid_ranges_passes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A policy whose step 3 blocks any number of examples: no valid profile reaches FINE_TUNE,
    # and the answer says so instead of returning nothing.
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules, ignore=shutil.ignore_patterns("tests"))
    path = rules / "failure_modes.yaml"
    old = "when: { fact: quality_examples, lt: { fact: tree_minimum_examples } }"
    path.write_text(path.read_text(encoding="utf-8").replace(
        old, "when: { fact: quality_examples, gte: 0 }"), encoding="utf-8")
    strict = Engine(rules)
    a = wire.to_message(strict.decide(_base(), explain=True), "")
    assert enums.OUTCOME.short(a.outcome) == "FEW_SHOT"
    assert not a.counterfactuals and a.fine_tune_unreachable
    from ftgate.cli.report import render_report

    assert "Nothing within the valid ranges of the inputs gives FINE_TUNE." in render_report(a)
