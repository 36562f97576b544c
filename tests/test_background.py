"""The server's background work: one lifecycle, one shutdown order, bounded whatever a piece
does (obs/background.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from ftgate.obs._fdlogger import FdLogger
from ftgate.obs.background import Lifecycle
from ftgate.obs.logging import DecisionLog


class Piece:
    def __init__(self, name: str, journal: list[str], stuck: threading.Event | None = None,
                 ) -> None:
        self.name = name
        self.journal = journal
        self.stuck = stuck

    def start(self) -> None:
        self.journal.append(f"start {self.name}")

    def flush(self) -> None:
        self.journal.append(f"flush {self.name}")

    def stop(self, timeout: float) -> bool:
        self.journal.append(f"stop {self.name}")
        if self.stuck is not None:
            return self.stuck.wait(timeout)  # never set: it cannot finish
        return True


def test_pieces_start_in_reverse_and_stop_in_the_shutdown_order() -> None:
    journal: list[str] = []
    lifecycle = Lifecycle([Piece(n, journal) for n in ("watcher", "log", "audit")])
    lifecycle.start()
    lifecycle.flush()
    assert lifecycle.stop(time.monotonic() + 5) == []
    assert journal == ["start audit", "start log", "start watcher",
                       "flush watcher", "flush log", "flush audit",
                       "stop watcher", "stop log", "stop audit"]


def test_a_piece_that_cannot_stop_is_named_and_the_rest_still_stop() -> None:
    journal: list[str] = []
    never = threading.Event()
    lifecycle = Lifecycle([Piece("stuck", journal, never), Piece("audit", journal)])
    lifecycle.start()
    started = time.monotonic()
    assert lifecycle.stop(started + 0.5) == ["stuck"]
    assert journal[-2:] == ["stop stuck", "stop audit"]


def test_decision_log_stop_writes_every_queued_line(tmp_path: Path) -> None:
    path = tmp_path / "decisions.log"
    with path.open("w") as stream:
        decision_log = DecisionLog(FdLogger(stream), True, {}, interval=3600)
        decision_log.start()
        for i in range(3):
            decision_log.write(f"id{i}", "p", "FINE_TUNE", None, 0, "v", 0.1, False)
        assert decision_log.stop(10.0)
    assert len(path.read_text().splitlines()) == 3


class Refuses(Piece):
    def start(self) -> None:
        self.journal.append(f"start {self.name}")
        raise OSError("port taken")


def test_a_piece_that_cannot_start_stops_those_started_before_it() -> None:
    journal: list[str] = []
    lifecycle = Lifecycle([Refuses("doors", journal), Piece("log", journal),
                           Piece("audit", journal)])
    with pytest.raises(OSError, match="port taken"):
        lifecycle.start()
    assert journal == ["start audit", "start log", "start doors", "stop log", "stop audit"]
    assert lifecycle.stop(time.monotonic() + 5) == []  # nothing left to stop
    assert journal[-1] == "stop audit"
