"""Free loopback ports for servers a test starts, safe under pytest-xdist.

A port is chosen here and bound later by the server process. Ports the kernel hands out for
`bind(("127.0.0.1", 0))` come from the ephemeral range shared by every process, so two xdist
workers could be handed the same port in that window. Each worker (PYTEST_XDIST_WORKER=gwN)
therefore takes its ports from a band of its own below the ephemeral range (20000 + 1000·N);
a single process (no xdist) keeps asking the kernel.
"""

from __future__ import annotations

import os
import random
import socket

_BAND_START, _BAND_SIZE, _BANDS = 20_000, 1_000, 12  # 20000-31999, under Linux's 32768-60999


def _band() -> range | None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or not worker[2:].isdigit():
        return None
    start = _BAND_START + (int(worker[2:]) % _BANDS) * _BAND_SIZE
    return range(start, start + _BAND_SIZE)


def _bind(sock: socket.socket, band: range | None) -> None:
    if band is None:
        sock.bind(("127.0.0.1", 0))
        return
    for port in random.sample(band, len(band)):
        try:
            sock.bind(("127.0.0.1", port))
            return
        except OSError:
            continue
    raise OSError(f"no free port in {band.start}-{band.stop - 1} for xdist worker "
                  f"{os.environ.get('PYTEST_XDIST_WORKER')}")


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports (all held open while they are chosen: the kernel may hand
    a port just closed out again)."""
    band = _band()
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            sockets.append(s)
            _bind(s, band)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def free_port() -> int:
    return free_ports(1)[0]
