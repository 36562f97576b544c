"""Signals for a main loop, noted by handlers that take no lock.

A Python signal handler runs in the main thread between two bytecodes, wherever that thread is.
A handler that calls `threading.Event.set()` deadlocks the process when the main thread is inside
`Event.wait()` on the same event, holding its internal lock: `set()` waits for that lock forever,
and every later signal runs the handler again and blocks again (seen: a worker that logged each
SIGTERM and never drained). So the handlers here only store a value and write a byte to a pipe
of their own, which wakes the main loop waiting on it (no lock anywhere, and no delay).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
from collections.abc import Iterable
from types import FrameType


class SignalFlags:
    """`stop_signals` ask the loop to stop (the first one is kept); `hangup_signals` are counted,
    each taken once by `hangup()`."""

    def __init__(self, stop_signals: Iterable[int] = (signal.SIGTERM, signal.SIGINT),
                 hangup_signals: Iterable[int] = (signal.SIGHUP,)) -> None:
        self.stopped_by: int | None = None
        self._hangups = 0
        self._hangups_taken = 0
        self._wake_read, self._wake_write = os.pipe()  # (not inherited by child processes)
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        for signum in stop_signals:
            signal.signal(signum, self._on_stop)
        for signum in hangup_signals:
            signal.signal(signum, self._on_hangup)

    def _on_stop(self, signum: int, _frame: FrameType | None) -> None:
        if self.stopped_by is None:
            self.stopped_by = signum
        self._wake()

    def _on_hangup(self, _signum: int, _frame: FrameType | None) -> None:
        self._hangups += 1
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # full: the loop has wake-ups pending already
            os.write(self._wake_write, b"\0")

    def wait(self, interval: float) -> bool:
        """Wait up to `interval` seconds, less when a signal comes; whether a stop signal came."""
        if self.stopped_by is None and self._hangups == self._hangups_taken:
            ready, _, _ = select.select([self._wake_read], [], [], interval)
            if ready:
                with contextlib.suppress(BlockingIOError):
                    os.read(self._wake_read, 4096)
        return self.stopped_by is not None

    def hangup(self) -> bool:
        """Whether a hangup signal came since the last call (several in between count once)."""
        seen = self._hangups
        if seen == self._hangups_taken:
            return False
        self._hangups_taken = seen
        return True

    @property
    def stop_name(self) -> str:
        return signal.Signals(self.stopped_by).name if self.stopped_by is not None else ""


_PROCESS_FLAGS: list[SignalFlags] = []


def process_flags() -> SignalFlags:
    """The process's SignalFlags: installed on the first call (SIGTERM, SIGINT, SIGHUP), the
    same object afterwards. `ftgate serve` calls it before its imports (cli/__init__.py), so
    that a SIGTERM at any moment of its start is a stop, exit 0, not the default death (143)."""
    if not _PROCESS_FLAGS:
        _PROCESS_FLAGS.append(SignalFlags())
    return _PROCESS_FLAGS[0]
