"""The HTTP listener's connection guard: uvicorn's httptools protocol (llhttp, in C) with read
deadlines, a cap on connections and on the size of a request's head, file descriptors kept for
the rest of the process, and its own errors in the JSON shape of every other HTTP error
(docs/operations.md, "The HTTP listener's limits").

uvicorn offers a keep-alive timeout (kept here) and `limit_concurrency`, which still accepts
every connection and answers 503 only once a request has come: an idle connection is held all
the same. So this subclass closes what uvicorn leaves open:

- a connection whose request headers have not all come `header_timeout` seconds after its first
  byte (or after it was opened, for its first request) is answered 408 and closed, however
  steadily the bytes trickle in (slowloris);
- a request body not all received `body_timeout` seconds after its headers: the same;
- a request whose head (request line and headers) is over MAX_HEAD_BYTES, or that has no Host
  header or more than one (HTTP/1.1 asks for exactly one; llhttp checks neither), is answered
  400 and closed, as bytes that are not HTTP/1.1 are;
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

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ftgate.server.http import metrics
from ftgate.server.http.errors import error_body
from ftgate.server.http.limits import ConnectionLimits

# File descriptors the HTTP listener leaves to gRPC, health checks, the audit store and the
# logs: at least this many, or an eighth of the limit when that is more.
MIN_FD_HEADROOM = 64
# The most a request's head (request line and headers) may take: h11's default, which this
# listener kept before it moved to httptools (llhttp sets no such limit of its own).
MAX_HEAD_BYTES = 16 * 1024
_CLOSED = "closed"
# The deadline that runs while the parser is where it is (guard's _reading; None: the call's own).
_DEADLINE = {"idle": "header", "header": "header", "body": "body", "in": None}


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


def guarded_protocol(limits: ConnectionLimits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol class with `limits` (uvicorn.Config(http=...))."""

    class GuardedHttpProtocol(_Guarded):
        _limits = limits

    return GuardedHttpProtocol


class NotHttp(Exception):
    """What the parser was handed breaks a rule of HTTP/1.1 that it does not check itself (the
    connection is answered 400 and closed: send_400_response)."""


class _Guarded(HttpToolsProtocol):
    _limits: ConnectionLimits

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._phase: str | None = None  # whose deadline runs: "header", "body", None, _CLOSED
        self._phase_timer: asyncio.TimerHandle | None = None
        # Where the parser is: "idle" (no byte of a request yet), "header" (in a request's
        # head), "body" (in its body) or "in" (the request is all in).
        self._reading = "idle"
        self._requests = self._answered = 0  # requests begun and answered on this connection
        # Two lower bounds of the size of the current request's head: its parts the parser has
        # handed over, and the reads that fell wholly within it.
        self._head_parts = self._head_reads = 0
        self._hosts = 0  # Host headers of the current request

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
        was, begun = self._reading, self._requests
        self._feed(data)
        if self._phase == _CLOSED or self.transport.is_closing():
            return
        if self._reading == "header":
            # A head not yet complete, which the parser keeps (a header's value is handed
            # over once it ends): counted here when all of `data` is known to belong to it.
            if was == "header" and begun == self._requests:
                self._head_reads += len(data)
            elif was in ("idle", "in") and begun + 1 == self._requests:
                self._head_reads = len(data)  # (it begins with the request)
            if self._head_reads > MAX_HEAD_BYTES:
                self.send_400_response("request head too large")
                return
        # Bytes that begin no request yet (blank lines) start the header deadline all the same.
        self._enter(_DEADLINE[self._reading])

    def _feed(self, data: bytes) -> None:
        """uvicorn's data_received, but for an Upgrade header (`Upgrade: h2c`, which curl
        sends with --http2): no protocol is switched to here, so the request was answered in
        HTTP/1.1 and the bytes after it are HTTP/1.1 too (RFC 9110, 7.8). uvicorn dropped
        them (a pipelined request was never answered) and logged two warnings a request."""
        self._unset_keepalive_if_required()
        while data:
            try:
                self.parser.feed_data(data)
                return
            except httptools.HttpParserUpgrade as exc:  # (the parser has resumed already)
                data = data[int(exc.args[0]):]
            except httptools.HttpParserError:
                msg = "Invalid HTTP request received."
                self.logger.warning(msg)
                self.send_400_response(msg)
                return

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading = "header"
        self._requests += 1
        self._head_parts = self._head_reads = self._hosts = 0

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)
        if len(name) == 4 and name.lower() == b"host":
            self._hosts += 1
            if self._hosts > 1:
                raise NotHttp("more than one Host header")
        super().on_header(name, value)

    def _count_head(self, size: int) -> None:
        self._head_parts += size
        if self._head_parts > MAX_HEAD_BYTES:
            raise NotHttp("request head too large")

    def on_headers_complete(self) -> None:
        if not self._hosts and self.parser.get_http_version() == "1.1":
            raise NotHttp("no Host header")  # (RFC 9112, section 3.2)
        self._reading = "body"
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._reading = "in"
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self._answered += 1
        super().on_response_complete()
        if self._phase == _CLOSED or self.transport.is_closing():
            return
        if self._reading == "in" and self._answered >= self._requests:
            self._reading = "idle"
            self._enter(None)  # uvicorn's keep-alive timeout runs now
        else:
            self._enter(_DEADLINE[self._reading])  # the next request's, begun meanwhile

    def _enter(self, phase: str | None) -> None:
        if phase == self._phase:
            return
        if self._phase_timer is not None:
            self._phase_timer.cancel()
            self._phase_timer = None
        self._phase = phase
        if phase == "header":
            self._phase_timer = self.loop.call_later(self._limits.header_timeout,
                                                     self._expired, phase)
        elif phase == "body":
            self._phase_timer = self.loop.call_later(self._limits.body_timeout,
                                                     self._expired, phase)

    def _expired(self, phase: str) -> None:
        self._phase_timer = None
        if self.transport.is_closing():
            return
        metrics.CONNECTIONS_TIMED_OUT.labels(phase).inc()
        what = "request headers" if phase == "header" else "request body"
        seconds = self._limits.header_timeout if phase == "header" else self._limits.body_timeout
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.response_started:
            self.transport.write(raw_error(
                408, "Request Timeout", "DEADLINE_EXCEEDED",
                f"the {what} did not arrive within {seconds:g} s"))
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the call reading the body sees the client gone
            cycle.message_event.set()
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
