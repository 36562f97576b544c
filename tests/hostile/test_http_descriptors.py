"""Idle HTTP connections cannot take the descriptors gRPC needs: a server whose process may
open only 256 files, held by more idle HTTP connections than that, still answers gRPC Evaluate
and health (server/fdlimit.py, server/http/guard.py)."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
from pathlib import Path

import grpc
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opstools import fine_tune_profile, metric, scrape, wait_until
from serverproc import FTGATE, REPO, ServerProcess, free_ports, wait_serving

OPEN_FILES = 256
IDLE_CONNECTIONS = 400


def _limit_open_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))


def _start_limited(tmp_path: Path) -> ServerProcess:
    """`ftgate serve` with a soft and hard limit of OPEN_FILES open files (the headroom is
    measured against what the process may have, whatever the machine's default)."""
    port, metrics_port, http_port = free_ports(3)
    log_path = tmp_path / "ftgate.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [*FTGATE, "serve", "--workers", "1", "--listen", f"127.0.0.1:{port}",
             "--metrics-listen", f"127.0.0.1:{metrics_port}",
             "--http-listen", f"127.0.0.1:{http_port}", "--http-header-timeout", "120"],
            stdout=log, stderr=subprocess.STDOUT, cwd=REPO, preexec_fn=_limit_open_files)
    server = ServerProcess(proc, port, metrics_port, log_path, http_port=http_port)
    try:
        wait_serving(server.address, proc=proc)
    except Exception:
        server.stop(signal.SIGKILL)
        raise RuntimeError(f"server did not start:\n{server.log()}") from None
    return server


def _open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _grpc_answers(address: str) -> bool:
    with grpc.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                            timeout=10)
        answer = pb_grpc.FineTuningAdvisorServiceStub(channel).Evaluate(
            pb.EvaluateRequest(project=fine_tune_profile()), timeout=10)
    return (health.status == health_pb2.HealthCheckResponse.SERVING
            and answer.assessment.outcome == pb.OUTCOME_FINE_TUNE)


def test_idle_http_connections_leave_grpc_its_descriptors(tmp_path: Path) -> None:
    server = _start_limited(tmp_path)
    held: list[socket.socket] = []
    try:
        for _ in range(IDLE_CONNECTIONS):
            held.append(socket.create_connection(("127.0.0.1", server.http_port or 0), timeout=10))
        # The server's descriptors as taken as the HTTP listener lets them be (all but the
        # headroom; without one, all of them): their count grows, then holds.
        counts = [0]

        def settled() -> bool:
            counts.append(_open_files(server.proc.pid))
            return counts[-1] >= OPEN_FILES // 2 and counts[-1] == counts[-2]

        wait_until(settled, timeout=60, every=0.3,
                   what="the server's descriptors taken by idle HTTP connections")
        for _ in range(3):  # new connections each time: each needs a descriptor of its own
            assert _grpc_answers(server.address)
        assert server.proc.poll() is None
        assert "Too many open files" not in server.log()
        assert metric(scrape(server), "ftgate_http_connections_refused_total",
                      reason="file_descriptors") >= 1
    finally:
        for sock in held:
            sock.close()
        assert server.stop() == 0
