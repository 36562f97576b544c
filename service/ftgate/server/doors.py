"""The front doors — the gRPC server and the HTTP listener — as the first piece of the server's
lifecycle (obs/background.py): the first to stop, the last to start.

They are one piece because they drain side by side: on stop both refuse new calls at once and
the calls in flight on either get the same grace (two pieces stopped one after the other would
let gRPC take new calls while HTTP drains, and spend the grace twice). They open HTTP first: a
port that cannot be had fails the start before gRPC serves.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import grpc
import structlog

from ftgate.server.calls import CallsInFlight
from ftgate.server.http.edge import HttpEdge

log = structlog.get_logger("ftgate")
# After the grace, gRPC cancels the calls left: their handlers get this long to return.
CALLS_MARGIN_SECONDS = 3.0


class FrontDoors:
    """The gRPC server (its port bound already) and the HTTP listener (opened by `open_http`
    at start; None: off)."""

    name = "front_doors"

    def __init__(self, server: grpc.Server, calls: CallsInFlight,
                 open_http: Callable[[], HttpEdge | None], grace: float) -> None:
        self.server = server
        self.calls = calls
        self.grace = grace
        self._open_http = open_http
        self.http: HttpEdge | None = None

    def start(self) -> None:
        self.http = self._open_http()
        self.server.start()

    def flush(self) -> None:
        """Nothing is pending: a call answers for itself."""

    def stop(self, timeout: float) -> bool:
        """Refuse new calls and wait for those in flight: the grace, then gRPC cancels them and
        their handlers get CALLS_MARGIN_SECONDS to return (all within `timeout`). False (logged)
        when gRPC did not finish stopping or a handler still runs: those calls are abandoned."""
        grace = min(self.grace, timeout)
        calls_deadline = time.monotonic() + min(grace + CALLS_MARGIN_SECONDS, timeout)
        http = self.http.stop(grace) if self.http else None  # drains beside gRPC
        grpc_stopped = self.server.stop(grace).wait(_left(calls_deadline))
        idle = self.calls.wait_idle(_left(calls_deadline))
        http_stopped = http is None or http.wait(_left(calls_deadline))
        if grpc_stopped and idle and http_stopped:
            return True
        log.error("calls_abandoned", calls=self.calls.count, grpc_stopped=grpc_stopped,
                  http_stopped=http_stopped, grace_seconds=grace,
                  margin_seconds=CALLS_MARGIN_SECONDS)
        return False


def _left(deadline: float) -> float:
    return max(deadline - time.monotonic(), 0.0)
