"""Many slow and idle HTTP clients at once, driven from one thread (make soak): each kind sends
its bytes a tick at a time, and a connection the server closes is counted by the status it
answered and replaced."""

from __future__ import annotations

import os
import selectors
import socket
from collections import Counter
from dataclasses import dataclass

_BODY = b"{" + b" " * 4000 + b"}"
_REQUESTS = {
    "idle": b"",
    "headers": b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 4000 + b"\r\n\r\n",
    "body": (b"POST /v1/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             b"Content-Length: " + str(len(_BODY)).encode() + b"\r\n\r\n"),
}


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@dataclass
class _Conn:
    kind: str
    sock: socket.socket
    sent: int = 0
    reply: bytes = b""


class SlowHttpClients:
    """`per_kind` connections of each kind: idle (sends nothing), headers (a header byte a
    tick), body (its headers at once, then a body byte a tick)."""

    def __init__(self, port: int, per_kind: int) -> None:
        self.port = port
        self.selector = selectors.DefaultSelector()
        self.closed_by_status: Counter[str] = Counter()
        self.open = 0
        for kind in _REQUESTS:
            for _ in range(per_kind):
                self._connect(kind)

    def _connect(self, kind: str) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        conn = _Conn(kind, sock)
        if kind == "body":
            sock.sendall(_REQUESTS["body"])
        sock.setblocking(False)
        self.selector.register(sock, selectors.EVENT_READ, conn)
        self.open += 1

    def tick(self, seconds: float) -> None:
        """Wait up to `seconds` for the server to answer or close connections (each one it
        closes is replaced), then send each trickling client's next byte."""
        for key, _ in self.selector.select(seconds):
            conn: _Conn = key.data
            try:
                chunk = conn.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk = b""
            if chunk:
                conn.reply += chunk
                continue
            self._closed(conn)
        for key in list(self.selector.get_map().values()):
            conn = key.data
            data = _BODY if conn.kind == "body" else _REQUESTS[conn.kind]
            if conn.sent < len(data):
                try:
                    conn.sock.send(data[conn.sent:conn.sent + 1])
                    conn.sent += 1
                except OSError:
                    pass

    def _closed(self, conn: _Conn) -> None:
        status = conn.reply.split(b" ", 2)[1].decode() if conn.reply.startswith(b"HTTP/") else "-"
        self.closed_by_status[status] += 1
        self.selector.unregister(conn.sock)
        conn.sock.close()
        self.open -= 1
        self._connect(conn.kind)

    def close(self) -> None:
        for key in list(self.selector.get_map().values()):
            self.selector.unregister(key.fileobj)
            key.data.sock.close()
        self.open = 0
