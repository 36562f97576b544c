"""The HTTP door's input reader validates each profile once: the service takes the profiles it
validated (`validated`) instead of checking them again, and decides them as it decides the
messages themselves."""

from __future__ import annotations

import json

import pytest
from ftgate.api import convert, service
from ftgate.api.limits import CallBudget
from ftgate.api.record import Recorder
from ftgate.api.service import AdvisorService
from ftgate.engine import Engine
from ftgate.obs.logging import DecisionLog
from ftgate.randomprofiles import random_profiles
from ftgate.server.http.body import BadBody, request_from_json
from ftgate.v1 import advisor_pb2 as pb
from google.protobuf import json_format


class _Call:
    def time_remaining(self) -> None:
        return None

    def is_active(self) -> bool:
        return True


def _body(project: pb.ProjectProfile, key: str = "project") -> bytes:
    return json.dumps({key: json_format.MessageToDict(project)}).encode()


@pytest.fixture(scope="module")
def advisor() -> AdvisorService:
    return AdvisorService(Engine(), Recorder(DecisionLog(None, False, {})))


def test_the_readers_profiles_are_the_contracts() -> None:
    checked = 0
    for project in random_profiles(600, seed=41):
        try:
            expected = convert.profile_from_proto(project)
        except convert.InvalidProfile:
            continue
        message, validated = request_from_json(_body(project), pb.EvaluateRequest())
        assert validated == [expected]
        assert convert.profile_from_proto(message.project) == expected  # type: ignore[attr-defined]
        checked += 1
    assert checked > 300
    batch = [p for p in random_profiles(40, seed=42)][:5]
    body = json.dumps({"projects": [json_format.MessageToDict(p) for p in batch]}).encode()
    try:
        expected_batch = [convert.profile_from_proto(p) for p in batch]
    except convert.InvalidProfile:
        pytest.skip("a random batch profile is invalid")
    assert request_from_json(body, pb.EvaluateBatchRequest())[1] == expected_batch


def test_a_request_with_a_problem_hands_over_no_profile() -> None:
    body = json.dumps({"project": {"name": "x", "baseModelScore": 2}}).encode()
    with pytest.raises(BadBody) as refused:
        request_from_json(body, pb.EvaluateRequest())
    assert [v.field for v in refused.value.violations] == ["project.baseModelScore"]


def test_the_service_does_not_check_validated_profiles_again(
        advisor: AdvisorService, monkeypatch: pytest.MonkeyPatch) -> None:
    projects = random_profiles(200, seed=43)
    answers = []
    for project in projects:
        try:
            convert.profile_from_proto(project)
        except convert.InvalidProfile:
            continue
        message, validated = request_from_json(_body(project), pb.EvaluateRequest())
        answers.append((message, validated,
                        advisor.evaluate(message, CallBudget(_Call(), None)).decision))

    def refuse(*_: object) -> None:
        raise AssertionError("validated twice")

    monkeypatch.setattr(service.convert, "profile_from_proto", refuse)
    for message, validated, decision in answers:
        again = advisor.evaluate(message, CallBudget(_Call(), None), validated=validated)
        assert again.decision == decision
