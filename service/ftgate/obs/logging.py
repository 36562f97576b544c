"""structlog set-up: one JSON object per line on stderr."""

from __future__ import annotations

import json
import logging
import select
import sys
import threading
import time
from collections import deque
from collections.abc import MutableMapping
from typing import Any

import structlog

from ftgate.obs._fdlogger import FdLogger, FdLoggerFactory
from ftgate.obs.operations import LOG_LINES_DROPPED


def _stderr_logger_factory() -> Any:
    """One os.write() per line (obs/_fdlogger.py); PrintLogger where stderr has no descriptor."""
    try:
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # e.g. replaced by a test's capture
        return structlog.PrintLoggerFactory(sys.stderr)
    return FdLoggerFactory(sys.stderr)


_ENCODER = json.JSONEncoder(default=repr)  # what structlog's JSONRenderer does with the rest
_second: list[Any] = [None, ""]  # the last whole second seen, and its ISO text


def _encode_json(event: Any, **_: Any) -> str:
    return _ENCODER.encode(event)


_text = json.encoder.encode_basestring_ascii  # a JSON string, as json.dumps writes it


def _timestamp() -> str:
    now = time.time()
    whole = int(now)
    if whole != _second[0]:
        _second[:] = [whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))]
    return f"{_second[1]}.{int((now - whole) * 1e6):06d}Z"


class DecisionLog:
    """The `decision` line of every Evaluate: rendered without structlog's processor chain, and
    written in batches.

    - Through structlog's bound logger, processors and renderer this line cost about half of
      what the server spends on an answer from the decision cache. Here it is one format string:
      the same JSON object as every other line (its fields, then `event`, `level`, `timestamp`
      and the static fields of `configure`), at level info.
    - A write per line is a system call per Evaluate, during which another thread takes the
      GIL: the calling thread then waits to take it back. That cost the server 15 % of its
      throughput (docs/performance.md). Lines are appended to a queue, and a writer thread
      writes what is queued every `interval` seconds in one write, and at `flush()` and `stop()`
      (the server stops it after its last call: obs/background.py). At most `max_queued` lines wait:
      beyond that, when stderr cannot keep up, lines are dropped and counted
      (ftgate_log_lines_dropped_total) rather than held in memory.
    - Where stderr has no descriptor (e.g. captured by a test), it goes through structlog.
    """

    def __init__(self, fd_logger: FdLogger | None, enabled: bool, static: dict[str, Any],
                 interval: float = 0.02, max_queued: int = 100_000) -> None:
        self._logger = fd_logger
        self.enabled = enabled
        self._suffix = "".join(f", {_ENCODER.encode(str(k))}: {_ENCODER.encode(v)}"
                               for k, v in static.items())
        self.interval = interval
        self.max_queued = max_queued
        self._queue: deque[str] = deque()
        self._writer: threading.Thread | None = None
        self._write_lock = threading.Lock()  # one flush at a time keeps the lines in order
        self._stopping = threading.Event()
        self.name = "decision_log"

    def write(self, decision_id: str, project: str, verdict: str, outcome: str | None,
              findings: int, ruleset_version: str, duration_ms: float, cached: bool) -> None:
        if not self.enabled:
            return
        if self._logger is None:
            structlog.get_logger("ftgate").info(
                "decision", decision_id=decision_id, project=project, verdict=verdict,
                outcome=outcome, findings=findings, ruleset_version=ruleset_version,
                duration_ms=duration_ms, cached=cached)
            return
        if len(self._queue) >= self.max_queued:
            LOG_LINES_DROPPED.inc()
            return
        self._queue.append(
            f'{{"decision_id": {_text(decision_id)}, "project": {_text(project)}, '
            f'"verdict": {_text(verdict)}, '
            f'"outcome": {"null" if outcome is None else _text(outcome)}, '
            f'"findings": {int(findings)}, "ruleset_version": {_text(ruleset_version)}, '
            f'"duration_ms": {float(duration_ms)!r}, "cached": {"true" if cached else "false"}, '
            f'"event": "decision", "level": "info", "timestamp": "{_timestamp()}"'
            f'{self._suffix}}}\n')
        if self._writer is None:
            self._start()

    def start(self) -> None:
        """Start the writer thread (a Background: obs/background.py)."""
        self._start()

    def _start(self) -> None:
        with self._write_lock:
            if self._writer is None:
                self._writer = threading.Thread(target=self._run, name="ftgate-decision-log",
                                                daemon=True)
                self._writer.start()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            self.flush()
        self.flush()

    def stop(self, timeout: float) -> bool:
        """Write every queued line and end the writer; False when it is still writing after
        `timeout` seconds (stderr not read: its pipe full)."""
        self._stopping.set()
        writer = self._writer
        if writer is None:
            self.flush()
            return True
        writer.join(timeout)
        return not writer.is_alive()

    def flush(self) -> None:
        """Write every queued line now."""
        logger, queue = self._logger, self._queue
        if logger is None:
            return
        with self._write_lock:
            # Whole lines, at most PIPE_BUF bytes a write (the lines are ASCII): the kernel
            # keeps such a write whole even when other processes (the other workers) write to
            # the same pipe.
            chunks: list[list[str]] = [[]]
            size = 0
            while queue:
                line = queue.popleft()
                if size + len(line) > select.PIPE_BUF and chunks[-1]:
                    chunks.append([])
                    size = 0
                chunks[-1].append(line)
                size += len(line)
            for i, chunk in enumerate(chunks):
                if not chunk:
                    continue
                try:
                    logger.write("".join(chunk))
                except OSError:  # stderr closed or broken: the lines are lost, not the caller
                    LOG_LINES_DROPPED.inc(sum(len(c) for c in chunks[i:]))
                    return


# What a decision line says of an answer besides its id, duration and `cached`, in the order of
def add_timestamp(_logger: Any, _name: str, event: MutableMapping[str, Any],
                  ) -> MutableMapping[str, Any]:
    """`timestamp`: ISO 8601 in UTC with microseconds, as structlog's TimeStamper(fmt="iso",
    utc=True) writes it ("2026-11-26T08:16:55.123456Z"); the date and time of day are
    formatted once per second."""
    event["timestamp"] = _timestamp()
    return event


def configure(level: str = "info", **static: Any) -> DecisionLog:
    """Set up structlog; the DecisionLog that writes decision lines the same way (the server
    owns it: it is handed to the servicer and stopped with the server). `static` key/values go
    into every event (e.g. worker=1 in `serve --workers`)."""
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    factory = _stderr_logger_factory()
    decision_log = DecisionLog(factory.logger if isinstance(factory, FdLoggerFactory) else None,
                               numeric <= logging.INFO, static)

    def add_static(_logger: Any, _name: str, event: MutableMapping[str, Any],
                   ) -> MutableMapping[str, Any]:
        for key, value in static.items():
            event.setdefault(key, value)
        return event

    # Every Evaluate logs its decision, so the chain is kept short (docs/performance.md): no
    # context variables (none are bound), the timestamp formatted once per second, one JSON
    # encoder built once.
    structlog.configure(
        processors=[
            *([add_static] if static else []),
            structlog.processors.add_log_level,
            add_timestamp,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=_encode_json),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=factory,
        cache_logger_on_first_use=True,
    )
    return decision_log
