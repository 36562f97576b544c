"""`ftgate serve --workers N` under worker deaths, a stopped worker and a taken port; and the
metrics directory a supervisor killed with SIGKILL leaves behind. Real processes and signals;
every wait polls a condition."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any

import grpc
import pytest
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from opstools import metric, scrape, small_profile, wait_until
from serverproc import ServerProcess, start_server

# Generous: starting a Python worker on a loaded 2-core machine can take many seconds.
TIMEOUT = 120.0


def events(server: ServerProcess, name: str, **fields: Any) -> list[dict[str, Any]]:
    found = []
    for line in server.log().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == name and all(event.get(k) == v for k, v in fields.items()):
            found.append(event)
    return found


def worker_pid(server: ServerProcess, index: int, after: set[int] = frozenset()) -> int | None:
    """The pid of the newest `worker_started` of worker `index` not in `after`."""
    pids = [e["pid"] for e in events(server, "worker_started", worker=index)]
    return pids[-1] if pids and pids[-1] not in after else None


def serving(server: ServerProcess, pid: int) -> bool:
    return bool(events(server, "worker_serving", pid=pid))


def answers(address: str, calls: int) -> bool:
    """`calls` Evaluate calls, each on a new connection (the kernel spreads connections over
    the workers); whether all were answered."""
    for i in range(calls):
        with grpc.insecure_channel(address) as channel:
            stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
            stub.Evaluate(pb.EvaluateRequest(project=small_profile(i)), timeout=10)
    return True


def start_supervisor(tmp_path: Path, *args: str) -> ServerProcess:
    server = start_server(tmp_path, "--workers", "2", *args)
    wait_until(lambda: len(events(server, "worker_serving")) >= 2, timeout=TIMEOUT,
               what="both workers to serve")
    return server


def stop(server: ServerProcess) -> int:
    return server.stop(signal.SIGTERM, timeout=TIMEOUT)


def test_two_worker_deaths_in_quick_succession_keep_the_service_up(tmp_path: Path) -> None:
    server = start_supervisor(tmp_path)
    try:
        first = worker_pid(server, 0)
        assert first is not None
        os.kill(first, signal.SIGKILL)
        second = wait_until(lambda: worker_pid(server, 0, {first}), timeout=TIMEOUT,
                            what="a replacement worker")
        os.kill(second, signal.SIGKILL)  # before it could serve
        # Still served (by worker 1) while worker 0 is replaced again, after a back-off.
        assert server.proc.poll() is None
        assert answers(server.address, 10)
        third = wait_until(lambda: worker_pid(server, 0, {first, second}), timeout=TIMEOUT,
                           what="a second replacement")
        wait_until(lambda: serving(server, third), timeout=TIMEOUT, what="it to serve")
        text = scrape(server)
        assert metric(text, "ftgate_workers", state="serving") == 2
        assert metric(text, "ftgate_worker_restarts_total", reason="exited") == 2
        assert answers(server.address, 10)
        assert stop(server) == 0
    finally:
        server.stop(signal.SIGKILL)
    assert "worker_cannot_start" not in server.log()


@pytest.mark.slow
def test_a_stopped_worker_is_detected_and_replaced(tmp_path: Path) -> None:
    server = start_supervisor(tmp_path)
    stopped = worker_pid(server, 1)
    assert stopped is not None
    try:
        os.kill(stopped, signal.SIGSTOP)
        wait_until(lambda: events(server, "worker_unresponsive", pid=stopped), timeout=TIMEOUT,
                   what="the supervisor to notice the stopped worker")
        replacement = wait_until(lambda: worker_pid(server, 1, {stopped}), timeout=TIMEOUT,
                                 what="its replacement")
        wait_until(lambda: serving(server, replacement), timeout=TIMEOUT, what="it to serve")
        # Every new connection is answered: none lands on a process that does not run.
        assert answers(server.address, 20)
        assert metric(scrape(server), "ftgate_worker_restarts_total", reason="unresponsive") == 1
        assert stop(server) == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(stopped, signal.SIGKILL)
        server.stop(signal.SIGKILL)


def test_a_taken_port_stops_the_start_before_any_worker(tmp_path: Path) -> None:
    """A port no worker could bind is named before the supervisor starts any (the up-front
    check of `serve`, cli/flags.py): exit 2, no worker restarted in a loop."""
    with socket.socket() as taken:  # a listener without SO_REUSEPORT: no worker could bind
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = start_server(tmp_path, "--workers", "2", "--listen", f"127.0.0.1:{port}",
                              wait=False)
        try:
            code = server.proc.wait(TIMEOUT * 2)
        except subprocess.TimeoutExpired:
            server.stop(signal.SIGKILL)
            raise AssertionError(f"still running:\n{server.log()[-3000:]}") from None
    assert code == 2
    assert f"--listen: 127.0.0.1:{port} is already in use" in server.log()
    assert not events(server, "supervising")


def test_metrics_directory_of_a_killed_supervisor_is_removed_by_the_next(
        tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    first = start_supervisor(tmp_path / "a")
    [supervising] = events(first, "supervising")
    left = Path(supervising["metrics_dir"])
    workers = supervising["pids"]
    first.stop(signal.SIGKILL)  # its workers follow it (SIGTERM on their parent's death)
    for pid in workers:
        wait_until(lambda pid=pid: not _running(pid), timeout=TIMEOUT,
                   what="the workers to exit")
    assert left.is_dir()
    (tmp_path / "b").mkdir()
    second = start_supervisor(tmp_path / "b")
    try:
        wait_until(lambda: not left.exists(), timeout=TIMEOUT, what="the stale directory to go")
        mine = Path(events(second, "supervising")[0]["metrics_dir"])
        assert mine.is_dir() and str(second.proc.pid) in mine.name
        assert stop(second) == 0
    finally:
        second.stop(signal.SIGKILL)
    assert not mine.exists()


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1][:1] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False
