"""The one wire writer: its bytes are exactly what the protobuf message API serializes.

The server answers with `AssessmentWriter`'s bytes (api/wire.py), written field by field with
parts encoded once per policy; in-process callers get `to_message`, built with the message API.
On every rule-table case and on 10,000 seeded random profiles, the two are the same bytes.
"""

from __future__ import annotations

import pytest
from ftgate.api import convert, wire
from ftgate.engine import Engine
from ftgate.engine.engine import compile_policy, default_rules_dir
from ftgate.errors import InvalidInput
from ftgate.ruletest import load_cases, profile_message
from ftgate.v1 import advisor_pb2 as pb
from randomprofiles import random_profiles

CASES = [profile_message(case.profile) for case in load_cases(default_rules_dir() / "tests")]


def _writer_agrees(engine: Engine, projects: list[pb.ProjectProfile],
                   explain: bool = False) -> set[int]:
    writer = wire.writer_for(engine.policy)
    verdicts = set()
    for project in projects:
        try:
            profile = convert.profile_from_proto(project)
        except InvalidInput:
            continue
        decision = engine.decide(profile, explain=explain)
        message = wire.to_message(decision, "0f8fad5b-d9cb-469f-a165-70867728950e")
        encoded = wire.assessment(message.decision_id, writer.body(decision))
        assert encoded == message.SerializeToString(deterministic=True), project
        assert pb.Assessment.FromString(encoded) == message
        verdicts.add((message.verdict, message.outcome))
    return verdicts


def test_every_rule_table_case(engine: Engine) -> None:
    assert len(_writer_agrees(engine, CASES)) >= 7  # every leaf and NEEDS_INFORMATION


def test_with_explanations(engine: Engine) -> None:
    # Counterfactuals, fine_tune_unreachable and missing-field outcomes, written by both.
    assert len(_writer_agrees(engine, CASES + random_profiles(500), explain=True)) == 8


@pytest.mark.parametrize("count", [2_000, pytest.param(10_000, marks=pytest.mark.long)])
def test_random_profiles(engine: Engine, count: int) -> None:
    # Every outcome of the tree and NEEDS_INFORMATION come up.
    assert len(_writer_agrees(engine, random_profiles(count))) == 8


def test_responses_wrap_assessments(engine: Engine) -> None:
    decision = engine.decide(convert.profile_from_proto(CASES[0]))
    one = wire.assessment("id", wire.writer_for(engine.policy).body(decision))
    assert pb.EvaluateResponse.FromString(wire.evaluate_response(one)).assessment == \
        pb.Assessment.FromString(one)
    batch = pb.EvaluateBatchResponse.FromString(wire.batch_response([one, one]))
    assert list(batch.assessments) == [pb.Assessment.FromString(one)] * 2


def test_a_writer_belongs_to_its_policy(engine: Engine) -> None:
    other = compile_policy(engine.ruleset)  # as a reload makes
    assert wire.writer_for(engine.policy) is wire.writer_for(engine.policy)
    assert wire.writer_for(other) is not wire.writer_for(engine.policy)
