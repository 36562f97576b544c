"""Retries on UNAVAILABLE only, through gRPC's retry service config; bearer token metadata."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest

from ftgate_client import Client, InvalidArgument, Unavailable, v1
from ftgate_client._gen.ftgate.v1 import advisor_pb2_grpc

from _server import FtgateServer, free_port


class Scripted(advisor_pb2_grpc.FineTuningAdvisorServiceServicer):
    """ListRules fails with ``code`` for the first ``failures`` calls, then answers."""

    def __init__(self) -> None:
        self.failures = 0
        self.code = grpc.StatusCode.UNAVAILABLE
        self.calls = 0
        self.metadata: list[dict[str, str | bytes]] = []
        self._lock = threading.Lock()

    def ListRules(
        self, request: v1.ListRulesRequest, context: grpc.ServicerContext
    ) -> v1.ListRulesResponse:
        with self._lock:
            self.calls += 1
            self.metadata.append(dict(context.invocation_metadata()))
            failing = self.calls <= self.failures
        if failing:
            context.abort(self.code, "scripted failure")
        return v1.ListRulesResponse(ruleset_version="scripted")


@pytest.fixture()
def scripted() -> Iterator[tuple[Scripted, str]]:
    servicer = Scripted()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    advisor_pb2_grpc.add_FineTuningAdvisorServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield servicer, f"127.0.0.1:{port}"
    finally:
        server.stop(grace=None).wait(5)


def test_unavailable_is_retried_until_it_succeeds(scripted: tuple[Scripted, str]) -> None:
    servicer, address = scripted
    servicer.failures = 3
    with Client(address, timeout=10) as client:
        assert client.list_rules().ruleset_version == "scripted"
    assert servicer.calls == 4


def test_retries_stop_at_five_attempts(scripted: tuple[Scripted, str]) -> None:
    servicer, address = scripted
    servicer.failures = 100
    with Client(address, timeout=10) as client, pytest.raises(Unavailable):
        client.list_rules()
    assert servicer.calls == 5


@pytest.mark.parametrize(
    "code",
    [
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    ],
)
def test_other_codes_are_not_retried(scripted: tuple[Scripted, str], code: grpc.StatusCode) -> None:
    servicer, address = scripted
    servicer.failures, servicer.code = 100, code
    with Client(address, timeout=10) as client, pytest.raises(Exception) as info:
        client.list_rules()
    assert servicer.calls == 1
    assert info.value.code == code  # type: ignore[attr-defined]
    assert not isinstance(info.value, grpc.RpcError)
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        assert isinstance(info.value, InvalidArgument)


def test_token_is_sent_as_bearer_metadata(scripted: tuple[Scripted, str]) -> None:
    servicer, address = scripted
    with Client(address, token="s3cret") as client:
        client.list_rules()
    with Client(address) as client:
        client.list_rules()
    assert servicer.metadata[0]["authorization"] == "Bearer s3cret"
    assert "authorization" not in servicer.metadata[1]
    assert str(servicer.metadata[0]["user-agent"]).startswith("ftgate-client-python/")


@pytest.mark.slow
def test_client_made_before_the_server_starts() -> None:
    port = free_port()
    with Client(f"127.0.0.1:{port}", timeout=10) as client:
        with pytest.raises(Unavailable):
            client.list_rules()  # nothing listens yet: 5 attempts, then Unavailable
        server = FtgateServer(port).start()
        try:
            assert client.list_rules().ruleset_version  # same channel, now reaches the server
        finally:
            server.stop()


@pytest.mark.slow
def test_server_restart_on_the_same_port() -> None:
    server = FtgateServer().start()
    try:
        with Client(server.address, timeout=10) as client:
            first = client.list_rules().ruleset_version
            server.stop()
            server = FtgateServer(server.port).start()
            assert client.list_rules().ruleset_version == first
    finally:
        server.stop()
