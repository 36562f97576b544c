"""server/calls.py: the count of calls in flight that the shutdown waits for."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from ftgate.server.calls import CallsInFlight


def _stream(_request: Any, _context: Any) -> Iterator[int]:
    yield from (1, 2)


def test_a_unary_call_counts_while_it_runs() -> None:
    calls = CallsInFlight()
    seen = []
    handler = calls("/p.S/M", grpc.unary_unary_rpc_method_handler(
        lambda request, context: seen.append(calls.count) or request))
    assert handler.unary_unary(7, None) == 7
    assert seen == [1] and calls.count == 0 and calls.wait_idle(0)


def test_a_stream_counts_until_exhausted_or_dropped() -> None:
    calls = CallsInFlight()
    handler = calls("/p.S/M", grpc.unary_stream_rpc_method_handler(_stream))
    assert list(handler.unary_stream(None, None)) == [1, 2]
    assert calls.count == 0
    dropped = handler.unary_stream(None, None)  # never read: a call cancelled before its answer
    assert calls.count == 1 and not calls.wait_idle(0)
    del dropped
    gc.collect()
    assert calls.count == 0


def test_a_failing_call_is_not_counted_any_more() -> None:
    calls = CallsInFlight()

    def fail(_request: Any, _context: Any) -> Any:
        raise ValueError("bad")

    handler = calls("/p.S/M", grpc.unary_unary_rpc_method_handler(fail))
    with pytest.raises(ValueError):
        handler.unary_unary(None, None)
    assert calls.count == 0
