"""Assemble the gRPC server: advisor service, health, reflection, metrics; limits, TLS and tokens,
the decision audit log, rule reload; graceful shutdown, bounded whatever a call does."""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from ftgate import access
from ftgate.admission import AdmissionKind
from ftgate.api.audit_queries import DecisionLookup
from ftgate.api.cache import DecisionCache
from ftgate.api.record import Recorder
from ftgate.api.service import AdvisorService
from ftgate.api.waiver_book import WaiverBook
from ftgate.api.waivers import WaiverDesk
from ftgate.audit import AuditLog
from ftgate.audit.stores import describe, open_store
from ftgate.engine import Engine
from ftgate.obs import metrics, tracing
from ftgate.obs.background import Background, Lifecycle
from ftgate.obs.deferred import COUNTERS
from ftgate.obs.logging import DecisionLog
from ftgate.obs.metrics_http import MetricsEndpoint
from ftgate.ruleset import DEFAULT_MAX_FILE_BYTES
from ftgate.server.auth import TokenAuth, server_credentials
from ftgate.server.calls import CallsInFlight, stall_for_tests
from ftgate.server.decode import DecodeInCall
from ftgate.server.grpc.servicer import SENDS_BYTES, AdvisorServicer
from ftgate.server.grpc_metrics import ServerMetrics
from ftgate.server.handlers import Wrapper, WrappingRegistrar, sends_bytes
from ftgate.server.http.edge import HttpEdge, start_http
from ftgate.server.http.guard import ConnectionLimits
from ftgate.server.reload import RulesWatcher
from ftgate.server.signals import SignalFlags
from ftgate.server.tracing import TracedCalls
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc

log = structlog.get_logger("ftgate")
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["FineTuningAdvisorService"].full_name
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
# A stopping server has exited at the latest this many seconds after its drain delay and grace
# period, whatever its calls do (docs/operations.md): up to _CALLS_MARGIN_SECONDS for gRPC to
# cancel the calls left and their handlers to return, the rest to write out the decision log,
# counters and audit queue; then a watchdog ends the process.
SHUTDOWN_MARGIN_SECONDS = 10.0
_CALLS_MARGIN_SECONDS = 3.0
# The exit code of a server that stopped but had to abandon calls (or writes) to do it in time.
EXIT_ABANDONED = 3
HEARTBEAT_SECONDS = 0.2


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
    # Clients that do not read (docs/operations.md): an HTTP/2 stream whose answer its client
    # does not take stays open, the answer held in memory. At most this many streams per
    # connection (more are refused), answers of at most max_response_bytes, and at most
    # max_connections connections: together they bound what such clients can make a server hold.
    max_streams_per_connection: int = 16
    max_response_bytes: int = MAX_MESSAGE_BYTES
    max_connections: int = 512
    default_deadline: float | None = 10.0
    # Rule reload: seconds between looks at the rule directory (0: only on SIGHUP), and the
    # largest rule file read, at start and on each reload (ruleset/loader.py).
    reload_interval: float = 2.0
    max_rule_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    # Access: TLS (mutual with a client CA) and bearer tokens.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None
    auth_tokens: Path | None = None
    # Who may grant and revoke waivers (None: nobody through the server), and how far ahead.
    waiver_tokens: Path | None = None
    max_waiver_days: int = 90
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
    # HTTP/JSON API and console (server/http/; None: off). Same TLS, tokens and limits as gRPC.
    http_listen: str | None = None
    # The admission webhook on the HTTP listener (ftgate.admission, docs/gate.md): the kinds it
    # gates besides batch/v1 Job, and whether it refuses ("enforce") or only warns ("warn").
    admission_kinds: tuple[AdmissionKind, ...] = ()
    # HTTPS on the HTTP listener only (default: tls_cert/tls_key, as gRPC).
    http_tls_cert: Path | None = None
    http_tls_key: Path | None = None
    admission_mode: str = "enforce"
    # Client certificates the HTTP listener requires (the webhook's guard: docs/gate.md).
    http_client_ca: Path | None = None
    # The HTTP listener's connection cap and read deadlines (server/http/guard.py).
    http_limits: ConnectionLimits = field(default_factory=ConnectionLimits)


def split_host_port(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"expected HOST:PORT, got {address!r}")
    return host.strip("[]"), int(port)


class AdvisorServer:
    """A running ftgate server; `stop` drains in-flight calls within the grace period."""

    def __init__(self, engine: Engine, options: ServeOptions,
                 decision_log: DecisionLog | None = None) -> None:
        self.engine = engine
        self.options = options
        self.decision_log = decision_log or DecisionLog(None, True, {})
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
        self.metrics_endpoint: MetricsEndpoint | None = None
        if options.metrics_listen:
            self.metrics_endpoint = MetricsEndpoint(*split_host_port(options.metrics_listen))
        # The shutdown order, written once (obs/background.py): after the calls, the watcher,
        # the decision log, the counters, the audit queue, the metrics endpoint.
        pieces: list[Background] = [self.watcher, self.decision_log, COUNTERS]
        pieces += [self.audit] if self.audit else []
        pieces += [self.metrics_endpoint] if self.metrics_endpoint else []
        self.background = Lifecycle(pieces)
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=options.threads, thread_name_prefix="ftgate"),
            options=[("grpc.max_receive_message_length", options.max_request_bytes),
                     ("grpc.max_send_message_length", options.max_response_bytes),
                     ("grpc.max_concurrent_streams", options.max_streams_per_connection),
                     # With gRPC's "overload protection" a stream is also refused while the
                     # client's finished streams are still being freed: clients that respect the
                     # limit then see UNAVAILABLE under a burst (200 calls on one channel).
                     # Without it, only streams over the limit are refused.
                     ("grpc.http.overload_protection", 0),
                     ("grpc.max_allowed_incoming_connections", options.max_connections),
                     ("grpc.so_reuseport", int(options.reuse_port))],
            maximum_concurrent_rpcs=options.max_concurrent or None,
        )
        # No interceptor: counting, metrics, tokens and in-call decoding wrap each method once,
        # when it is registered (server/handlers.py); the first wrapper is the outermost.
        self.calls = CallsInFlight()
        wrappers: list[Wrapper] = [self.calls, ServerMetrics()]
        if tracing.configure():  # OTEL_* (obs/tracing.py); off: no wrapper at all
            wrappers.append(TracedCalls(tracing.tracer()))
        if self.auth:
            wrappers.append(self.auth)
        # Every service's requests decoded in the call, streams too: bad bytes are
        # INVALID_ARGUMENT (gRPC Python's own failure path for a bad stream message left the
        # call unfinished, and `stop()` waiting for it forever: server/decode.py).
        wrappers.append(DecodeInCall())
        wrappers.append(stall_for_tests)
        # Innermost: the others keep its (absent) serializer.
        wrappers.append(sends_bytes(f"/{SERVICE_NAME}/{m}" for m in SENDS_BYTES))
        registrar = WrappingRegistrar(self.server, wrappers)
        cache = (DecisionCache(options.decision_cache, options.decision_cache_bytes)
                 if options.decision_cache > 0 else None)
        book = WaiverBook(lookup.store)
        book.current()  # read once at start: the waiver gauges are set before the first call
        # Who may write waivers: read at start, again on SIGHUP (as the callers' tokens).
        self.waiver_auth = (access.TokenAuth(access.read_tokens(options.waiver_tokens),
                                             options.waiver_tokens)
                            if options.waiver_tokens else None)
        desk = WaiverDesk(lookup.store, lambda: engine.ruleset,
                          self.waiver_auth.allows if self.waiver_auth else None,
                          options.max_waiver_days, book.changed)
        self.service = AdvisorService(engine, Recorder(self.decision_log, self.audit, cache),
                                      max_batch=options.max_batch, cache=cache,
                                      decisions=lookup, waiver_book=book, waiver_desk=desk)
        pb_grpc.add_FineTuningAdvisorServiceServicer_to_server(
            AdvisorServicer(self.service, options.default_deadline or None), registrar)
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
        self.http: HttpEdge | None = None

    @property
    def metrics_port(self) -> int | None:
        return self.metrics_endpoint.port if self.metrics_endpoint else None

    def start(self) -> None:
        self.background.start()
        # Before gRPC: an HTTP port that cannot be had fails the start cleanly.
        self.http = start_http(self.options, self.service, self.engine, self.auth,
                               draining=self._stopped.is_set)
        self.server.start()
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
        """SIGHUP: reload the rules (in the watcher's thread) and the token files."""
        self.watcher.request()
        if self.auth:
            self.auth.reload()
        if self.waiver_auth:
            self.waiver_auth.reload()

    def _set_health(self, status: int) -> None:
        for name in ("", SERVICE_NAME):
            self.health.set(name, status)

    def stop(self) -> int:
        """Health NOT_SERVING, refuse new calls, let calls in flight finish within the grace,
        then write out what is owed; 0, or EXIT_ABANDONED when a call or a write had to be
        left behind to end in time (docs/operations.md)."""
        if self._stopped.is_set():
            return 0
        self._stopped.set()
        drain, grace = max(self.options.drain_delay_seconds, 0.0), self.options.grace_seconds
        deadline = time.monotonic() + drain + grace + SHUTDOWN_MARGIN_SECONDS
        _arm_watchdog(deadline)
        log.info("draining", grace_seconds=grace, drain_delay_seconds=drain)
        self._set_health(health_pb2.HealthCheckResponse.NOT_SERVING)
        if drain > 0:  # still answering while peers notice
            time.sleep(drain)
        code = 0
        if not self._end_calls(grace):
            code = EXIT_ABANDONED
        # The shutdown order (obs/background.py); the writes get what is left of the margin,
        # less a little for the last log line.
        if self.background.stop(deadline - 0.5):
            code = EXIT_ABANDONED
        tracing.shutdown()  # the spans still buffered (OTEL_*; nothing when tracing is off)
        log.info("stopped", exit_code=code)
        return code

    def _end_calls(self, grace: float) -> bool:
        """Refuse new calls and wait for those in flight: `grace` seconds, then gRPC cancels
        them and their handlers get _CALLS_MARGIN_SECONDS to return. False (logged) when gRPC
        did not finish stopping or a handler still runs: those calls are abandoned."""
        calls_deadline = time.monotonic() + grace + _CALLS_MARGIN_SECONDS
        http = self.http.stop(grace) if self.http else None  # drains beside gRPC
        grpc_stopped = self.server.stop(grace).wait(grace + _CALLS_MARGIN_SECONDS)
        idle = self.calls.wait_idle(max(calls_deadline - time.monotonic(), 0.0))
        http_stopped = http is None or http.wait(max(calls_deadline - time.monotonic(), 0.0))
        if grpc_stopped and idle and http_stopped:
            return True
        log.error("calls_abandoned", calls=self.calls.count, grpc_stopped=grpc_stopped,
                  http_stopped=http_stopped, grace_seconds=grace,
                  margin_seconds=_CALLS_MARGIN_SECONDS)
        return False

    def wait(self) -> None:
        self.server.wait_for_termination()


def _arm_watchdog(deadline: float) -> None:
    """End the process with EXIT_ABANDONED at `deadline`, if the orderly stop has not: the last
    guard of the bound on shutdown (a write blocked for good, a thread that keeps the
    interpreter from exiting)."""
    timer = threading.Timer(max(deadline - time.monotonic(), 0.0), os._exit, (EXIT_ABANDONED,))
    timer.daemon = True
    timer.start()


def _beat(tick: Callable[[], None], done: threading.Event) -> None:
    while True:
        tick()
        if done.wait(HEARTBEAT_SECONDS):
            return


def serve(engine: Engine, options: ServeOptions, decision_log: DecisionLog | None = None,
          heartbeat: Callable[[], None] | None = None, signals: SignalFlags | None = None) -> int:
    """Run until SIGTERM or SIGINT, then drain; 0, or EXIT_ABANDONED (see AdvisorServer.stop).

    `heartbeat` is called every HEARTBEAT_SECONDS from when the server serves until it has
    stopped (the `--workers` supervisor watches it). From a thread of its own: it goes on
    while the main thread drains (a drain is bounded by itself), and stops with the whole
    process (SIGSTOP) or when the interpreter cannot run Python code any more."""
    # The handlers first (server/signals.py: why they take no lock): a SIGTERM that comes while
    # the server starts is then a stop like any other, once it serves. (Before, it could end
    # the interpreter with the gRPC server started and never stopped: an exit that hung.)
    # (`signals`: handlers installed earlier still, by `ftgate serve` before the rules load.)
    signals = signals or SignalFlags()
    if signals.stopped_by is not None:
        log.info("stopped_before_serving", signal=signals.stop_name)
        return 0
    server = AdvisorServer(engine, options, decision_log)
    server.start()
    beating = threading.Event()
    if heartbeat is not None:
        threading.Thread(target=_beat, args=(heartbeat, beating), name="ftgate-heartbeat",
                         daemon=True).start()
    try:
        while not signals.wait(0.2):
            if signals.hangup():
                log.info("signal", signal="SIGHUP")
                server.reload()
        log.info("signal", signal=signals.stop_name)
        code = server.stop()
    finally:
        beating.set()
    if code == EXIT_ABANDONED:
        # The threads of abandoned calls would keep the interpreter from exiting: everything
        # owed has been written, so the process ends here.
        sys.stderr.flush()
        os._exit(code)
    return code
