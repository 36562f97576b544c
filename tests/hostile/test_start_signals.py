"""SIGTERM at any point of the start: a stop like any other, exit 0 (not the default death by
signal, 143). Each case waits for a log line of the start-up, then signals at once."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest
from opstools import wait_until
from serverproc import ServerProcess, start_server

CAUGHT = "(SIGTERM caught)"  # the earliest point: the process has a handler for SIGTERM
STARTS = [
    ("1", CAUGHT),
    ("2", CAUGHT),
    ("1", "starting"),  # flags, rules and files checked
    ("1", "http_serving"),  # the HTTP port up, gRPC starting
    ("1", "serving"),
    ("2", "starting"),
    ("2", "worker_started"),  # worker processes starting (their interpreters, their rules)
    ("2", "worker_serving"),
]


def _catches_sigterm(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


def _seen(server: ServerProcess, event: str) -> bool:
    if event == CAUGHT:
        return _catches_sigterm(server.proc.pid)
    for line in server.log().splitlines():
        try:
            if json.loads(line).get("event") == event:
                return True
        except ValueError:
            continue
    return False


@pytest.mark.parametrize(("workers", "event"), STARTS)
def test_sigterm_during_the_start_exits_0(tmp_path: Path, workers: str, event: str) -> None:
    server = start_server(tmp_path, "--workers", workers, wait=False)
    try:
        wait_until(lambda: _seen(server, event) or server.proc.poll() is not None, timeout=60,
                   what=f"log line {event}")
        assert server.proc.poll() is None, server.log()[-2000:]
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(60)
    except subprocess.TimeoutExpired:
        server.stop(signal.SIGKILL)
        raise AssertionError(f"still running:\n{server.log()[-3000:]}") from None
    assert code == 0, server.log()[-3000:]
    assert "Traceback" not in server.log()
