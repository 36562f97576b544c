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
  when all of them did. SIGHUP (rule reload) is passed on too;
- a worker that dies is replaced; one that cannot start (port taken, bad rules) stops everything.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import time
from dataclasses import replace
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import Any

import structlog

from ftgate.server.server import ServeOptions, split_host_port
from ftgate.server.signals import SignalFlags

log = structlog.get_logger("ftgate")

# A worker that exits within this many seconds of its start did not manage to serve.
_STARTUP_SECONDS = 5.0
_PR_SET_PDEATHSIG = 1


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


def _exit_before_serving(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def _worker_main(index: int, options: ServeOptions, rules_dir: Path | None,
                 log_level: str, parent: int) -> None:
    """One worker: its own engine and gRPC server on the shared port; exit code of `serve`."""
    # Until serve() installs its own handler, nothing is being served: SIGTERM means exit 0.
    signal.signal(signal.SIGTERM, _exit_before_serving)
    _die_with(parent)
    from ftgate.engine import Engine
    from ftgate.obs.logging import configure
    from ftgate.server.server import serve

    decision_log = configure(log_level, worker=index, pid=os.getpid())
    raise SystemExit(serve(Engine(rules_dir), options, decision_log))


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


class Supervisor:
    """Starts, watches and stops the worker processes."""

    def __init__(self, options: ServeOptions, rules_dir: Path | None, log_level: str,
                 workers: int) -> None:
        self.options = options
        self.rules_dir = rules_dir
        self.log_level = log_level
        self.count = workers
        self._ctx = multiprocessing.get_context("spawn")
        self._procs: dict[int, tuple[BaseProcess, float]] = {}
        self._reserved: socket.socket | None = None
        self._metrics_dir: str | None = None
        self._http: Any = None

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
        from prometheus_client import CollectorRegistry, start_http_server
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        registry.register(_ServedVersions(
            MultiProcessCollector(None, path=self._metrics_dir)))  # type: ignore[no-untyped-call]
        host, port = split_host_port(self.options.metrics_listen)
        self._http, _ = start_http_server(port, addr=host, registry=registry)
        return int(self._http.server_port)

    def _spawn(self, index: int, options: ServeOptions) -> None:
        proc = self._ctx.Process(target=_worker_main, name=f"ftgate-worker-{index}",
                                 args=(index, options, self.rules_dir, self.log_level,
                                       os.getpid()))
        proc.start()
        self._procs[index] = (proc, time.monotonic())

    def run(self) -> int:
        options = self._worker_options()
        if self.options.metrics_listen:
            # Set before any worker starts: their prometheus_client reads it on import.
            self._metrics_dir = tempfile.mkdtemp(prefix="ftgate-metrics-")
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = self._metrics_dir
        try:
            metrics_port = self._start_metrics()
            for index in range(self.count):
                self._spawn(index, options)
            log.info("supervising", workers=self.count, address=options.listen,
                     metrics_port=metrics_port,
                     pids=[p.pid for p, _ in self._procs.values()])
            code = self._watch(options)
            return self._shutdown(code)
        finally:
            self._cleanup()

    def _watch(self, options: ServeOptions) -> int:
        """Until asked to stop: pass SIGHUP on, replace dead workers. 0, or 1 on a failed start."""
        signals = SignalFlags()  # (server/signals.py: why the handlers take no lock)
        while not signals.wait(0.2):
            if signals.hangup():
                log.info("signal", signal="SIGHUP", forwarded_to=len(self._procs))
                self._signal_all(signal.SIGHUP)
            for index, (proc, started) in list(self._procs.items()):
                if proc.is_alive():
                    continue
                proc.join()
                self._mark_dead(proc.pid)
                log.error("worker_exited", worker=index, pid=proc.pid, exit_code=proc.exitcode)
                if time.monotonic() - started < _STARTUP_SECONDS:
                    log.error("worker_cannot_start", worker=index)
                    return 1
                self._spawn(index, options)
        return 0

    def _signal_all(self, signum: int) -> None:
        for proc, _ in self._procs.values():
            if proc.pid is not None and proc.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signum)

    def _shutdown(self, code: int) -> int:
        """SIGTERM every worker, wait for their drain; exit 0 only when all of them exited 0."""
        log.info("draining", workers=len(self._procs), grace_seconds=self.options.grace_seconds)
        self._signal_all(signal.SIGTERM)
        # A worker drains for its drain delay (when serve has one), then its grace period.
        drain = float(getattr(self.options, "drain_delay_seconds", 0.0) or 0.0)
        deadline = time.monotonic() + drain + self.options.grace_seconds + 10
        for index, (proc, _) in self._procs.items():
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                log.error("worker_killed", worker=index, pid=proc.pid)
                proc.kill()
                proc.join(5)
                code = 1
            elif proc.exitcode == -signal.SIGTERM:
                # Our SIGTERM reached the worker before Python set a handler: it had served
                # nothing, so there was nothing to drain.
                log.info("worker_stopped_before_serving", worker=index, pid=proc.pid)
            elif proc.exitcode != 0:
                log.error("worker_failed", worker=index, pid=proc.pid, exit_code=proc.exitcode)
                code = code or 1
        log.info("stopped", exit_code=code)
        return code

    def _mark_dead(self, pid: int | None) -> None:
        if self._metrics_dir and pid is not None:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid, self._metrics_dir)  # type: ignore[no-untyped-call]

    def _cleanup(self) -> None:
        if self._http is not None:
            self._http.shutdown()
        if self._reserved is not None:
            self._reserved.close()
        if self._metrics_dir:
            shutil.rmtree(self._metrics_dir, ignore_errors=True)
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)


def serve_workers(options: ServeOptions, rules_dir: Path | None, log_level: str,
                  workers: int) -> int:
    """Run `workers` server processes on one port until SIGTERM; 0 when all drained cleanly."""
    return Supervisor(options, rules_dir, log_level, workers).run()
