"""Clients that never read: each stream's answer stays in the server's memory while its
client's receive window is 0. The server caps the streams per connection and the connections,
so what such clients can make it hold is bounded (docs/operations.md)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from opstools import wait_until
from serverproc import start_server
from stuck_client import StuckConnection, open_stuck

STREAMS_PER_CONNECTION = 8
CONNECTIONS = 20
# Ten times over each cap.
ATTACK_STREAMS = 10 * STREAMS_PER_CONNECTION
ATTACK_CONNECTIONS = 3 * CONNECTIONS
# What one held stream costs the server (its answer is 4.7 KB; the call's state in gRPC and
# Python the rest: ~30 KB measured) and one connection (its buffers), with room to spare.
STREAM_BUDGET_KB = 64
CONNECTION_BUDGET_KB = 1024


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def test_a_connection_gets_no_more_streams_than_the_cap(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--workers", "1",
                          "--max-streams-per-connection", str(STREAMS_PER_CONNECTION))
    try:
        stuck = open_stuck(server.port, ATTACK_STREAMS)
        assert stuck.advertised == STREAMS_PER_CONNECTION
        wait_until(lambda: (stuck.pump(0.2), len(stuck.accepted) + len(stuck.refused))[1]
                   >= ATTACK_STREAMS, timeout=60, what="every stream accepted or refused")
        assert len(stuck.accepted) <= STREAMS_PER_CONNECTION
        assert len(stuck.refused) >= ATTACK_STREAMS - STREAMS_PER_CONNECTION
        assert server.proc.poll() is None
    finally:
        server.stop(signal.SIGKILL)


@pytest.mark.slow
def test_stuck_clients_hold_bounded_memory(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--workers", "1",
                          "--max-streams-per-connection", str(STREAMS_PER_CONNECTION),
                          "--max-connections", str(CONNECTIONS))
    pid = server.proc.pid
    held: list[StuckConnection] = []
    try:
        before = rss_kb(pid)
        held = [open_stuck(server.port, ATTACK_STREAMS) for _ in range(ATTACK_CONNECTIONS)]
        for stuck in held:
            stuck.pump(0.3)
        accepted = sum(len(s.accepted) for s in held)
        assert accepted <= CONNECTIONS * STREAMS_PER_CONNECTION
        assert sum(not s.closed for s in held) <= CONNECTIONS
        grown = rss_kb(pid) - before
        bound = CONNECTIONS * (CONNECTION_BUDGET_KB + STREAMS_PER_CONNECTION * STREAM_BUDGET_KB)
        print(f"stuck: {accepted} streams held, RSS +{grown} KB (bound {bound} KB)")
        assert grown < bound, f"RSS grew {grown} KB (bound {bound} KB)"
        assert server.proc.poll() is None
    finally:
        for stuck in held:
            stuck.sock.close()
        server.stop(signal.SIGKILL)


def test_a_client_that_respects_the_cap_is_never_refused(tmp_path: Path) -> None:
    """200 calls at once on one channel, with the cap at 8: gRPC's client queues them below the
    advertised limit, and none is refused while finished streams are being freed."""
    import grpc
    from ftgate.v1 import advisor_pb2 as pb
    from ftgate.v1 import advisor_pb2_grpc as pb_grpc
    from opstools import fine_tune_profile

    server = start_server(tmp_path, "--workers", "1", "--max-concurrent", "256",
                          "--max-streams-per-connection", str(STREAMS_PER_CONNECTION))
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
            request = pb.EvaluateRequest(project=fine_tune_profile())
            calls = [stub.Evaluate.future(request, timeout=60) for _ in range(200)]
            assert all(call.result().assessment.decision_id for call in calls)
    finally:
        server.stop(signal.SIGKILL)
