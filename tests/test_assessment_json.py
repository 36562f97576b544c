"""The HTTP edge's JSON is the proto3 JSON mapping of the Assessment, written from the typed
Decision: the same dict as `json_format.MessageToDict(to_message(...))`, on every rule-table case
and on thousands of seeded random profiles, with and without explanations, in both languages."""

from __future__ import annotations

import gc
import math
import weakref

import orjson
import pytest
from ftgate.api import convert
from ftgate.api.answer import Answer
from ftgate.assessment import to_message
from ftgate.domain.decision import Roi
from ftgate.engine import Engine
from ftgate.engine.engine import compile_policy, default_rules_dir
from ftgate.errors import InvalidInput
from ftgate.randomprofiles import random_profiles
from ftgate.ruletest import load_cases, profile_message
from ftgate.server.http import assessment_json
from ftgate.v1 import advisor_pb2 as pb
from google.protobuf import json_format
from test_wire import _waived

CASES = [profile_message(case.profile) for case in load_cases(default_rules_dir() / "tests")]
DECISION_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def _oracle(message: pb.Assessment) -> object:
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


def _agrees(engine: Engine, projects: list[pb.ProjectProfile], explain: bool = False,
            lang: str = "en") -> set[tuple[int, int]]:
    seen = set()
    for project in projects:
        try:
            profile = convert.profile_from_proto(project)
        except InvalidInput:
            continue
        decision = engine.policy.decide(profile, explain=explain, lang=lang)
        answer = Answer(DECISION_ID, decision, engine.policy, lang, explain)
        expected = _oracle(to_message(decision, DECISION_ID))
        # Twice: the second time from the objects the mapper kept.
        for _ in range(2):
            assert assessment_json.assessment_dict(answer) == expected, project
        assert orjson.loads(assessment_json.evaluate_json(answer)) == {"assessment": expected}
        message = to_message(decision, DECISION_ID)
        seen.add((message.verdict, message.outcome))
    return seen


def test_every_rule_table_case(engine: Engine) -> None:
    assert len(_agrees(engine, CASES)) >= 7


def test_with_explanations_and_in_french(engine: Engine) -> None:
    assert len(_agrees(engine, CASES + random_profiles(300, seed=3), explain=True)) == 8
    assert len(_agrees(engine, CASES + random_profiles(300, seed=4), lang="fr")) >= 7


def test_thousands_of_random_profiles(engine: Engine) -> None:
    assert len(_agrees(engine, random_profiles(3_000, seed=11))) == 8


@pytest.mark.slow
def test_ten_thousand_random_profiles(engine: Engine) -> None:
    assert len(_agrees(engine, random_profiles(10_000))) == 8


def test_waived_findings_and_the_waivers_applied(engine: Engine) -> None:
    decisions = _waived(engine, CASES + random_profiles(300, seed=5))
    assert len(decisions) >= 50
    for decision in decisions:
        answer = Answer(DECISION_ID, decision, engine.policy, "en", False)
        expected = _oracle(to_message(decision, DECISION_ID))
        assert isinstance(expected, dict) and expected["waiversApplied"]
        assert any(f["waiverId"] for f in expected["findings"])
        assert assessment_json.assessment_dict(answer) == expected
        assert orjson.loads(assessment_json.evaluate_json(answer)) == {"assessment": expected}


def test_a_batch_lists_its_answers_in_order(engine: Engine) -> None:
    answers = [Answer(f"id-{i}", engine.policy.decide(convert.profile_from_proto(p)),
                      engine.policy, "en", False) for i, p in enumerate(CASES[:3])]
    body = orjson.loads(assessment_json.batch_json(answers))
    assert [a["decisionId"] for a in body["assessments"]] == ["id-0", "id-1", "id-2"]


def test_non_finite_doubles_are_named_as_the_mapping_names_them() -> None:
    roi = Roi(monthly_savings_usd=math.inf, break_even_months=-math.inf,
              annual_retraining_cost_usd=math.nan)
    got = assessment_json.roi_dict(roi)
    assert (got["monthlySavingsUsd"], got["breakEvenMonths"], got["annualRetrainingCostUsd"]) \
        == ("Infinity", "-Infinity", "NaN")
    message = pb.RoiAnalysis(monthly_savings_usd=math.inf, break_even_months=-math.inf,
                             annual_retraining_cost_usd=math.nan)
    assert got == json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


def test_a_mapper_dies_with_its_policy(engine: Engine) -> None:
    other = compile_policy(engine.ruleset)
    mapper = weakref.ref(assessment_json.mapper_for(other))
    assert assessment_json.mapper_for(other) is mapper()
    del other
    gc.collect()
    assert mapper() is None
