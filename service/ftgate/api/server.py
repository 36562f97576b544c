"""Assemble the gRPC server: advisor service, health, reflection, metrics; graceful shutdown."""

from __future__ import annotations

import signal
import threading
from concurrent import futures
from dataclasses import dataclass
from types import FrameType

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import start_http_server
from py_grpc_prometheus.prometheus_server_interceptor import PromServerInterceptor

from ftgate.api.servicer import AdvisorServicer
from ftgate.engine import Engine
from ftgate.obs import metrics
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc

log = structlog.get_logger("ftgate")
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["FineTuningAdvisorService"].full_name
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


@dataclass
class ServeOptions:
    listen: str = "127.0.0.1:50051"
    metrics_listen: str | None = "127.0.0.1:9464"
    max_batch: int = 100
    grace_seconds: float = 10.0
    threads: int = 16


def split_host_port(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"expected HOST:PORT, got {address!r}")
    return host.strip("[]"), int(port)


class AdvisorServer:
    """A running ftgate server; `stop` drains in-flight calls within the grace period."""

    def __init__(self, engine: Engine, options: ServeOptions) -> None:
        self.engine = engine
        self.options = options
        self.health = health.HealthServicer()
        self._stopped = threading.Event()
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=options.threads, thread_name_prefix="ftgate"),
            interceptors=[PromServerInterceptor(enable_handling_time_histogram=True)],
            options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                     ("grpc.so_reuseport", 0)],
        )
        pb_grpc.add_FineTuningAdvisorServiceServicer_to_server(
            AdvisorServicer(engine, options.max_batch), self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), self.server)
        self.port = self.server.add_insecure_port(options.listen)
        if self.port == 0:
            raise OSError(f"cannot listen on {options.listen}")
        self.metrics_port: int | None = None

    def start(self) -> None:
        if self.options.metrics_listen:
            host, port = split_host_port(self.options.metrics_listen)
            http_server, _ = start_http_server(port, addr=host)
            self.metrics_port = http_server.server_port
        self.server.start()
        rs = self.engine.ruleset
        metrics.record_ruleset(rs.version, len(rs.rules))
        self._set_health(health_pb2.HealthCheckResponse.SERVING)
        host, _ = split_host_port(self.options.listen)
        log.info("serving", address=f"{host}:{self.port}", metrics_port=self.metrics_port,
                 ruleset_version=rs.version, rules=len(rs.rules))

    def _set_health(self, status: int) -> None:
        for name in ("", SERVICE_NAME):
            self.health.set(name, status)

    def stop(self) -> None:
        """Health NOT_SERVING, refuse new calls, let calls in flight finish within the grace."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        log.info("draining", grace_seconds=self.options.grace_seconds)
        self._set_health(health_pb2.HealthCheckResponse.NOT_SERVING)
        self.server.stop(self.options.grace_seconds).wait()
        log.info("stopped")

    def wait(self) -> None:
        self.server.wait_for_termination()


def serve(engine: Engine, options: ServeOptions) -> int:
    """Run until SIGTERM or SIGINT, then drain and return 0."""
    server = AdvisorServer(engine, options)
    server.start()
    stop_requested = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal", signal=signal.Signals(signum).name)
        stop_requested.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stop_requested.wait(0.5):
        pass
    server.stop()
    return 0
