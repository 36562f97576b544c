"""A small HTTP client for the tests: one request over a real socket, the answer parsed."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from typing import Any


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def violations(self) -> list[tuple[str, str]]:
        details = self.json["error"].get("details", [])
        return [(v["field"], v["description"]) for d in details for v in d["fieldViolations"]]


def call(port: int, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
         headers: dict[str, str] | None = None, context: ssl.SSLContext | None = None,
         timeout: float = 30) -> Reply:
    """`body` is sent as JSON (Content-Type application/json); `raw` as it is."""
    send = dict(headers or {})
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        send.setdefault("Content-Type", "application/json")
    conn: http.client.HTTPConnection = (
        http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context)
        if context else http.client.HTTPConnection("127.0.0.1", port, timeout=timeout))
    try:
        conn.request(method, path, body=data, headers=send)
        response = conn.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()},
                     response.read())
    finally:
        conn.close()


def held_call(port: int, path: str = "/v1/evaluate", body: bytes = b'{"project": {}}',
              ) -> tuple[socket.socket, bytes]:
    """Start a POST whose body is not all sent: the call stays in flight until the test sends
    the rest (the returned bytes) on the returned socket."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    sock.sendall(head + body[:1])
    return sock, body[1:]


def finish_held(sock: socket.socket, rest: bytes) -> int:
    """Send the rest of a held call's body; its HTTP status."""
    with sock:
        sock.sendall(rest)
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ", 2)[1])
