"""How long a call may run: the client's deadline, capped by the server's default deadline.

The service asks `CallBudget.check()` before each unit of work (each profile of a batch), so a
call whose client went away or whose time is up stops working instead of finishing for nobody.
(The other limits, request size and concurrent calls, are enforced by the gRPC core: see
`server.server`.)

`CallBudget.before_check` is a hook point, None in production: the server installs
`ServerHooks.before_each_profile` there (server/hooks.py), which a test uses to make a batch slow
on purpose (`ftgate.testing`), so that it reaches a deadline or a cancellation in the middle of a
call on a fast machine and on a slow one alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

from ftgate.api.errors import Cancelled, DeadlineExceeded
from ftgate.obs.operations import CALLS_STOPPED

# grpc reports "no deadline" as a deadline centuries away.
_NO_DEADLINE_BEYOND = 10 * 365 * 86400.0


class CallBudget:
    """The deadline of one call; `default_deadline` (seconds, None = none) caps the client's."""

    __slots__ = ("context", "expires")
    # Called first by every check() (one per profile): the process's hook, None unless a test
    # installed one (server/hooks.py); a class attribute because calls build their budgets in
    # several places (gRPC, HTTP, the webhook).
    before_check: ClassVar[Callable[[], None] | None] = None

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
        hook = CallBudget.before_check
        if hook is not None:
            hook()
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
