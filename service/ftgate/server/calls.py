"""Calls in flight, counted where their handlers run: the shutdown has to know whether any call
outlived the grace period (gRPC cancels it, but cannot stop a Python thread that does not look).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from ftgate.server.handlers import parts, with_behavior


class CallsInFlight:
    """A wrapper of server/handlers.py (the outermost): counts the calls whose behaviour runs,
    a streaming answer until its last message is taken or the stream is dropped."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition(threading.Lock())  # (a plain lock: cheaper)

    @property
    def count(self) -> int:
        return self._count

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for no call in flight; whether there is none."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout)

    def _enter(self) -> None:
        with self._changed:
            self._count += 1

    def _leave(self) -> None:
        with self._changed:
            self._count -= 1
            if self._count == 0:
                self._changed.notify_all()

    def __call__(self, method: str, handler: Any) -> Any:
        behavior, _ = parts(handler)
        streams = handler.response_streaming
        enter, leave = self._enter, self._leave

        def counted(request: Any, context: Any) -> Any:
            enter()
            try:
                response = behavior(request, context)
            except BaseException:
                leave()
                raise
            if not streams:
                leave()
                return response
            return _UntilDone(iter(response), leave)

        return with_behavior(handler, counted)


class _UntilDone:
    """The messages of a streaming answer; `leave` is called once, when they are exhausted or
    fail, or when gRPC drops the stream (a cancelled call), taken from or not."""

    __slots__ = ("_leave", "_messages")

    def __init__(self, messages: Iterator[Any], leave: Callable[[], None]) -> None:
        self._messages = messages
        self._leave: Callable[[], None] | None = leave

    def __iter__(self) -> _UntilDone:
        return self

    def __next__(self) -> Any:
        try:
            return next(self._messages)
        except BaseException:
            self._done()
            raise

    def _done(self) -> None:
        leave, self._leave = self._leave, None
        if leave is not None:
            leave()

    def __del__(self) -> None:
        self._done()

