"""The rule test tables of rules/tests/ (the policy of docs/rules.md as data), in-process and
over gRPC."""

from __future__ import annotations

import pytest
from conftest_helpers import assess
from ftgate.api import convert
from ftgate.engine import Engine
from ftgate.engine.engine import default_rules_dir
from ftgate.ruleset.loader import OUTCOMES
from ftgate.ruletest import check, load_cases, profile_message, run_cases
from ftgate.v1 import advisor_pb2 as pb

CASES = load_cases(default_rules_dir() / "tests")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case_in_process(engine: Engine, case) -> None:
    [(_, problems)] = run_cases(engine, [case])
    assert problems == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case_over_grpc(stub, case) -> None:
    reply = stub.Evaluate(pb.EvaluateRequest(project=profile_message(case.profile)), timeout=10)
    assert check(case.expect, reply.assessment) == []


def test_tables_cover_every_rule_and_every_leaf(engine: Engine) -> None:
    expected_findings = {r for c in CASES for r in c.expect.get("findings", [])}
    rules = {r.id for r in engine.ruleset.rules if r.failure_mode}
    assert rules - expected_findings == set()
    outcomes = {c.expect.get("outcome") for c in CASES}
    assert set(OUTCOMES) - outcomes == set()
    assert {"FINE_TUNE", "DO_NOT_FINE_TUNE", "NEEDS_INFORMATION"} <= {
        c.expect.get("verdict") for c in CASES}


def test_check_reports_a_wrong_expectation(engine: Engine) -> None:
    """The table runner itself can fail: a deliberately wrong row is reported."""
    case = CASES[0]
    wrong = type(case)(case.file, case.name, case.profile, {**case.expect, "verdict": "FINE_TUNE",
                                                             "outcome": "USE_RAG"})
    [(_, problems)] = run_cases(engine, [wrong])
    assert any("outcome" in p for p in problems)


def test_leaf_always_has_a_blocker_of_its_failure_mode(engine: Engine) -> None:
    leaf_mode = {"OPTIMIZE_PROMPT": "BASE_MODEL_SUFFICIENT", "USE_RAG": "FACTUAL_KNOWLEDGE",
                 "FEW_SHOT": "INSUFFICIENT_DATA", "RAG_OR_DYNAMIC_PROMPTING": "CHANGING_DATA",
                 "PROMPT_ENGINEERING": "NEGATIVE_ROI", "FORGETTING_RISK": "CAPABILITY_LOSS"}
    from ftgate import enums
    from ftgate.api import convert

    for case in CASES:
        a = assess(engine, convert.profile_from_proto(profile_message(case.profile)))
        outcome = enums.OUTCOME.short(a.outcome) if a.outcome else None
        if outcome in leaf_mode:
            assert any(f.severity == pb.SEVERITY_BLOCKER
                       and enums.FAILURE_MODE.short(f.failure_mode) == leaf_mode[outcome]
                       for f in a.findings), case.id
        if a.verdict == pb.VERDICT_FINE_TUNE:
            assert a.HasField("plan")
            assert not any(f.severity == pb.SEVERITY_BLOCKER for f in a.findings)
        else:
            assert not a.HasField("plan")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_the_server_sends_the_answer_the_engine_gives(engine: Engine, stub, case) -> None:
    """Over gRPC, Evaluate answers the message an in-process caller builds from the engine's
    decision, but for the decision id."""
    project = profile_message(case.profile)
    reply = stub.Evaluate(pb.EvaluateRequest(project=project), timeout=10).assessment
    local = assess(engine, convert.profile_from_proto(project))
    assert reply.decision_id and reply.decision_id != local.decision_id
    reply.decision_id = local.decision_id = ""
    assert reply == local
