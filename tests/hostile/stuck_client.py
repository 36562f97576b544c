"""A raw HTTP/2 client that never reads: its receive window is 0, so the server cannot send a
byte of any answer, and it ignores the server's stream limit (as an attacker would)."""

from __future__ import annotations

import collections
import socket
import time
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

LIST_RULES = "/ftgate.v1.FineTuningAdvisorService/ListRules"
_EMPTY_GRPC_MESSAGE = b"\x00\x00\x00\x00\x00"  # not compressed, length 0: an empty request


@dataclass
class StuckConnection:
    """One connection's streams: `accepted` got the answer's headers, `refused` a reset."""

    sock: socket.socket
    conn: h2.connection.H2Connection
    accepted: set[int] = field(default_factory=set)
    refused: set[int] = field(default_factory=set)
    closed: bool = False
    advertised: int | None = None

    def pump(self, seconds: float) -> None:
        """Take what the server sends for `seconds` (frames only: no window is ever opened)."""
        deadline = time.monotonic() + seconds
        self.sock.settimeout(0.1)
        while not self.closed and time.monotonic() < deadline:
            try:
                data = self.sock.recv(1 << 16)
            except TimeoutError:
                continue
            except OSError:
                data = b""
            if not data:
                self.closed = True
                return
            self._take(data)

    def _take(self, data: bytes) -> None:
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self.closed = True
            return
        for event in events:
            if isinstance(event, h2.events.ResponseReceived):
                self.accepted.add(event.stream_id)
            elif isinstance(event, h2.events.StreamReset):
                self.refused.add(event.stream_id)
            elif isinstance(event, h2.events.RemoteSettingsChanged):
                limit = event.changed_settings.get(h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS)
                if limit is not None:
                    self.advertised = limit.new_value
            elif isinstance(event, h2.events.ConnectionTerminated):
                self.closed = True
        self._send()

    def _send(self) -> None:
        out = self.conn.data_to_send()
        if out:
            try:
                self.sock.sendall(out)
            except OSError:
                self.closed = True


def open_stuck(port: int, streams: int, path: str = LIST_RULES) -> StuckConnection:
    """Connect, exchange settings, then open `streams` calls of `path` and never read."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = h2.connection.H2Connection(
        h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.local_settings = h2.settings.Settings(client=True, initial_values={
        h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0,
        h2.settings.SettingCodes.ENABLE_PUSH: 0})
    conn.initiate_connection()
    stuck = StuckConnection(sock, conn)
    stuck._send()
    deadline = time.monotonic() + 30
    while stuck.advertised is None and not stuck.closed and time.monotonic() < deadline:
        stuck.pump(0.2)
    if stuck.closed:
        return stuck
    # Ignore the server's limit: h2 would otherwise refuse to open more streams itself.
    conn.remote_settings._settings[h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS] = (
        collections.deque([2**31 - 1]))
    headers = [(":method", "POST"), (":scheme", "http"), (":path", path),
               (":authority", f"127.0.0.1:{port}"), ("content-type", "application/grpc"),
               ("te", "trailers")]
    for i in range(streams):
        if stuck.closed:
            break
        stream_id = conn.get_next_available_stream_id()
        conn.send_headers(stream_id, headers)
        conn.send_data(stream_id, _EMPTY_GRPC_MESSAGE, end_stream=True)
        if i % 50 == 49:
            stuck._send()
    stuck._send()
    return stuck
