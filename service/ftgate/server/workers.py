"""`ftgate serve --workers N`: N server processes sharing one port, each with its own engine.

durable-rules is not thread-safe (one lock serialises evaluations) and Python runs one thread at a
time, so a process evaluates on one core: parallelism comes from processes. The supervisor (this
module, the process started by `ftgate serve`) does not serve gRPC itself:

- it starts N workers (multiprocessing "spawn": fresh interpreters, no gRPC state crosses a fork)
  that listen on the same HOST:PORT with SO_REUSEPORT; the kernel spreads *connections* over them;
- it serves `/metrics` for all of them: the workers run prometheus_client in multiprocess mode
  (PROMETHEUS_MULTIPROC_DIR, a private temporary directory) and the supervisor aggregates their
  files, so counters and histograms are the sums over the workers (docs/performance.md);
- SIGTERM/SIGINT is passed on to every worker, which drains its calls; the supervisor exits 0
  when all of them did (3 when one had to abandon calls: server/server.py). SIGHUP (rule
  reload) is passed on too;
- it keeps serving with the workers it has: one that dies, or stops ticking its heartbeat (a
  value in shared memory a thread of the worker sets every 0.2 s: a SIGSTOPped or wedged worker
  would otherwise hold half of the new connections), is replaced, after a back-off that grows
  while its replacements die before serving. It gives up (exit 1) only when no worker serves
  and every one of them failed to start again and again (the port taken, say). The count of
  serving workers and of restarts is on /metrics (docs/operations.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, replace
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import structlog

from ftgate.server.http.address import ListenError
from ftgate.server.metrics_dir import remove_stale, worker_metrics_dir
from ftgate.server.options import ServeOptions
from ftgate.server.server import EXIT_ABANDONED, SHUTDOWN_MARGIN_SECONDS, split_host_port
from ftgate.server.signals import SignalFlags, process_flags

log = structlog.get_logger("ftgate")

_PR_SET_PDEATHSIG = 1
# A serving worker whose heartbeat is older than this is unresponsive: killed and replaced.
UNRESPONSIVE_SECONDS = 5.0
# A worker that has not served this long after its start is killed (and counted as failed).
_START_TIMEOUT_SECONDS = 120.0
# Back-off before a restart: doubled for every start in a row that ended before serving.
_BACKOFF_SECONDS = 0.5
_BACKOFF_MAX_SECONDS = 15.0
# The supervisor gives up when no worker serves and each has failed this many starts in a row.
GIVE_UP_FAILURES = 4
# A worker's exit code when a port is taken (cli/exits.py EXIT_BAD_INPUT): no restart, the
# supervisor stops the others and exits with it.
EXIT_CANNOT_LISTEN = 2


def default_workers() -> int:
    """The number of cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _die_with(parent: int) -> None:
    """SIGTERM this worker when the supervisor dies, even by SIGKILL (Linux prctl)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the supervisor died before prctl
        raise SystemExit(1)


def _worker_main(index: int, options: ServeOptions, rules_dir: Path | None,
                 log_level: str, parent: int, heartbeat: Any) -> None:
    """One worker: its own engine and gRPC server on the shared port; exit code of `serve`.
    `heartbeat` (a shared double) is set to time.monotonic() while it serves: the clock is the
    same in every process of the machine."""
    # The process's stop handlers, installed already when the spawn re-imported the `ftgate
    # serve` entry point (cli/__init__.py): a SIGTERM that came during that import is noted
    # there, and serve() returns 0 before serving (a handler of our own here would lose it).
    signals = process_flags()
    if signals.stopped_by is not None:
        raise SystemExit(0)
    _die_with(parent)
    from ftgate.engine import Engine
    from ftgate.obs.logging import configure
    from ftgate.server.server import serve

    def tick() -> None:
        heartbeat.value = time.monotonic()

    decision_log = configure(log_level, worker=index, pid=os.getpid())
    try:
        engine = Engine(rules_dir, options.max_rule_file_bytes)
        code = serve(engine, options, decision_log, heartbeat=tick, signals=signals)
    except ListenError as exc:  # a port taken after the supervisor's check: no use retrying
        print(f"ftgate serve: {exc}", file=sys.stderr)
        code = EXIT_CANNOT_LISTEN
    raise SystemExit(code)


def _reserve_port(host: str) -> socket.socket:
    """Bind (without listening) a free port with SO_REUSEPORT, for `--listen HOST:0`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, 0))
    return sock


class _ServedVersions:
    """The workers' series, without the ruleset versions no worker serves any more (value 0):
    `ftgate_ruleset_info` then reads as in one process, one series per version served."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def collect(self) -> Any:
        for family in self.inner.collect():
            if family.name == "ftgate_ruleset_info":
                family.samples = [s for s in family.samples if s.value]
            yield family


@dataclass
class _Slot:
    """One worker's place: the process in it now, and how its starts have gone."""

    index: int
    proc: BaseProcess | None = None
    heartbeat: Any = None  # a shared double: the worker's last tick (0: not serving yet)
    started: float = 0.0
    serving: bool = False
    failures: int = 0  # starts in a row that ended before serving
    restart_at: float = 0.0


class _SupervisorMetrics:
    """ftgate_workers{state} and ftgate_worker_restarts_total{reason}, read from the
    supervisor's own state at each scrape."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor

    def collect(self) -> Any:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        states = GaugeMetricFamily("ftgate_workers", "Worker processes by state.",
                                   labels=["state"])
        counts = self.supervisor.worker_states()
        for state in ("serving", "starting", "down"):
            states.add_metric([state], counts.get(state, 0))
        yield states
        restarts = CounterMetricFamily("ftgate_worker_restarts", "Workers replaced, by reason.",
                                       labels=["reason"])
        for reason, count in sorted(self.supervisor.restarts.items()):
            restarts.add_metric([reason], count)
        yield restarts


class Supervisor:
    """Starts, watches, replaces and stops the worker processes."""

    def __init__(self, options: ServeOptions, rules_dir: Path | None, log_level: str,
                 workers: int, signals: SignalFlags | None = None) -> None:
        self.options = options
        self._signals = signals
        self.rules_dir = rules_dir
        self.log_level = log_level
        self.count = workers
        self._ctx = multiprocessing.get_context("spawn")
        self._slots = [_Slot(i) for i in range(workers)]
        self._reserved: socket.socket | None = None
        self._metrics_dir: Path | None = None
        self._endpoint: Any = None
        self.restarts: dict[str, int] = {"exited": 0, "unresponsive": 0, "start_timeout": 0}
        self.cannot_listen = False

    def worker_states(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for slot in self._slots:
            state = ("down" if slot.proc is None else "serving" if slot.serving else "starting")
            counts[state] = counts.get(state, 0) + 1
        return counts

    def _worker_options(self) -> ServeOptions:
        host, port = split_host_port(self.options.listen)
        if port == 0:
            self._reserved = _reserve_port(host)
            port = self._reserved.getsockname()[1]
        listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        return replace(self.options, listen=listen, metrics_listen=None, reuse_port=True)

    def _start_metrics(self) -> int | None:
        if not self.options.metrics_listen:
            return None
        from prometheus_client import CollectorRegistry
        from prometheus_client.multiprocess import MultiProcessCollector

        from ftgate.obs.metrics_http import MetricsEndpoint

        registry = CollectorRegistry()
        registry.register(_ServedVersions(
            MultiProcessCollector(None, path=str(self._metrics_dir))))  # type: ignore[no-untyped-call]
        registry.register(_SupervisorMetrics(self))
        self._endpoint = MetricsEndpoint(*split_host_port(self.options.metrics_listen), registry)
        self._endpoint.start()
        return int(self._endpoint.port)

    def _spawn(self, slot: _Slot, options: ServeOptions) -> None:
        slot.heartbeat = self._ctx.RawValue("d", 0.0)
        proc = self._ctx.Process(target=_worker_main, name=f"ftgate-worker-{slot.index}",
                                 args=(slot.index, options, self.rules_dir, self.log_level,
                                       os.getpid(), slot.heartbeat))
        proc.start()
        slot.proc, slot.started, slot.serving = proc, time.monotonic(), False
        log.info("worker_started", worker=slot.index, pid=proc.pid)

    def run(self) -> int:
        options = self._worker_options()
        if self.options.metrics_listen:
            remove_stale()  # left by supervisors killed with SIGKILL
            # Set before any worker starts: their prometheus_client reads it on import.
            self._metrics_dir = worker_metrics_dir()
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(self._metrics_dir)
        try:
            metrics_port = self._start_metrics()
            for slot in self._slots:
                self._spawn(slot, options)
            log.info("supervising", workers=self.count, address=options.listen,
                     metrics_port=metrics_port, metrics_dir=str(self._metrics_dir or ""),
                     pids=[slot.proc.pid for slot in self._slots if slot.proc])
            code = self._watch(options)
            return self._shutdown(code)
        finally:
            self._cleanup()

    def _watch(self, options: ServeOptions) -> int:
        """Until asked to stop: pass SIGHUP on, replace dead and unresponsive workers. 0, or 1
        when no worker can serve."""
        # (server/signals.py: why the handlers take no lock)
        signals = self._signals or SignalFlags()
        while not signals.wait(0.2):
            if signals.hangup():
                log.info("signal", signal="SIGHUP", forwarded_to=self.count)
                self._signal_all(signal.SIGHUP)
            now = time.monotonic()
            for slot in self._slots:
                self._check(slot, now, options)
            if self.cannot_listen:
                log.error("workers_cannot_listen", workers=self.count)
                return EXIT_CANNOT_LISTEN
            if all(not slot.serving and slot.failures >= GIVE_UP_FAILURES
                   for slot in self._slots):
                log.error("workers_cannot_serve", workers=self.count,
                          failures=[slot.failures for slot in self._slots])
                return 1
        return 0

    def _check(self, slot: _Slot, now: float, options: ServeOptions) -> None:
        """Look at one worker: note that it serves, kill it when it stopped answering or never
        started, and start its replacement when its back-off has passed."""
        proc = slot.proc
        if proc is None:
            if now >= slot.restart_at:
                self._spawn(slot, options)
            return
        if proc.is_alive():
            beat = slot.heartbeat.value
            if beat and not slot.serving:
                slot.serving, slot.failures = True, 0
                log.info("worker_serving", worker=slot.index, pid=proc.pid)
            if slot.serving and now - beat > UNRESPONSIVE_SECONDS:
                self._replace(slot, "unresponsive", seconds_since_heartbeat=round(now - beat, 1))
            elif not slot.serving and now - slot.started > _START_TIMEOUT_SECONDS:
                self._replace(slot, "start_timeout")
            return
        proc.join()
        self._mark_dead(proc.pid)
        log.error("worker_exited", worker=slot.index, pid=proc.pid, exit_code=proc.exitcode,
                  served=slot.serving)
        if proc.exitcode == EXIT_CANNOT_LISTEN and not slot.serving:
            slot.proc = None
            self.cannot_listen = True  # (it said which port: a restart would fail the same)
            return
        self._down(slot, "exited")

    def _replace(self, slot: _Slot, reason: str, **fields: Any) -> None:
        """Kill a worker that cannot be waited for (SIGKILL: a stopped process ignores SIGTERM
        until it runs again)."""
        proc = slot.proc
        assert proc is not None
        log.error(f"worker_{reason}", worker=slot.index, pid=proc.pid, **fields)
        proc.kill()
        proc.join(10)
        self._mark_dead(proc.pid)
        self._down(slot, reason)

    def _down(self, slot: _Slot, reason: str) -> None:
        if not slot.serving:
            slot.failures += 1
        delay = min(_BACKOFF_SECONDS * 2 ** slot.failures, _BACKOFF_MAX_SECONDS)
        slot.proc, slot.serving = None, False
        slot.restart_at = time.monotonic() + delay
        self.restarts[reason] += 1
        log.info("worker_restart_scheduled", worker=slot.index, in_seconds=delay,
                 failures=slot.failures, reason=reason)

    def _signal_all(self, signum: int) -> None:
        for slot in self._slots:
            proc = slot.proc
            if proc is not None and proc.pid is not None and proc.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signum)

    def _shutdown(self, code: int) -> int:
        """SIGTERM every worker, wait for their drain; exit 0 only when all of them exited 0."""
        procs = [(slot.index, slot.proc) for slot in self._slots if slot.proc is not None]
        log.info("draining", workers=len(procs), grace_seconds=self.options.grace_seconds)
        self._signal_all(signal.SIGTERM)
        # A worker has exited by its drain delay, grace and shutdown margin (server/server.py).
        drain = max(self.options.drain_delay_seconds, 0.0)
        deadline = (time.monotonic() + drain + self.options.grace_seconds
                    + SHUTDOWN_MARGIN_SECONDS + 5)
        for index, proc in procs:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                log.error("worker_killed", worker=index, pid=proc.pid)
                proc.kill()
                proc.join(5)
                code = code or EXIT_ABANDONED
            elif proc.exitcode == -signal.SIGTERM:
                # Our SIGTERM reached the worker before Python set a handler: it had served
                # nothing, so there was nothing to drain.
                log.info("worker_stopped_before_serving", worker=index, pid=proc.pid)
            elif proc.exitcode == EXIT_ABANDONED:
                log.error("worker_abandoned_calls", worker=index, pid=proc.pid)
                code = code or EXIT_ABANDONED
            elif proc.exitcode != 0:
                log.error("worker_failed", worker=index, pid=proc.pid, exit_code=proc.exitcode)
                code = code or 1
        log.info("stopped", exit_code=code)
        return code

    def _mark_dead(self, pid: int | None) -> None:
        if self._metrics_dir and pid is not None:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid, str(self._metrics_dir))  # type: ignore[no-untyped-call]

    def _cleanup(self) -> None:
        if self._endpoint is not None:
            self._endpoint.stop(5.0)
        if self._reserved is not None:
            self._reserved.close()
        if self._metrics_dir:
            import shutil

            shutil.rmtree(self._metrics_dir, ignore_errors=True)
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)


def serve_workers(options: ServeOptions, rules_dir: Path | None, log_level: str,
                  workers: int, signals: SignalFlags | None = None) -> int:
    """Run `workers` server processes on one port until SIGTERM; 0 when all drained cleanly.
    `signals`: the stop and hangup handlers, when installed already."""
    return Supervisor(options, rules_dir, log_level, workers, signals).run()
