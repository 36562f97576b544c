"""Calls in flight, counted where their handlers run: the shutdown has to know whether any call
outlived the grace period (gRPC cancels it, but cannot stop a Python thread that does not look).

Also the one test hook of the server: with FTGATE_TEST_STALL_METHOD set to a method's full
name ("/package.Service/Method"), that method's calls block until the process ends, ignoring
cancellation, so that tests can check that a shutdown stays bounded whatever a call does.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

from ftgate.server.handlers import parts, with_behavior

STALL_ENV = "FTGATE_TEST_STALL_METHOD"


class CallsInFlight:
    """A wrapper of server/handlers.py (the outermost): counts the calls whose behaviour runs,
    a streaming answer until its last message is taken or the stream is dropped."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

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
            return _until_done(response, leave)

        return with_behavior(handler, counted)


def _until_done(messages: Iterator[Any], leave: Any) -> Iterator[Any]:
    try:
        yield from messages
    finally:  # exhausted, failed, or closed (dropped by gRPC when the call was cancelled)
        leave()


def stall_for_tests(method: str, handler: Any) -> Any:
    """A wrapper: the method named by FTGATE_TEST_STALL_METHOD never returns."""
    if os.environ.get(STALL_ENV) != method:
        return handler

    def stalled(_request: Any, _context: Any) -> Any:
        threading.Event().wait()  # for good: no deadline or cancellation ends it

    return with_behavior(handler, stalled)
