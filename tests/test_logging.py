"""The decision line is written without structlog's chain: it must be the same JSON object."""

from __future__ import annotations

import json
from pathlib import Path

import structlog
from ftgate.obs import logging as logs
from ftgate.obs._fdlogger import FdLogger

HOSTILE = 'quote " backslash \\ newline \n tab \t nul \x00 é 漢 \u2028 emoji 🙂'
FIELDS = {"decision_id": "9e863f09-cedc-4114-992d-064b63064fa5", "project": HOSTILE,
          "verdict": "FINE_TUNE", "outcome": None, "findings": 3,
          "ruleset_version": "abc123", "duration_ms": 0.123, "cached": True}


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_decision_line_is_the_json_structlog_would_write(tmp_path: Path) -> None:
    fast, slow = tmp_path / "fast.log", tmp_path / "slow.log"
    with fast.open("w") as stream:
        decision_log = logs.DecisionLog(FdLogger(stream), True, {"worker": 2, "pid": 7})
        decision_log.write(**FIELDS)
        decision_log.flush()
    config = structlog.get_config()
    try:
        with slow.open("w") as stream:
            logs.configure("info", worker=2, pid=7)
            structlog.configure(logger_factory=structlog.PrintLoggerFactory(stream))
            structlog.get_logger("ftgate").info("decision", **FIELDS)
            stream.flush()
    finally:
        structlog.configure(**config)
    [got], [expected] = _lines(fast), _lines(slow)
    assert got.pop("timestamp") and expected.pop("timestamp")
    assert got == expected
    assert got["project"] == HOSTILE and got["worker"] == 2


def test_decision_line_honours_the_level(tmp_path: Path) -> None:
    path = tmp_path / "quiet.log"
    with path.open("w") as stream:
        quiet = logs.DecisionLog(FdLogger(stream), False, {})
        quiet.write(**FIELDS)
        quiet.flush()
    assert path.read_text() == ""


def test_timestamp_has_the_iso_form() -> None:
    import re

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", logs._timestamp())


def test_lines_are_batched_whole_and_in_order(tmp_path: Path) -> None:
    """Lines wait in the queue until the writer's turn (or flush), then go out whole, in
    order, in writes of at most PIPE_BUF bytes; beyond max_queued they are dropped, not held."""
    import os
    import select

    read_fd, write_fd = os.pipe()
    writes: list[int] = []

    class Recording(FdLogger):
        def write(self, text: str) -> None:
            writes.append(len(text.encode()))
            super().write(text)

    with os.fdopen(write_fd, "w") as stream:
        decision_log = logs.DecisionLog(Recording(stream), True, {}, interval=3600,
                                        max_queued=50)
        for i in range(60):
            decision_log.write(**{**FIELDS, "project": f"p{i}", "findings": i})
        decision_log.flush()
    with os.fdopen(read_fd) as pipe:
        lines = [json.loads(line) for line in pipe.read().splitlines()]
    assert [line["findings"] for line in lines] == list(range(50))  # 10 dropped
    assert len(writes) > 1 and max(writes) <= select.PIPE_BUF


def test_a_closed_stderr_loses_lines_not_the_caller(tmp_path: Path) -> None:
    """A flush (the writer thread's, or the one at exit) never raises: lines it cannot write are
    counted as dropped."""
    from ftgate.obs.operations import LOG_LINES_DROPPED

    stream = (tmp_path / "closed.log").open("w")
    decision_log = logs.DecisionLog(FdLogger(stream), True, {}, interval=3600)
    stream.close()
    dropped = LOG_LINES_DROPPED._value.get()  # type: ignore[attr-defined]
    for _ in range(3):
        decision_log.write(**FIELDS)
    decision_log.flush()
    assert LOG_LINES_DROPPED._value.get() == dropped + 3  # type: ignore[attr-defined]
