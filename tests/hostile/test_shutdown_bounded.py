"""SIGTERM ends the process within --grace plus the documented margin, whatever a call does,
and what the server owes (audit tail, decision lines, counters) is written first."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from ftgate.server.server import EXIT_ABANDONED, SHUTDOWN_MARGIN_SECONDS
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from opstools import fine_tune_profile, metric, scrape, wait_until
from serverproc import ServerProcess, start_server

REFLECTION = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
# The hang was a race (7 of 12 fresh servers, one message each): many such calls at once make
# the old failure all but certain on every run.
MALFORMED_STREAMS = 16
# Generous: a loaded machine may take long to start and stop Python processes.
EXIT_TIMEOUT = 90.0


def exit_code(server: ServerProcess, timeout: float = EXIT_TIMEOUT) -> int:
    try:
        return server.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(10)
        raise AssertionError(f"no exit {timeout} s after SIGTERM:\n{server.log()[-3000:]}") from None


def malformed_reflection_call(address: str) -> grpc.StatusCode:
    with grpc.insecure_channel(address) as channel:
        call = channel.stream_stream(REFLECTION)  # no serializers: raw bytes
        try:
            for _ in call(iter([b"\xff"]), timeout=30):
                pass
        except grpc.RpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


def audited(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM decisions").fetchone()[0])


@pytest.mark.parametrize("workers", [("--workers", "1"), ("--workers", "2")],
                         ids=["one-process", "supervisor"])
def test_malformed_stream_messages_then_sigterm(tmp_path: Path, workers: tuple[str, ...]) -> None:
    db = tmp_path / "decisions.db"
    server = start_server(tmp_path, "--audit-db", str(db), "--grace", "5", *workers)
    try:
        with grpc.insecure_channel(server.address) as channel:
            pb_grpc.FineTuningAdvisorServiceStub(channel).Evaluate(
                pb.EvaluateRequest(project=fine_tune_profile("owed")), timeout=30)
        with ThreadPoolExecutor(MALFORMED_STREAMS) as pool:
            codes = list(pool.map(malformed_reflection_call,
                                  [server.address] * MALFORMED_STREAMS))
        # A bad message is the caller's error, answered once (server/decode.py).
        assert set(codes) == {grpc.StatusCode.INVALID_ARGUMENT}
        server.proc.send_signal(signal.SIGTERM)
        assert exit_code(server) == 0, server.log()[-3000:]
    finally:
        server.stop(signal.SIGKILL)
    log = server.log()
    assert '"audit_flushed"' in log and '"stopped"' in log
    assert "calls_abandoned" not in log
    assert audited(db) == 1


def test_a_call_that_never_returns_is_abandoned_in_time(tmp_path: Path) -> None:
    """A handler that ignores its cancellation (made so by the test-only seam, ftgate/testing.py)
    keeps a thread busy for good: the server still writes what it owes and exits, EXIT_ABANDONED."""
    db = tmp_path / "decisions.db"
    grace = 1.0
    server = start_server(tmp_path, "--audit-db", str(db), "--grace", str(grace),
                          "--workers", "1",
                          hooks=("--stall-method", "/ftgate.v1.FineTuningAdvisorService/ListRules"))
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
            stub.Evaluate(pb.EvaluateRequest(project=fine_tune_profile("owed")), timeout=30)
            stalled = stub.ListRules.future(pb.ListRulesRequest(), timeout=600)
            wait_until(lambda: metric(scrape(server), "grpc_server_started_total",
                                      grpc_method="ListRules",
                                      grpc_service="ftgate.v1.FineTuningAdvisorService",
                                      grpc_type="UNARY"),
                       timeout=30, what="the stalled call to start")
            server.proc.send_signal(signal.SIGTERM)
            # The bound itself (grace + margin) is the server's; the test only waits long
            # enough for a loaded machine.
            assert exit_code(server, grace + SHUTDOWN_MARGIN_SECONDS + EXIT_TIMEOUT) \
                == EXIT_ABANDONED, server.log()[-3000:]
            with pytest.raises(grpc.RpcError):
                stalled.result(timeout=30)
    finally:
        server.stop(signal.SIGKILL)
    log = server.log()
    assert '"calls_abandoned"' in log and '"audit_flushed"' in log
    assert audited(db) == 1
