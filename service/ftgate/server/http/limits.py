"""The HTTP listener's limits, as plain data: the serve options carry them (server/options.py),
the listener enforces them (guard.py). Here, below both, so that the HTTP door imports nothing
from the server that assembles it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConnectionLimits:
    """The HTTP listener's limits (flags --http-max-connections, --http-*-timeout;
    server/http/guard.py)."""

    max_connections: int = 512
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    keepalive_timeout: float = 5.0
