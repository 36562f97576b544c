"""The threads the HTTP edge runs its calls in (`--threads` of them, as the gRPC server has):
the decision path, the audit store's reports and the console's figures are plain blocking
code, and the event loop must go on serving other connections meanwhile.

A concurrent.futures pool, handed work with the event loop's run_in_executor: a call costs one
queue put and one wake-up of the loop, where anyio's to_thread (used before) cost about as much
again in checks of its own on every call (its current library, task and limiter; py-spy on a
server under load: docs/performance.md). The caller's context goes along (contextvars), so that
a call's trace span is the current one in its thread.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class TimedOut(Exception):
    """The call's time ran out before its answer came (Workers.run)."""


class Workers:
    """A pool of `threads` threads; `run` awaits a function run in one of them."""

    def __init__(self, threads: int) -> None:
        self._pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="ftgate-http")

    async def run(self, timeout: float | None, fn: Callable[..., T], *args: object) -> T:
        """fn(*args) in a worker thread, in the caller's context. TimedOut once `timeout`
        seconds have passed (None: no limit): a call not yet started never starts then, one
        under way goes on until it stops by itself (its CallBudget)."""
        context = contextvars.copy_context()
        future = asyncio.get_running_loop().run_in_executor(self._pool, context.run, fn, *args)
        if timeout is None:
            return await future
        scope = asyncio.timeout(timeout)
        try:
            async with scope:
                return await future
        except TimeoutError:
            if scope.expired():
                raise TimedOut from None
            raise  # (fn's own)

    def close(self) -> None:
        """No more calls; those waiting for a thread are dropped, those under way finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)
