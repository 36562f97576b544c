"""server/signals.py: stop and hangup signals reach the main loop through handlers that take no
lock (an Event.set() in a handler deadlocked a worker that was inside Event.wait())."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest
from ftgate.server.signals import SignalFlags

SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@pytest.fixture(autouse=True)
def _restore_handlers() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in SIGNALS}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def test_hangups_are_taken_once_each_burst() -> None:
    flags = SignalFlags()
    assert not flags.hangup()
    os.kill(os.getpid(), signal.SIGHUP)
    os.kill(os.getpid(), signal.SIGHUP)
    assert flags.hangup() and not flags.hangup()
    os.kill(os.getpid(), signal.SIGHUP)
    assert flags.hangup()
    assert flags.stopped_by is None and not flags.wait(0)


def test_the_first_stop_signal_is_kept() -> None:
    flags = SignalFlags()
    os.kill(os.getpid(), signal.SIGINT)
    os.kill(os.getpid(), signal.SIGTERM)
    assert flags.wait(0) and flags.stop_name == "SIGINT"


def test_a_signal_during_the_wait_ends_it_at_once() -> None:
    """The wait is woken by the signal, not by the end of its interval (60 s here; the bound
    below only tells a wake-up from a full wait)."""
    flags = SignalFlags()
    for signum, stopped in ((signal.SIGHUP, False), (signal.SIGTERM, True)):
        timer = threading.Timer(0.2, os.kill, (os.getpid(), signum))
        timer.start()
        started = time.monotonic()
        assert flags.wait(60) is stopped
        assert time.monotonic() - started < 30, "the wait ran its whole interval"
        timer.join()
        assert flags.hangup() is not stopped  # the loop takes the hangup before waiting again
    assert flags.stop_name == "SIGTERM"
