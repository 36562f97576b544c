"""The HTTP listener's connection guard: uvicorn's h11 protocol with read deadlines, a cap on
connections, file descriptors kept for the rest of the process, and its own errors in the JSON
shape of every other HTTP error (docs/operations.md, "The HTTP listener's limits").

uvicorn offers a keep-alive timeout (kept here) and `limit_concurrency`, which still accepts
every connection and answers 503 only once a request has come: an idle connection is held all
the same. So this subclass closes what uvicorn leaves open:

- a connection whose request headers have not all come `header_timeout` seconds after its first
  byte (or after it was opened, for its first request) is answered 408 and closed, however
  steadily the bytes trickle in (slowloris);
- a request body not all received `body_timeout` seconds after its headers: the same;
- beyond `max_connections` open connections, or when the new connection's file descriptor is
  within the headroom of the process's limit (GuardedListener), the connection is answered 503
  and closed at once.

Each is counted (server/http/metrics.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import socket
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from ftgate.server.http import metrics
from ftgate.server.http.errors import error_body
from ftgate.server.http.limits import ConnectionLimits

# File descriptors the HTTP listener leaves to gRPC, health checks, the audit store and the
# logs: at least this many, or an eighth of the limit when that is more.
MIN_FD_HEADROOM = 64
_CLOSED = "closed"


def fd_ceiling() -> int:
    """The highest file descriptor number an HTTP connection may take: the soft limit less the
    headroom. (The kernel hands out the lowest free number, so a connection given a number at
    or above this one means that many descriptors are already open.)"""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 30
    return max(soft - max(MIN_FD_HEADROOM, soft // 8), 0)


def raw_error(status: int, reason: str, code: str, message: str) -> bytes:
    """A complete HTTP/1.1 error response that closes the connection, with the JSON body of
    server/http/errors.py."""
    body = json.dumps(error_body(status, code, message)).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")
    return head.encode("ascii") + body


_TOO_MANY = raw_error(503, "Service Unavailable", "UNAVAILABLE",
                     "too many HTTP connections are open; try again later")


class GuardedListener(socket.socket):
    """The listening socket: a connection accepted with a descriptor at or above fd_ceiling()
    is answered 503 and closed at once, before the event loop builds anything for it.

    Here and not in the protocol: the event loop accepts connections by the hundred before any
    protocol sees one, and each holds a descriptor meanwhile."""

    def accept(self) -> tuple[socket.socket, Any]:
        conn, address = super().accept()
        if conn.fileno() < fd_ceiling():
            return conn, address
        metrics.CONNECTIONS_REFUSED.labels("file_descriptors").inc()
        conn.setblocking(False)
        with contextlib.suppress(OSError):  # a few hundred bytes into an empty send buffer
            conn.send(_TOO_MANY)
        conn.close()
        # The event loop's way to stop accepting until the listener is readable again.
        raise ConnectionAbortedError


def guarded_protocol(limits: ConnectionLimits) -> type[H11Protocol]:
    """uvicorn's h11 protocol class with `limits` (uvicorn.Config(http=...))."""

    class GuardedH11Protocol(_Guarded):
        _limits = limits

    return GuardedH11Protocol


class _Guarded(H11Protocol):
    _limits: ConnectionLimits

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._phase: str | None = None
        self._phase_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        reason = self._refusal()
        if reason is not None:
            self._phase = _CLOSED
            metrics.CONNECTIONS_REFUSED.labels(reason).inc()
            transport.write(_TOO_MANY)
            transport.close()
            return
        metrics.CONNECTIONS_OPEN.inc()
        self._enter("header")  # the first request's headers are awaited from the start

    def _refusal(self) -> str | None:
        if len(self.connections) > self._limits.max_connections:  # (this one included)
            return "max_connections"
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._phase != _CLOSED:
            metrics.CONNECTIONS_OPEN.dec()
            self._enter(_CLOSED)  # (cancels the deadline)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow(after_response=False)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow(after_response=True)

    def _follow(self, after_response: bool) -> None:
        """The deadline of what the connection waits for now: the headers of a request that has
        begun, its body, or none (idle between requests: uvicorn's keep-alive timeout; or the
        request is in: the call's own deadline)."""
        if self._phase == _CLOSED or self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            phase = None if after_response else (self._phase or "header")
        else:
            phase = "body" if state is h11.SEND_BODY else None
        self._enter(phase)

    def _enter(self, phase: str | None) -> None:
        if phase == self._phase:
            return
        if self._phase_timer is not None:
            self._phase_timer.cancel()
            self._phase_timer = None
        self._phase = phase
        seconds = {"header": self._limits.header_timeout,
                   "body": self._limits.body_timeout}.get(phase or "")
        if seconds and phase:
            self._phase_timer = self.loop.call_later(seconds, self._expired, phase)

    def _expired(self, phase: str) -> None:
        self._phase_timer = None
        if self.transport.is_closing():
            return
        metrics.CONNECTIONS_TIMED_OUT.labels(phase).inc()
        what = "request headers" if phase == "header" else "request body"
        seconds = self._limits.header_timeout if phase == "header" else self._limits.body_timeout
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(raw_error(
                408, "Request Timeout", "DEADLINE_EXCEEDED",
                f"the {what} did not arrive within {seconds:g} s"))
        if self.cycle is not None:  # the call reading the body sees the client gone
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.close()

    def timeout_keep_alive_handler(self) -> None:
        if not self.transport.is_closing():
            metrics.CONNECTIONS_TIMED_OUT.labels("keepalive").inc()
        super().timeout_keep_alive_handler()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to bytes that are not HTTP/1.1, in the JSON error shape."""
        metrics.MALFORMED.inc()
        self.transport.write(raw_error(400, "Bad Request", "INVALID_ARGUMENT",
                                       "the request is not valid HTTP/1.1"))
        self.transport.close()
