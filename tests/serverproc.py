"""Start a real `ftgate serve` process on free loopback ports, for tests that need a live server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from ports import free_port, free_ports

__all__ = ["FTGATE", "REPO", "ServerProcess", "free_port", "free_ports", "start_server", "wait_serving"]

REPO = Path(__file__).resolve().parent.parent
FTGATE = [sys.executable, "-m", "ftgate.cli"]
# `ftgate serve` with test-only hooks (service/ftgate/testing.py).
SEAM = [sys.executable, "-m", "ftgate.testing"]


@dataclass
class ServerProcess:
    """A running `ftgate serve`; `stop()` sends SIGTERM and returns the exit code."""

    proc: subprocess.Popen[bytes]
    port: int
    metrics_port: int
    log_path: Path
    extra: dict[str, str] = field(default_factory=dict)
    http_port: int | None = None  # the HTTP/JSON API's port (None: --http-listen '')

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return int(self.proc.returncode)


def wait_serving(address: str, timeout: float = 20, proc: subprocess.Popen[bytes] | None = None,
                 credentials: grpc.ChannelCredentials | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"ftgate serve exited with {proc.returncode}")
        channel = (grpc.secure_channel(address, credentials) if credentials
                   else grpc.insecure_channel(address))
        with channel:
            try:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
        time.sleep(0.1)
    raise TimeoutError(f"ftgate serve on {address} not SERVING after {timeout}s")


def start_server(tmp_path: Path, *args: str, wait: bool = True,
                 credentials: grpc.ChannelCredentials | None = None,
                 env: Mapping[str, str] | None = None,
                 hooks: Sequence[str] = ()) -> ServerProcess:
    """Run `ftgate serve` with `args` on free ports; logs go to a file under tmp_path.

    `env`: variables added to this process's environment for the server (OTEL_*, say).
    `hooks`: test-only behaviour, flags of the `ftgate.testing` seam (e.g. "--delay-per-profile",
    "0.05"): the server is then started through it, `python -m ftgate.testing serve HOOKS -- ARGS`."""
    port, metrics_port, spare_port = free_ports(3)
    log_path = tmp_path / f"ftgate-{port}.log"
    # Never the default HTTP port: servers of concurrent tests would collide on it.
    http_port = None if "--http-listen" in args else spare_port
    http_args = ["--http-listen", f"127.0.0.1:{http_port}"] if http_port else []
    env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
    serve = [*SEAM, "serve", *hooks, "--"] if hooks else [*FTGATE, "serve"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [*serve, "--listen", f"127.0.0.1:{port}",
             "--metrics-listen", f"127.0.0.1:{metrics_port}", *http_args, *args],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO,
        )
    server = ServerProcess(proc, port, metrics_port, log_path, http_port=http_port)
    if wait:
        try:
            wait_serving(server.address, proc=proc, credentials=credentials)
        except Exception:
            server.stop(signal.SIGKILL)
            raise RuntimeError(f"server did not start:\n{server.log()}") from None
    return server
