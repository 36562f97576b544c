"""Raw HTTP/1.1 clients of the attack tests: idle, trickling, malformed; each waits for the
server's answer or its close by polling the socket, never by sleeping a fixed time."""

from __future__ import annotations

import json
import select
import socket
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class Closed:
    """What the server sent before closing the connection, and how much of ours it took."""

    reply: bytes
    sent: int

    @property
    def status(self) -> int:
        return int(self.reply.split(b" ", 2)[1]) if self.reply.startswith(b"HTTP/1.1 ") else 0

    @property
    def headers(self) -> str:
        return self.reply.partition(b"\r\n\r\n")[0].decode("latin-1").lower()

    def json(self) -> Any:
        return json.loads(self.reply.partition(b"\r\n\r\n")[2])


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def _read_to_close(sock: socket.socket, deadline: float) -> bytes:
    reply = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], max(deadline - time.monotonic(), 0))
        if not ready:
            break
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            return reply
        reply += chunk
    raise AssertionError(f"the server did not close the connection (got {reply[:200]!r})")


def trickle(sock: socket.socket, data: bytes, every: float, timeout: float = 60) -> Closed:
    """Send `data` a byte at a time, one each `every` seconds unless the server answers or
    closes first (the wait for the next byte is a wait for the socket to become readable);
    what it sent back. Fails when all of `data` went out and the server still holds on."""
    deadline = time.monotonic() + timeout
    for sent in range(len(data)):
        ready, _, _ = select.select([sock], [], [], every)
        if ready:
            return Closed(_read_to_close(sock, deadline), sent)
        try:
            sock.sendall(data[sent:sent + 1])
        except (BrokenPipeError, ConnectionResetError):
            return Closed(b"", sent)
    return Closed(_read_to_close(sock, deadline), len(data))


def wait_closed(sock: socket.socket, timeout: float = 60) -> Closed:
    """Wait, sending nothing, for the server to close the connection; what it sent first."""
    return Closed(_read_to_close(sock, time.monotonic() + timeout), 0)
