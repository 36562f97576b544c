"""The SDK against servers started with options: bearer tokens, TLS, the decision audit log."""

from __future__ import annotations

import asyncio
import datetime
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2

from ftgate_client import (
    AsyncClient,
    Client,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Unauthenticated,
    Unavailable,
    v1,
)

from _server import FtgateServer

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FtgateServer]:
    """A server that wants a bearer token and keeps a decision audit log."""
    folder = tmp_path_factory.mktemp("options")
    (folder / "tokens").write_text(TOKEN + "\n")
    server = FtgateServer(
        args=(
            "--auth-tokens",
            str(folder / "tokens"),
            "--audit-db",
            str(folder / "decisions.sqlite"),
        )
    ).start()
    yield server
    server.stop()


def test_token_is_required_and_accepted(token_server: FtgateServer) -> None:
    with Client(token_server.address) as anonymous:
        with pytest.raises(Unauthenticated) as info:
            anonymous.list_rules()
        assert info.value.code == grpc.StatusCode.UNAUTHENTICATED
    with Client(token_server.address, token="wrong") as wrong, pytest.raises(Unauthenticated):
        wrong.evaluate({})
    with Client(token_server.address, token=TOKEN) as good:
        assert good.list_rules().rules
        assert good.evaluate({"goal": "GOAL_KNOWLEDGE"}).decision_id


def test_async_token(token_server: FtgateServer) -> None:
    async def main() -> None:
        async with AsyncClient(token_server.address) as anonymous:
            with pytest.raises(Unauthenticated):
                await anonymous.list_rules()
        async with AsyncClient(token_server.address, token=TOKEN) as good:
            assert (await good.list_rules()).rules

    asyncio.run(asyncio.wait_for(main(), AUDIT_WAIT_SECONDS + 30))


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FtgateServer, bytes]]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    root = cert.read_bytes()
    server = FtgateServer(
        args=("--tls-cert", str(cert), "--tls-key", str(key)), root_cert=root
    ).start()
    yield server, root
    server.stop()


def test_tls_with_credentials(tls_server: tuple[FtgateServer, bytes]) -> None:
    server, root = tls_server
    with Client(server.address, tls=grpc.ssl_channel_credentials(root)) as client:
        assert client.health().status == health_pb2.HealthCheckResponse.SERVING
        assert client.evaluate({}).verdict == v1.Verdict.VERDICT_NEEDS_INFORMATION
    # Plaintext to a TLS port never gets an answer.
    with Client(server.address, timeout=5) as plaintext, pytest.raises(Unavailable):
        plaintext.list_rules()


# The audit log is written in the background: poll for a decision, bounded by this.
AUDIT_WAIT_SECONDS = 30.0


def wait_for_decision(client: Client, decision_id: str) -> v1.DecisionRecord:
    """The decision once the asynchronous audit writer has stored it (NotFound after the wait)."""
    deadline = time.monotonic() + AUDIT_WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            return client.get_decision(decision_id)
        except NotFound:
            time.sleep(0.1)
    return client.get_decision(decision_id)


def test_decision_audit_log(token_server: FtgateServer) -> None:
    before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=5)
    with Client(token_server.address, token=TOKEN) as client:
        allowed = client.evaluate({"name": "audited", "goal": "GOAL_KNOWLEDGE"})
        record = wait_for_decision(client, allowed.decision_id)
        assert record.decision_id == allowed.decision_id
        assert record.project.name == "audited"
        assert record.assessment.verdict == allowed.verdict
        assert record.ruleset_version == allowed.ruleset_version
        assert record.decided_at.ToDatetime(datetime.UTC) >= before

        page = client.list_decisions(
            since=before, verdict="VERDICT_NEEDS_INFORMATION", page_size=10
        )
        assert allowed.decision_id in [d.decision_id for d in page.decisions]
        assert all(
            d.assessment.verdict == v1.Verdict.VERDICT_NEEDS_INFORMATION for d in page.decisions
        )
        none = client.list_decisions(until=before)
        assert allowed.decision_id not in [d.decision_id for d in none.decisions]

        with pytest.raises(NotFound):
            client.get_decision(str(uuid.uuid4()))
        with pytest.raises(InvalidArgument):
            client.get_decision("not-a-uuid")
        with pytest.raises(InvalidArgument):
            client.list_decisions(verdict="VERDICT_MAYBE")


def test_async_decision_audit_log(token_server: FtgateServer) -> None:
    async def main() -> None:
        async with AsyncClient(token_server.address, token=TOKEN) as client:
            assessment = await client.evaluate({})
            deadline = time.monotonic() + AUDIT_WAIT_SECONDS
            while True:
                try:
                    record = await client.get_decision(assessment.decision_id)
                    break
                except NotFound:
                    if time.monotonic() > deadline:
                        raise AssertionError("decision never reached the audit log") from None
                    await asyncio.sleep(0.1)
            assert record.assessment.decision_id == assessment.decision_id
            page = await client.list_decisions(page_size=1)
            assert len(page.decisions) == 1

    asyncio.run(asyncio.wait_for(main(), AUDIT_WAIT_SECONDS + 30))


def test_no_audit_log_is_failed_precondition(server: FtgateServer) -> None:
    with Client(server.address) as client, pytest.raises(FailedPrecondition):
        client.get_decision(str(uuid.uuid4()))
