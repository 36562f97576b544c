"""The server's pieces beside its calls — front doors, rule watcher, decision-log writer, counter
flusher, audit writer, tracer, metrics endpoint — behind one lifecycle: start, flush, stop.

Each piece is handed to one `Lifecycle` in its shutdown order, which is written once, in the
order the pieces are given (server/server.py): the front doors first (gRPC and HTTP refuse new
calls and drain those in flight: server/doors.py), then the rule watcher (no policy swap while
the rest is written out), the decision log (every call has ended: its line is queued), the
counters (the last calls counted), the audit log (the slowest: the queue written to its store),
the tracer (the spans of the last calls exported), the metrics endpoint last. They start in the
reverse order, the front doors last: no call is accepted before everything behind them runs.

`stop` is bounded: the whole shutdown shares one deadline, and a piece that cannot finish in
what is left is named in the log and reported, never waited for without end (a writer blocked
on a full stderr pipe must not keep the process alive).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

import structlog

log = structlog.get_logger("ftgate")

# The least a piece is given to stop, even when the deadline has passed: enough to write a
# queue that is already in memory, not enough to wait on anything stuck.
_MIN_STOP_SECONDS = 0.2
# What the pieces already started get to stop when a later one cannot start.
_FAILED_START_STOP_SECONDS = 5.0


class Background(Protocol):
    """Work that runs beside the calls (a thread, usually)."""

    name: str

    def start(self) -> None:
        """Begin; called once, before the server accepts calls."""

    def flush(self) -> None:
        """Write out what is pending now, and keep running."""

    def stop(self, timeout: float) -> bool:
        """Write out what is pending and end; False when that took more than `timeout` seconds
        (the piece is then abandoned, still running)."""


class Lifecycle:
    """Background pieces in their shutdown order."""

    def __init__(self, pieces: Sequence[Background]) -> None:
        self.pieces = tuple(pieces)
        self._started: list[Background] = []

    def start(self) -> None:
        """Start every piece, in the reverse of the shutdown order; when one cannot start (a
        port taken), those already started are stopped, in order, before the error goes on."""
        for piece in reversed(self.pieces):
            try:
                piece.start()
            except BaseException:
                self.stop(time.monotonic() + _FAILED_START_STOP_SECONDS)
                raise
            self._started.append(piece)

    def flush(self) -> None:
        for piece in self.pieces:
            piece.flush()

    def stop(self, deadline: float) -> list[str]:
        """Stop every started piece in order, all by `deadline` (time.monotonic()); the names
        of those that did not finish in time."""
        late = []
        for piece in self.pieces:
            if piece not in self._started:
                continue
            timeout = max(deadline - time.monotonic(), _MIN_STOP_SECONDS)
            if piece.stop(timeout):
                log.info("background_stopped", piece=piece.name)
            else:
                log.error("background_stop_timeout", piece=piece.name, timeout_seconds=timeout)
                late.append(piece.name)
        self._started.clear()
        return late
