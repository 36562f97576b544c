"""The hook points of a serving process: empty in production.

A test that needs a call slow or stuck on purpose hands its hooks in here (`ftgate.testing`
builds them); the service itself never reads them from the environment. The hooks travel inside
`ServeOptions` to every worker process (pickled: a hook is an instance of a module-level class).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ServerHooks:
    """What a serving process runs besides its own code (nothing, unless a test says so)."""

    # Called before each unit of work of a call, each profile of a batch (api/limits.py).
    before_each_profile: Callable[[], None] | None = None
    # Per-method wrappers (server/handlers.py: (method, handler) -> handler), applied inside
    # the server's own, just outside the one that sends pre-written bytes.
    wrappers: tuple[Callable[[str, Any], Any], ...] = ()
    # The clock waivers are judged by, in microseconds since the epoch (api/clock.py; None: the
    # wall clock).
    clock: Callable[[], int] | None = None
