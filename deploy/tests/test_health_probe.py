"""The health checks the image and the pods rely on, against a live `ftgate serve`.

- `ftgate health`, the Dockerfile HEALTHCHECK command: exit 0 when SERVING, 1 otherwise, bounded.
- grpc.health.v1 for "" (liveness, startup) and the advisor service (readiness): what the
  Kubernetes native gRPC probes ask.
- Draining: after SIGTERM the server exits 0 within its grace.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import SERVICE_NAME, FtgateServer, free_port, ftgate_bin


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FtgateServer]:
    running = FtgateServer(tmp_path_factory.mktemp("health")).start()
    yield running
    running.stop()


def health(address: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ftgate_bin(), "health", "--address", address, "--timeout", "2", *extra],
                          capture_output=True, text=True, timeout=30, check=False)


def test_health_command_exit_codes(server: FtgateServer) -> None:
    ok = health(server.address)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    ready = health(server.address, "--service", SERVICE_NAME)
    assert ready.returncode == 0, ready.stdout + ready.stderr
    unknown = health(server.address, "--service", "no.such.Service")
    assert unknown.returncode == 1
    started = time.monotonic()
    nobody = health(f"127.0.0.1:{free_port()}", "--timeout", "1")
    assert nobody.returncode == 1
    assert time.monotonic() - started < 15, "the probe is bounded by --timeout"


def test_native_grpc_probe_targets_report_serving(server: FtgateServer) -> None:
    assert server.serving(service="")
    assert server.serving(service=SERVICE_NAME)


def test_sigterm_drains_and_exits_zero(server_factory: Any) -> None:
    """As in the pods: two workers; SIGTERM reaches both, both drain, the supervisor exits 0."""
    server = server_factory(grace=3, extra_args=["--workers", "2"]).start()
    server.terminate()
    code = server.wait(timeout=3 + 10)
    assert code == 0, f"exit code {code}:\n{server.log()}"


def test_sigterm_while_workers_start_still_exits_zero(server_factory: Any) -> None:
    """A pod can be stopped right after it started (rollout aborted, scale-down): SIGTERM as soon
    as the first worker serves, while the second may still be starting, is still a clean stop."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    server = server_factory(grace=3, extra_args=["--workers", "2"])
    server.workers = 1  # start() returns as soon as one worker serves
    server.start()
    with grpc.insecure_channel(server.address) as channel:
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    server.terminate()
    code = server.wait(timeout=3 + 10)
    assert code == 0, (
        f"ftgate serve --workers 2 exited {code} when SIGTERM came while a worker was starting "
        f"(a worker killed by the signal before it installed its handler counts as failed):\n"
        + "\n".join(line for line in server.log().splitlines() if "worker" in line)[-1500:])
