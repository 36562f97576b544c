"""The clock waivers are judged by: microseconds since the epoch.

The wall clock in production. A test hands in a clock of its own through the test seam
(`ftgate.testing serve --clock-file`, server/hooks.py), so that a waiver's expiry can be crossed
when the test says, not after waiting for it; the service itself never changes it otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def _wall() -> int:
    return time.time_ns() // 1000


_clock: Callable[[], int] = _wall


def now_us() -> int:
    """Now, in microseconds since the epoch."""
    return _clock()


def use(clock: Callable[[], int] | None) -> None:
    """Judge time by `clock` from now on (None: the wall clock)."""
    global _clock
    _clock = _wall if clock is None else clock
