"""Start and stop a real `ftgate serve` on free loopback ports, bounded in time everywhere."""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import tempfile
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

CLIENT_DIR = pathlib.Path(__file__).resolve().parents[1]
REPO = CLIENT_DIR.parents[1]


def ftgate_bin() -> pathlib.Path:
    """The server's CLI: $FTGATE_BIN, else <repo>/.venv/bin/ftgate (made by `make test`)."""
    return pathlib.Path(os.environ.get("FTGATE_BIN", REPO / ".venv" / "bin" / "ftgate"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def health_status(address: str, timeout: float = 1.0, root_cert: bytes | None = None) -> int | None:
    """The overall health status of the server at ``address``, None when it does not answer."""
    channel = (
        grpc.secure_channel(address, grpc.ssl_channel_credentials(root_cert))
        if root_cert
        else grpc.insecure_channel(address)
    )
    with channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout
            )
        except grpc.RpcError:
            return None
        return int(reply.status)


class FtgateServer:
    """One `ftgate serve` process; start() waits until it reports SERVING."""

    def __init__(
        self, port: int | None = None, args: tuple[str, ...] = (), root_cert: bytes | None = None
    ) -> None:
        """``args`` go to `ftgate serve`; ``root_cert`` is the CA to trust when it serves TLS."""
        self.port = port or free_port()
        self.args = args
        self.root_cert = root_cert
        self.metrics_port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        # The server's output, kept for error messages (closed with the process object).
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix="ftgate-serve-", suffix=".log", delete=False
        )

    def spawn(self) -> None:
        """Start the process without waiting for it."""
        binary = ftgate_bin()
        if not binary.exists():
            raise RuntimeError(f"{binary} is missing: run `make venv` (or set FTGATE_BIN)")
        self.process = subprocess.Popen(
            [
                str(binary),
                "serve",
                "--listen",
                self.address,
                "--metrics-listen",
                f"127.0.0.1:{self.metrics_port}",
                "--http-listen",
                "",  # not the default port: concurrent test servers would collide on it
                *self.args,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def wait_serving(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"ftgate serve exited with {self.process.returncode}:\n{self.log()}"
                )
            status = health_status(self.address, timeout=0.5, root_cert=self.root_cert)
            if status == health_pb2.HealthCheckResponse.SERVING:
                return
            time.sleep(0.1)
        raise RuntimeError(f"ftgate serve not SERVING after {timeout}s:\n{self.log()}")

    def start(self, timeout: float = 30.0) -> FtgateServer:
        self.spawn()
        try:
            self.wait_serving(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM (the server drains, then exits 0); SIGKILL if it has not exited in time."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return None if process is None else process.returncode
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
            raise RuntimeError(f"ftgate serve ignored SIGTERM for {timeout}s") from None

    def log(self) -> str:
        self._log.flush()
        return pathlib.Path(self._log.name).read_text(errors="replace")[-4000:]
