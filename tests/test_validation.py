"""Bad input (the contract, advisor.proto): INVALID_ARGUMENT with a google.rpc.BadRequest naming
each bad field."""

from __future__ import annotations

import math

import grpc
import pytest
from conftest_helpers import violated_fields
from ftgate.v1 import advisor_pb2 as pb

NAN, INF = math.nan, math.inf


def _profile(**fields) -> pb.ProjectProfile:
    p = pb.ProjectProfile(name="bad input")
    for path, value in fields.items():
        target = p
        *parents, leaf = path.split("__")
        for parent in parents:
            target = getattr(target, parent)
        if leaf == "symptoms":
            target.symptoms.extend(value)
        else:
            setattr(target, leaf, value)
    return p


# (what, profile fields, the field path that must be named)
BAD_PROFILES = [
    ("score above 1", {"base_model_score": 1.01}, "project.base_model_score"),
    ("negative score", {"target_score": -0.1}, "project.target_score"),
    ("NaN score", {"base_model_score": NAN}, "project.base_model_score"),
    ("infinite target", {"target_score": INF}, "project.target_score"),
    ("negative examples", {"quality_examples": -1}, "project.quality_examples"),
    ("negative prompt variations", {"prompt_engineering__prompt_variations_tested": -3},
     "project.prompt_engineering.prompt_variations_tested"),
    ("negative requests", {"economics__requests_per_day": -1.0},
     "project.economics.requests_per_day"),
    ("NaN requests", {"economics__requests_per_day": NAN}, "project.economics.requests_per_day"),
    ("infinite savings", {"economics__savings_per_request_usd": INF},
     "project.economics.savings_per_request_usd"),
    ("negative investment", {"economics__investment_usd": -5.0}, "project.economics.investment_usd"),
    ("NaN retraining cost", {"economics__retraining_cost_usd": NAN},
     "project.economics.retraining_cost_usd"),
    ("absurd money", {"economics__investment_usd": 1e300}, "project.economics.investment_usd"),
    ("negative prompt tokens", {"prompt__system_prompt_tokens": -1},
     "project.prompt.system_prompt_tokens"),
    ("unknown task type", {"task_type": 99}, "project.task_type"),
    ("unknown goal", {"goal": 42}, "project.goal"),
    ("unknown domain", {"domain": 77}, "project.domain"),
    ("unknown frequency", {"data_change_frequency": 50}, "project.data_change_frequency"),
    ("unknown method", {"planned_method": 9}, "project.planned_method"),
    ("unknown symptom", {"symptoms": [99]}, "project.symptoms[0]"),
    ("unspecified symptom", {"symptoms": [0]}, "project.symptoms[0]"),
    ("duplicate symptom", {"symptoms": [1, 1]}, "project.symptoms[1]"),
    ("oversize name", {"name": "x" * 257}, "project.name"),
]


@pytest.mark.parametrize(("what", "fields", "path"), BAD_PROFILES, ids=[b[0] for b in BAD_PROFILES])
def test_bad_profile_is_invalid_argument(stub, what, fields, path) -> None:
    with pytest.raises(grpc.RpcError) as exc:
        stub.Evaluate(pb.EvaluateRequest(project=_profile(**fields)), timeout=10)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert path in violated_fields(exc.value)
    assert "Traceback" not in (exc.value.details() or "")


def test_every_bad_field_is_named(stub) -> None:
    profile = _profile(base_model_score=2.0, quality_examples=-1, task_type=99,
                       economics__requests_per_day=NAN)
    with pytest.raises(grpc.RpcError) as exc:
        stub.Evaluate(pb.EvaluateRequest(project=profile), timeout=10)
    assert sorted(violated_fields(exc.value)) == sorted([
        "project.base_model_score", "project.quality_examples", "project.task_type",
        "project.economics.requests_per_day"])


def test_boundaries_are_valid(stub) -> None:
    profile = _profile(base_model_score=0.0, target_score=1.0, quality_examples=0,
                       economics__requests_per_day=0.0, name="x" * 256)
    reply = stub.Evaluate(pb.EvaluateRequest(project=profile), timeout=10)
    assert reply.assessment.verdict != pb.VERDICT_UNSPECIFIED


def test_batch_too_large(stub) -> None:
    request = pb.EvaluateBatchRequest(projects=[pb.ProjectProfile()] * 101)
    with pytest.raises(grpc.RpcError) as exc:
        stub.EvaluateBatch(request, timeout=10)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(exc.value) == ["projects"]


def test_empty_batch(stub) -> None:
    with pytest.raises(grpc.RpcError) as exc:
        stub.EvaluateBatch(pb.EvaluateBatchRequest(), timeout=10)
    assert violated_fields(exc.value) == ["projects"]


def test_batch_names_the_bad_item(stub) -> None:
    request = pb.EvaluateBatchRequest(projects=[pb.ProjectProfile(), _profile(target_score=3.0)])
    with pytest.raises(grpc.RpcError) as exc:
        stub.EvaluateBatch(request, timeout=10)
    assert violated_fields(exc.value) == ["projects[1].target_score"]


def test_batch_answers_in_order(stub) -> None:
    names = [f"p{i}" for i in range(100)]
    reply = stub.EvaluateBatch(
        pb.EvaluateBatchRequest(projects=[pb.ProjectProfile(name=n) for n in names]), timeout=30)
    assert [a.project_name for a in reply.assessments] == names
    assert len({a.decision_id for a in reply.assessments}) == 100


def test_server_survives_bad_input(stub) -> None:
    for _what, fields, _ in BAD_PROFILES:
        with pytest.raises(grpc.RpcError):
            stub.Evaluate(pb.EvaluateRequest(project=_profile(**fields)), timeout=10)
    assert stub.ListRules(pb.ListRulesRequest(), timeout=10).rules
