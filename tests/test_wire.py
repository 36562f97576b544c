"""The one wire writer: its bytes are exactly what the protobuf message API serializes.

The gRPC edge answers with `AssessmentWriter`'s bytes (server/grpc/assessments.py), written field
by field with parts encoded once per policy; in-process callers and the audit writer get
`to_message` (ftgate/assessment.py), built with the message API. On every rule-table case and on
10,000 seeded random profiles, the two are the same bytes.
"""
from __future__ import annotations

import pytest
from ftgate.api import convert
from ftgate.assessment import to_message
from ftgate.domain.decision import Decision
from ftgate.domain.waiver import Waiver
from ftgate.engine import Engine
from ftgate.engine.engine import compile_policy, default_rules_dir
from ftgate.errors import InvalidInput
from ftgate.randomprofiles import random_profiles
from ftgate.ruletest import load_cases, profile_message
from ftgate.server.grpc import assessments
from ftgate.v1 import advisor_pb2 as pb

NOW = 1_800_000_000_000_000  # µs: the decisions' clock
DAY = 86_400_000_000
CASES = [profile_message(case.profile) for case in load_cases(default_rules_dir() / "tests")]


def _writer_agrees(engine: Engine, projects: list[pb.ProjectProfile],
                   explain: bool = False) -> set[int]:
    writer = assessments.writer_for(engine.policy)
    verdicts = set()
    for project in projects:
        try:
            profile = convert.profile_from_proto(project)
        except InvalidInput:
            continue
        decision = engine.decide(profile, explain=explain)
        message = to_message(decision, "0f8fad5b-d9cb-469f-a165-70867728950e")
        encoded = assessments.assessment(message.decision_id, writer.body(decision))
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


def _waived(engine: Engine, projects: list[pb.ProjectProfile]) -> list[Decision]:
    """The decisions of the profiles that block, each decided again with a waiver of every
    BLOCKER finding (times with and without a fraction of a second)."""
    out = []
    for i, project in enumerate(projects):
        try:
            profile = convert.profile_from_proto(project)
        except InvalidInput:
            continue
        blockers = tuple(f.rule_id for f in engine.decide(profile, now_us=NOW).findings
                         if f.severity == "BLOCKER")
        if blockers:
            waiver = Waiver(f"w-{i}", profile.name, blockers, "a reason", "TICKET-1" * (i % 2),
                            "Ann Approver", NOW - DAY + 123 * (i % 2), NOW + DAY + 456_000 * i,
                            None)
            out.append(engine.decide(profile, waivers=(waiver,), now_us=NOW))
    return out


def test_waived_findings_and_the_waivers_applied(engine: Engine) -> None:
    decisions = _waived(engine, CASES + random_profiles(300, seed=5))
    assert len(decisions) >= 50
    writer = assessments.writer_for(engine.policy)
    for decision in decisions:
        message = to_message(decision, "id")
        assert message.waivers_applied and any(f.waiver_id for f in message.findings)
        encoded = assessments.assessment("id", writer.body(decision))
        assert encoded == message.SerializeToString(deterministic=True)
        assert pb.Assessment.FromString(encoded) == message


def test_responses_wrap_assessments(engine: Engine) -> None:
    decision = engine.decide(convert.profile_from_proto(CASES[0]))
    one = assessments.assessment("id", assessments.writer_for(engine.policy).body(decision))
    assert pb.EvaluateResponse.FromString(assessments.evaluate_response(one)).assessment == \
        pb.Assessment.FromString(one)
    batch = pb.EvaluateBatchResponse.FromString(assessments.batch_response([one, one]))
    assert list(batch.assessments) == [pb.Assessment.FromString(one)] * 2


def test_a_writer_belongs_to_its_policy(engine: Engine) -> None:
    other = compile_policy(engine.ruleset)  # as a reload makes
    assert assessments.writer_for(engine.policy) is assessments.writer_for(engine.policy)
    assert assessments.writer_for(other) is not assessments.writer_for(engine.policy)


def test_a_writer_dies_with_its_policy(engine: Engine) -> None:
    import gc
    import weakref

    other = compile_policy(engine.ruleset)
    writer = weakref.ref(assessments.writer_for(other))
    assert writer() is not None
    del other
    gc.collect()
    assert writer() is None
