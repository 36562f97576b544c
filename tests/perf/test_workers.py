"""`ftgate serve --workers N`: N processes answer on one port; SIGTERM stops them all, exit 0."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import grpc
import pytest
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from serverproc import start_server

PROFILE = pb.ProjectProfile(name="workers", task_type=pb.TASK_TYPE_CLASSIFICATION,
                            goal=pb.GOAL_FORMAT, quality_examples=50)


def _events(log: str, event: str) -> list[dict[str, object]]:
    found = []
    for line in log.splitlines():
        if line.startswith("{") and f'"event": "{event}"' in line:
            found.append(json.loads(line))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_two_workers_share_the_port_and_stop_on_sigterm(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--workers", "2")
    try:
        # SERVING comes from the first worker up: wait for the second one too.
        deadline = time.monotonic() + 30
        while len(_events(server.log(), "serving")) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        # The kernel spreads connections (not calls) over the workers: one channel per call,
        # each with its own connection.
        for i in range(40):
            options = [("grpc.use_local_subchannel_pool", 1), ("ftgate.test.channel", i)]
            with grpc.insecure_channel(server.address, options=options) as channel:
                reply = pb_grpc.FineTuningAdvisorServiceStub(channel).Evaluate(
                    pb.EvaluateRequest(project=PROFILE), timeout=10)
                assert reply.assessment.verdict == pb.VERDICT_NEEDS_INFORMATION
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            decided = {e["pid"] for e in _events(server.log(), "decision")}
            if len(decided) == 2:
                break
            time.sleep(0.1)
        serving = {e["pid"] for e in _events(server.log(), "serving")}
        assert len(serving) == 2, server.log()
        assert decided == serving, server.log()
        # One /metrics for both workers (prometheus_client multiprocess mode): sums. The
        # workers write their counters every second (obs/deferred.py).
        deadline = time.monotonic() + 30
        while True:
            with urllib.request.urlopen(server.metrics_url, timeout=5) as reply:
                text = reply.read().decode()
            handled = [line for line in text.splitlines()
                       if line.startswith("grpc_server_handled_total{")
                       and 'grpc_method="Evaluate"' in line and 'grpc_code="OK"' in line]
            if handled and float(handled[0].rsplit(" ", 1)[1]) == 40:
                break
            assert time.monotonic() < deadline, text
            time.sleep(0.1)
        assert len(handled) == 1, text
        versions = [line for line in text.splitlines()
                    if line.startswith("ftgate_ruleset_info{")]
        assert len(versions) == 1 and versions[0].endswith(" 1.0"), text
    finally:
        code = server.stop()
    assert code == 0, server.log()
    for pid in serving:
        assert not _alive(int(str(pid))), f"worker {pid} still running"
