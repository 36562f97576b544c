"""The exception hierarchy: InvalidProfile names the field; no raw grpc.RpcError escapes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest

from ftgate_client import (
    Client,
    DeadlineExceeded,
    FtgateError,
    InvalidArgument,
    InvalidProfile,
    Unavailable,
    v1,
)
from ftgate_client._gen.ftgate.v1 import advisor_pb2_grpc

from _server import free_port


def test_invalid_profile_names_the_field(client: Client) -> None:
    with pytest.raises(InvalidProfile) as info:
        client.evaluate({"name": "p", "targetScore": 1.5})
    error = info.value
    assert error.code is not None and error.code.name == "INVALID_ARGUMENT"
    assert "project.target_score" in error.fields
    assert error.violations[error.fields.index("project.target_score")].description
    assert "project.target_score" in str(error)
    assert isinstance(error, InvalidArgument) and isinstance(error, FtgateError)


def test_batch_violation_is_prefixed_with_the_index(client: Client) -> None:
    with pytest.raises(InvalidProfile) as info:
        client.evaluate_batch([{}, {"economics": {"requestsPerDay": -1}}])
    assert "projects[1].economics.requests_per_day" in info.value.fields


def test_check_regression_error_is_invalid_argument_not_profile(client: Client) -> None:
    with pytest.raises(InvalidArgument) as info:
        client.check_regression({"qa": 1.2}, {"qa": 0.9})
    assert not isinstance(info.value, InvalidProfile)
    assert "baseline[0].score" in info.value.fields


def test_mapping_scores_are_accepted(client: Client) -> None:
    result = client.check_regression({"qa": 0.9, "code": 0.8}, {"code": 0.5, "qa": 0.9}, 0.9)
    assert [d.task for d in result.deltas] == ["qa", "code"]
    assert [d.degraded for d in result.deltas] == [False, True] and not result.passed


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        ({"noSuchField": 1}, "project"),
        ({"taskType": "TASK_TYPE_NOPE"}, "project.task_type"),
        ({"economics": {"requestsPerDay": "many"}}, "project.economics.requests_per_day"),
    ],
)
def test_bad_dict_is_refused_before_sending(profile: dict[str, object], field: str) -> None:
    # No server needed: the SDK parses the dict first and names the field itself.
    with (
        Client(f"127.0.0.1:{free_port()}", timeout=1) as client,
        pytest.raises(InvalidProfile) as info,
    ):
        client.evaluate(profile)
    assert info.value.code is None
    assert info.value.fields == [field]


def test_bad_dict_in_batch_names_its_index() -> None:
    with (
        Client(f"127.0.0.1:{free_port()}", timeout=1) as client,
        pytest.raises(InvalidProfile) as info,
    ):
        client.evaluate_batch([{}, {}, {"qualityExamples": "lots"}])
    assert info.value.fields == ["projects[2].quality_examples"]


def test_unreachable_server_is_unavailable() -> None:
    with (
        Client(f"127.0.0.1:{free_port()}", timeout=10) as client,
        pytest.raises(Unavailable) as info,
    ):
        client.list_rules()
    assert info.value.method == "ListRules"


class Unanswering(advisor_pb2_grpc.FineTuningAdvisorServiceServicer):
    """Slow on purpose: answers only once the call has ended (its deadline passed), so that
    only the client's deadline can end a call, however fast or loaded the machine."""

    @staticmethod
    def _until_the_call_ends(context: grpc.ServicerContext) -> None:
        ended = threading.Event()
        if context.add_callback(ended.set):  # False: the call has ended already
            ended.wait(60)

    def ListRules(
        self, request: v1.ListRulesRequest, context: grpc.ServicerContext
    ) -> v1.ListRulesResponse:
        self._until_the_call_ends(context)
        return v1.ListRulesResponse()

    def Evaluate(
        self, request: v1.EvaluateRequest, context: grpc.ServicerContext
    ) -> v1.EvaluateResponse:
        self._until_the_call_ends(context)
        return v1.EvaluateResponse()


@pytest.fixture()
def unanswering() -> Iterator[str]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    advisor_pb2_grpc.add_FineTuningAdvisorServiceServicer_to_server(Unanswering(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(grace=None).wait(5)


def test_every_call_has_a_deadline(unanswering: str) -> None:
    with Client(unanswering, timeout=0.2) as client, pytest.raises(DeadlineExceeded):
        client.list_rules()
    with Client(unanswering) as client, pytest.raises(DeadlineExceeded):
        client.evaluate({}, timeout=0.2)


@pytest.mark.parametrize("timeout", [0, -1, float("inf"), float("nan")])
def test_timeout_must_be_positive(timeout: float) -> None:
    with pytest.raises(ValueError):
        Client("127.0.0.1:1", timeout=timeout)
