"""How long a call may run: the client's deadline, capped by the server's default deadline.

The service asks `CallBudget.check()` before each unit of work (each profile of a batch), so a
call whose client went away or whose time is up stops working instead of finishing for nobody.
(The other limits, request size and concurrent calls, are enforced by the gRPC core: see
`server.server`.)

For the test suite only, `FTGATE_TEST_DELAY_PER_PROFILE_SECONDS` makes every `check()` wait that
long first: a batch is then slow on purpose, so that a test reaches a deadline or a cancellation
in the middle of a call on a fast machine and on a slow one alike (docs/operations.md).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from typing import Any

from ftgate.api.errors import Cancelled, DeadlineExceeded
from ftgate.obs.operations import CALLS_STOPPED

# grpc reports "no deadline" as a deadline centuries away.
_NO_DEADLINE_BEYOND = 10 * 365 * 86400.0

TEST_DELAY_VARIABLE = "FTGATE_TEST_DELAY_PER_PROFILE_SECONDS"


def read_test_delay(environ: Mapping[str, str]) -> float:
    """The seconds of TEST_DELAY_VARIABLE in `environ` (0: unset or empty, no delay)."""
    raw = environ.get(TEST_DELAY_VARIABLE, "").strip()
    if not raw:
        return 0.0
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds < math.inf:
        raise ValueError(f"{TEST_DELAY_VARIABLE}: expected a number of seconds >= 0, got {raw!r}")
    return seconds


# Read once, when the server imports this module; 0 (no delay) outside the test suite, where
# `check()` pays one test of a module global for it.
_TEST_DELAY = read_test_delay(os.environ)


class CallBudget:
    """The deadline of one call; `default_deadline` (seconds, None = none) caps the client's."""

    __slots__ = ("context", "expires")

    def __init__(self, context: Any, default_deadline: float | None) -> None:
        self.context = context
        limits = [default_deadline] if default_deadline else []
        remaining = _time_remaining(context)
        if remaining is not None:
            limits.append(remaining)
        self.expires = time.monotonic() + min(limits) if limits else None

    def check(self) -> None:
        """Raise DeadlineExceeded when the deadline has passed, Cancelled when the client
        cancelled (both api.errors.CallStopped)."""
        if _TEST_DELAY:
            time.sleep(_TEST_DELAY)
        if self.expires is not None and time.monotonic() >= self.expires:
            CALLS_STOPPED.labels("deadline").inc()
            raise DeadlineExceeded("deadline exceeded")
        if not self.context.is_active():
            CALLS_STOPPED.labels("cancelled").inc()
            raise Cancelled("cancelled by the client")


def _time_remaining(context: Any) -> float | None:
    try:
        remaining = context.time_remaining()
    except (AttributeError, TypeError):  # a context without deadline support (in-process tests)
        return None
    if remaining is None or remaining > _NO_DEADLINE_BEYOND:
        return None
    return float(remaining)
