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

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from ftgate import access
from ftgate.api import clock
from ftgate.api.audit_queries import DecisionLookup
from ftgate.api.cache import DecisionCache
from ftgate.api.limits import CallBudget
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
from ftgate.server.auth import TokenAuth, server_credentials
from ftgate.server.calls import CallsInFlight
from ftgate.server.decode import DecodeInCall
from ftgate.server.doors import FrontDoors
from ftgate.server.grpc.servicer import SENDS_BYTES, AdvisorServicer
from ftgate.server.grpc_metrics import ServerMetrics
from ftgate.server.handlers import Wrapper, WrappingRegistrar, sends_bytes
from ftgate.server.hooks import ServerHooks
from ftgate.server.http.edge import HttpEdge, start_http
from ftgate.server.options import ServeOptions
from ftgate.server.reload import RulesWatcher
from ftgate.server.signals import SignalFlags
from ftgate.server.tracing import TracedCalls
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc

log = structlog.get_logger("ftgate")
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["FineTuningAdvisorService"].full_name
# A stopping server has exited at the latest this many seconds after its drain delay and grace
# period, whatever its calls do (docs/operations.md): up to CALLS_MARGIN_SECONDS for gRPC to
# cancel the calls left and their handlers to return (server/doors.py), the rest to write out
# the decision log, counters, audit queue and spans; then a watchdog ends the process.
SHUTDOWN_MARGIN_SECONDS = 10.0
# The exit code of a server that stopped but had to abandon calls (or writes) to do it in time.
EXIT_ABANDONED = 3
HEARTBEAT_SECONDS = 0.2
GC_THRESHOLDS = (10_000, 20, 100)  # the collector's, once serving (gc.set_threshold)


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
        traced = tracing.configure()  # OTEL_* (obs/tracing.py)
        if traced:  # off: no wrapper at all
            wrappers.append(TracedCalls(tracing.tracer()))
        if self.auth:
            wrappers.append(self.auth)
        # Every service's requests decoded in the call, streams too: bad bytes are
        # INVALID_ARGUMENT (gRPC Python's own failure path for a bad stream message left the
        # call unfinished, and `stop()` waiting for it forever: server/decode.py).
        wrappers.append(DecodeInCall())
        wrappers += options.hooks.wrappers  # (none in production: server/hooks.py)
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
        CallBudget.before_check = options.hooks.before_each_profile  # (None in production)
        clock.use(options.hooks.clock)  # (None in production: the wall clock)
        if options.hooks != ServerHooks():  # never in production: said loudly
            log.warning("test_hooks", hooks=repr(options.hooks))
        self.doors = FrontDoors(self.server, self.calls, self._open_http, options.grace_seconds)
        # The shutdown order, written once (obs/background.py): the front doors (no new call,
        # those in flight ended), the watcher (no policy swap while the rest is written out),
        # the decision log, the counters, the audit queue, the spans, the metrics endpoint
        # (scraped until the very end). They start in the reverse order.
        pieces: list[Background] = [self.doors, self.watcher, self.decision_log, COUNTERS]
        pieces += [self.audit] if self.audit else []
        pieces += [tracing.TracerShutdown()] if traced else []
        pieces += [self.metrics_endpoint] if self.metrics_endpoint else []
        self.background = Lifecycle(pieces)

    def _open_http(self) -> HttpEdge | None:
        return start_http(self.options, self.service, self.engine, self.auth,
                          draining=self._stopped.is_set)

    @property
    def http(self) -> HttpEdge | None:
        return self.doors.http

    @property
    def metrics_port(self) -> int | None:
        return self.metrics_endpoint.port if self.metrics_endpoint else None

    def start(self) -> None:
        self.background.start()  # the front doors last (server/doors.py)
        rs = self.engine.ruleset
        metrics.record_ruleset(rs.version, len(rs.rules))
        self._set_health(health_pb2.HealthCheckResponse.SERVING)
        # Everything built so far (modules, the compiled policy, gRPC) lives as long as the
        # process: moved out of the collector's reach, it is not scanned again by every full
        # collection while calls are answered.
        gc.freeze()
        # An answer builds a few hundred objects, nearly all freed by their reference counts:
        # a young collection every 700 allocations (the default) ran every few calls and cost
        # ~14 µs a call on never-seen profiles; every 10,000, ~5 µs (docs/performance.md).
        gc.set_threshold(*GC_THRESHOLDS)
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
        """Health NOT_SERVING, then the shutdown order: refuse new calls, let calls in flight
        finish within the grace, write out what is owed; 0, or EXIT_ABANDONED when a call or a write had to be
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
        # The shutdown order (obs/background.py), from the front doors on; the writes get
        # what is left of the margin, less a little for the last log line.
        code = EXIT_ABANDONED if self.background.stop(deadline - 0.5) else 0
        log.info("stopped", exit_code=code)
        return code

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
