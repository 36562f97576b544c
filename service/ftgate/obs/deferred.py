"""Counters of the request path, added up in memory and written every second with `--workers`.

With `serve --workers N` prometheus_client runs in multiprocess mode: every increment takes a
lock and writes a memory-mapped file, 1.5 µs, and an Evaluate moves six or seven counters — about
a third of what the server spends on an answer from the decision cache (docs/performance.md). In
that mode the request path's counter children are wrapped by `deferred()`: an increment is an
addition under a lock of its own, and a flusher thread adds what was counted to the real child
every `INTERVAL` seconds, and when the server stops (`COUNTERS` is one of its pieces of
background work, obs/background.py). A scrape may then lag the calls by up to a second; a worker
killed with SIGKILL loses at most its last second of counts. In a single process increments are cheap
(0.5 µs) and `deferred()` returns the child itself.
"""

from __future__ import annotations

import os
import threading
from typing import Any

INTERVAL = 1.0


class DeferredCounter:
    """A counter child's increments, summed until the next flush."""

    __slots__ = ("child", "lock", "pending")

    def __init__(self, child: Any) -> None:
        self.child = child
        self.pending = 0.0
        self.lock = threading.Lock()

    def inc(self, amount: float = 1.0) -> None:
        with self.lock:
            self.pending += amount

    def flush(self) -> None:
        with self.lock:
            amount, self.pending = self.pending, 0.0
        if amount:
            self.child.inc(amount)


class DeferredCounters:
    """Every DeferredCounter of the process, and the thread that writes them (a Background)."""

    name = "counters"

    def __init__(self) -> None:
        self._all: list[DeferredCounter] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, child: Any) -> DeferredCounter:
        counter = DeferredCounter(child)
        with self._lock:
            self._all.append(counter)
        return counter

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="ftgate-metrics-flush",
                                            daemon=True)
            self._thread.start()

    def flush(self) -> None:
        """Write every pending increment now."""
        with self._lock:
            counters = list(self._all)
        for counter in counters:
            counter.flush()

    def stop(self, timeout: float) -> bool:
        thread, self._thread = self._thread, None
        self._stopping.set()
        if thread is not None:
            thread.join(timeout)
        self.flush()  # an addition under a lock per counter: never stuck
        return thread is None or not thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.wait(INTERVAL):
            self.flush()


# The registry the request path's counters join when they are made (module import time, or
# when a method is registered); it is never replaced. The server starts and stops it.
COUNTERS = DeferredCounters()


def deferred(child: Any) -> Any:
    """`child` itself in a single process; with `--workers`, a DeferredCounter over it."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return child
    return COUNTERS.add(child)


def flush_all() -> None:
    """Write every pending increment now."""
    COUNTERS.flush()
