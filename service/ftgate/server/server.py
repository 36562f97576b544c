"""Assemble the gRPC server: advisor service, health, reflection, metrics; limits, TLS and tokens,
the decision audit log, rule reload; graceful shutdown."""

from __future__ import annotations

import gc
import threading
import time
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import start_http_server

from ftgate.api.audit_queries import DecisionLookup
from ftgate.api.cache import DecisionCache
from ftgate.api.record import Recorder
from ftgate.api.service import AdvisorService
from ftgate.api.servicer import SENDS_BYTES, AdvisorServicer
from ftgate.audit import AuditLog
from ftgate.audit.backend import describe, open_store
from ftgate.engine import Engine
from ftgate.obs import deferred, metrics, tracing
from ftgate.obs import logging as logs
from ftgate.server.auth import TokenAuth, server_credentials
from ftgate.server.decode import DecodeInCall
from ftgate.server.grpc_metrics import ServerMetrics
from ftgate.server.handlers import Wrapper, WrappingRegistrar, sends_bytes
from ftgate.server.reload import RulesWatcher
from ftgate.server.signals import SignalFlags
from ftgate.server.tracing import TracedCalls
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
    # Seconds between health NOT_SERVING and refusing new calls, so that load balancers and
    # clients see the change before the port closes (rolling updates lose no call).
    drain_delay_seconds: float = 0.0
    # Per worker process. The handlers are CPU-bound Python: beyond a few threads they only
    # queue on the GIL, and every extra thread adds hand-overs (docs/performance.md).
    threads: int = 4
    # Evaluate answers kept for profiles asked about again (api/cache.py; 0: off), and the
    # most bytes they may hold.
    decision_cache: int = 4096
    decision_cache_bytes: int = 64 * 1024 * 1024
    # Limits (docs/operations.md): beyond max_concurrent calls at once, RESOURCE_EXHAUSTED.
    max_request_bytes: int = MAX_MESSAGE_BYTES
    max_concurrent: int = 64
    default_deadline: float | None = 10.0
    # Rule reload: seconds between looks at the rule directory (0: only on SIGHUP).
    reload_interval: float = 2.0
    # Access: TLS (mutual with a client CA) and bearer tokens.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None
    auth_tokens: Path | None = None
    # Decision audit log (None: off): an SQLite path or a postgresql:// URL (audit/backend.py);
    # sync: a call is answered only once its record is committed (audit/writer.py).
    audit_db: Path | str | None = None
    audit_queue: int = 10_000
    audit_retention_days: float = 30.0
    audit_durability: str = "async"
    audit_migrate: bool = False  # apply the store's schema migrations at start
    # Share the port with other processes (SO_REUSEPORT): set for `--workers` (server/workers.py)
    # only, so that a second server started by mistake fails instead of sharing.
    reuse_port: bool = False


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
        self.auth = TokenAuth.from_file(options.auth_tokens) if options.auth_tokens else None
        self.audit: AuditLog | None = None
        lookup = DecisionLookup(None)
        if options.audit_db:
            self.audit = AuditLog(open_store(options.audit_db), options.audit_queue,
                                  options.audit_retention_days,
                                  sync=options.audit_durability == "sync")
            lookup = DecisionLookup(open_store(options.audit_db))  # its own connections
        self.watcher = RulesWatcher(engine, options.reload_interval)
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=options.threads, thread_name_prefix="ftgate"),
            options=[("grpc.max_receive_message_length", options.max_request_bytes),
                     ("grpc.so_reuseport", int(options.reuse_port))],
            maximum_concurrent_rpcs=options.max_concurrent or None,
        )
        # No interceptor: metrics, tokens and in-call decoding wrap each method once, when it
        # is registered (server/handlers.py); the first wrapper is the outermost.
        wrappers: list[Wrapper] = [ServerMetrics()]
        if tracing.configure():  # OTEL_* (obs/tracing.py); off: no wrapper at all
            wrappers.append(TracedCalls(tracing.tracer()))
        if self.auth:
            wrappers.append(self.auth)
        wrappers.append(DecodeInCall())  # every service: advisor, health, reflection
        # Innermost: the others keep its (absent) serializer.
        wrappers.append(sends_bytes(f"/{SERVICE_NAME}/{m}" for m in SENDS_BYTES))
        registrar = WrappingRegistrar(self.server, wrappers)
        cache = (DecisionCache(options.decision_cache, options.decision_cache_bytes)
                 if options.decision_cache > 0 else None)
        service = AdvisorService(engine, Recorder(logs.decisions, self.audit, cache),
                                 max_batch=options.max_batch, cache=cache, decisions=lookup)
        pb_grpc.add_FineTuningAdvisorServiceServicer_to_server(
            AdvisorServicer(service, options.default_deadline or None), registrar)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, registrar)
        reflection.enable_server_reflection(
            (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), registrar)
        if options.tls_cert and options.tls_key:
            self.port = self.server.add_secure_port(options.listen, server_credentials(
                options.tls_cert, options.tls_key, options.tls_client_ca))
        else:
            self.port = self.server.add_insecure_port(options.listen)
        if self.port == 0:
            raise OSError(f"cannot listen on {options.listen}")
        self.metrics_port: int | None = None

    def start(self) -> None:
        if self.options.metrics_listen:
            host, port = split_host_port(self.options.metrics_listen)
            http_server, _ = start_http_server(port, addr=host)
            self.metrics_port = http_server.server_port
        if self.audit:
            self.audit.start()
        self.server.start()
        self.watcher.start()
        rs = self.engine.ruleset
        metrics.record_ruleset(rs.version, len(rs.rules))
        self._set_health(health_pb2.HealthCheckResponse.SERVING)
        # Everything built so far (modules, the compiled policy, gRPC) lives as long as the
        # process: moved out of the collector's reach, it is not scanned again by every full
        # collection while calls are answered.
        gc.freeze()
        host, _ = split_host_port(self.options.listen)
        log.info("serving", address=f"{host}:{self.port}", metrics_port=self.metrics_port,
                 ruleset_version=rs.version, rules=len(rs.rules),
                 tls="mutual" if self.options.tls_client_ca else bool(self.options.tls_cert),
                 auth_tokens=self.auth is not None, audit_db=describe(self.options.audit_db or ""),
                 audit_durability=self.options.audit_durability)

    def reload(self) -> None:
        """SIGHUP: reload the rules (in the watcher's thread) and the token file."""
        self.watcher.request()
        if self.auth:
            self.auth.reload()

    def _set_health(self, status: int) -> None:
        for name in ("", SERVICE_NAME):
            self.health.set(name, status)

    def stop(self) -> None:
        """Health NOT_SERVING, refuse new calls, let calls in flight finish within the grace."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        log.info("draining", grace_seconds=self.options.grace_seconds,
                 drain_delay_seconds=self.options.drain_delay_seconds)
        self._set_health(health_pb2.HealthCheckResponse.NOT_SERVING)
        if self.options.drain_delay_seconds > 0:  # still answering while peers notice
            time.sleep(self.options.drain_delay_seconds)
        self.server.stop(self.options.grace_seconds).wait()
        self.watcher.stop()
        logs.decisions.flush()  # every call has ended: its decision line is written first
        deferred.flush_all()
        if self.audit:  # what was answered is queued, write it all
            self.audit.close()
        tracing.shutdown()
        log.info("stopped")

    def wait(self) -> None:
        self.server.wait_for_termination()


def serve(engine: Engine, options: ServeOptions) -> int:
    """Run until SIGTERM or SIGINT, then drain and return 0."""
    server = AdvisorServer(engine, options)
    server.start()
    signals = SignalFlags()  # (server/signals.py: why the handlers take no lock)
    while not signals.wait(0.2):
        if signals.hangup():
            log.info("signal", signal="SIGHUP")
            server.reload()
    log.info("signal", signal=signals.stop_name)
    server.stop()
    return 0
