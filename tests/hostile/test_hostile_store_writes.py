"""Attacks on the audit writes of a live `ftgate serve` over PostgreSQL: names no store can
hold (NUL) must be refused at every door and cost nobody else their record; and when the store
stalls through a shutdown, every answered decision is either stored or counted as dropped."""

from __future__ import annotations

import http.client
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from opstools import fine_tune_profile, single_process, small_profile, wait_until
from serverproc import FTGATE, REPO, ServerProcess, start_server

NUL_NAME = "evil\x00name"
NUL_MESSAGE = "must not contain the NUL character (U+0000)"


def _post(port: int, path: str, body: object) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=json.dumps(body).encode(),
                     headers={"Content-Type": "application/json"})
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read())
    finally:
        conn.close()


def _http_violations(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(v["field"], v["description"]) for d in body["error"].get("details", [])
            for v in d.get("fieldViolations", [])]


def _stored_ids(url: str) -> set[str]:
    with psycopg.connect(url, connect_timeout=5) as conn:
        return {str(r[0]) for r in conn.execute("SELECT decision_id FROM decisions")}


def _violations(err: grpc.RpcError) -> list[tuple[str, str]]:
    status = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert status is not None
    out = []
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            out += [(v.field, v.description) for v in bad.field_violations]
    return out


@pytest.fixture(params=["async", "sync"])
def server(request: pytest.FixtureRequest, pg_url: str,
           tmp_path: Path) -> Iterator[tuple[ServerProcess, str]]:
    proc = start_server(tmp_path, *single_process(), "--audit-db", pg_url, "--audit-migrate",
                        "--audit-durability", request.param)
    yield proc, pg_url
    proc.stop()


def test_nul_names_are_refused_at_every_door_and_cost_no_one_their_record(
        server: tuple[ServerProcess, str]) -> None:
    proc, url = server
    answered: list[str] = []
    failures: list[str] = []
    refused = 0
    lock = threading.Lock()

    def grpc_caller(t: int) -> None:
        nonlocal refused
        with grpc.insecure_channel(proc.address) as channel:
            stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
            for i in range(60):
                if i % 4 == 0:
                    try:
                        stub.Evaluate(pb.EvaluateRequest(
                            project=fine_tune_profile(NUL_NAME)), timeout=30)
                        failures.append("a NUL name was answered")
                    except grpc.RpcError as err:
                        ok = (err.code() == grpc.StatusCode.INVALID_ARGUMENT
                              and tuple(f for f, _ in _violations(err)) == ("project.name", )
                              and NUL_MESSAGE in _violations(err)[0][1])
                        with lock:
                            refused += ok
                            if not ok:
                                failures.append(f"NUL: {err.code()} {err.details()}")
                    continue
                profile = fine_tune_profile(f"t{t}-{i}") if i % 2 else small_profile(t * 100 + i)
                try:
                    reply = stub.Evaluate(pb.EvaluateRequest(project=profile), timeout=30)
                    with lock:
                        answered.append(reply.assessment.decision_id)
                except grpc.RpcError as err:
                    failures.append(f"innocent: {err.code()} {err.details()}")

    def http_caller() -> None:
        nonlocal refused
        assert proc.http_port is not None
        for i in range(40):
            name = NUL_NAME if i % 2 else f"http{i}"
            status, body = _post(proc.http_port, "/v1/evaluate", {"project": {"name": name}})
            if i % 2:
                ok = status == 400 and _http_violations(body)[:1] == [
                    ("project.name", _http_violations(body)[0][1])] \
                    and NUL_MESSAGE in _http_violations(body)[0][1]
                with lock:
                    refused += ok
                    if not ok:
                        failures.append(f"HTTP NUL: {status} {body}")
            elif status == 200:
                with lock:
                    answered.append(body["assessment"]["decisionId"])
            else:
                failures.append(f"HTTP innocent: {status} {body}")

    threads = [threading.Thread(target=grpc_caller, args=(t,)) for t in range(4)]
    threads.append(threading.Thread(target=http_caller))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert refused == 4 * 15 + 20
    assert len(answered) == 4 * 45 + 20
    wait_until(lambda: _stored_ids(url) >= set(answered), timeout=30,
               what="every answered decision stored")
    assert proc.stop() == 0
    assert _stored_ids(url) == set(answered)


def test_the_cli_refuses_a_nul_name_with_exit_2(tmp_path: Path) -> None:
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"name": NUL_NAME, "goal": "GOAL_STYLE"}), encoding="utf-8")
    out = subprocess.run([*FTGATE, "check", str(profile)], capture_output=True, text=True,
                         cwd=REPO, timeout=120)
    assert out.returncode == 2, out.stderr
    assert "name" in out.stderr and NUL_MESSAGE in out.stderr
    assert "Traceback" not in out.stderr
