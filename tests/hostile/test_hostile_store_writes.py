"""Attacks on the audit writes of a live `ftgate serve` over PostgreSQL: names no store can
hold (NUL) must be refused at every door and cost nobody else their record; and when the store
stalls through a shutdown, every answered decision is either stored or counted as dropped."""

from __future__ import annotations

import http.client
import json
import signal
import sqlite3
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


class _HeldStore:
    """The audit store made slow on purpose: a lock held on its table (PostgreSQL) or file
    (SQLite) that the server's writes wait behind until released."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._conn: Any = None

    def count(self) -> int:
        if self.target.startswith("postgresql://"):
            return len(_stored_ids(self.target))
        with sqlite3.connect(f"file:{self.target}?mode=ro", uri=True) as conn:
            return int(conn.execute("SELECT count(*) FROM decisions").fetchone()[0])

    def hold(self) -> None:
        if self.target.startswith("postgresql://"):
            self._conn = psycopg.connect(self.target, connect_timeout=5)
            self._conn.execute("LOCK TABLE decisions IN ACCESS EXCLUSIVE MODE")
        else:
            self._conn = sqlite3.connect(self.target, isolation_level=None)
            self._conn.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        self._conn.rollback() if self.target.startswith("postgresql://") \
            else self._conn.execute("ROLLBACK")
        self._conn.close()


def _events(server: ServerProcess, event: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in server.log().splitlines()
            if f'"event": "{event}"' in line]


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_answered_decisions_are_stored_or_counted_when_the_store_stalls_through_a_stop(
        kind: str, pg: Any, tmp_path: Path) -> None:
    target = pg.new_database() if kind == "postgresql" else str(tmp_path / "decisions.db")
    server = start_server(tmp_path, *single_process(), "--audit-db", target, "--audit-migrate",
                          "--audit-queue", "100", "--grace", "0.5")
    store = _HeldStore(target)
    answered = 0
    with grpc.insecure_channel(server.address) as channel:
        stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
        for i in range(10):
            stub.Evaluate(pb.EvaluateRequest(project=small_profile(i)), timeout=30)
            answered += 1
        wait_until(lambda: store.count() == 10, timeout=30, what="the first 10 stored")
        store.hold()
        try:
            for i in range(300):  # async: answered at once; the queue fills, then drops
                stub.Evaluate(pb.EvaluateRequest(project=small_profile(1000 + i)), timeout=30)
                answered += 1
            server.proc.send_signal(signal.SIGTERM)
            server.proc.wait(120)  # the shutdown is bounded (watchdog): no hang here
        finally:
            store.release()
    stored = store.count()
    closed = _events(server, "audit_closed")
    assert len(closed) == 1, server.log()[-3000:]
    dropped = closed[0]["dropped"]
    assert dropped["queue_full"] > 0 and dropped["shutdown"] > 0, closed
    assert closed[0]["written"] == stored == 10
    assert stored + sum(dropped.values()) == answered == closed[0]["answered"]


@pytest.mark.parametrize("durability", ["async", "sync"])
def test_records_the_store_refuses_are_counted_alone_live(durability: str, pg_url: str,
                                                          tmp_path: Path) -> None:
    """A store that refuses some records (here a CHECK constraint added to its table, for
    names that pass validation): each is logged with its id and counted; the records
    committed with it in its group commit are all stored."""
    server = start_server(tmp_path, *single_process(), "--audit-db", pg_url, "--audit-migrate",
                          "--audit-durability", durability)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE decisions ADD CONSTRAINT refuse_some "
                     "CHECK (project_name NOT LIKE 'refused-%')")
    stored_ok: list[str] = []
    refused: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()

    def caller(t: int) -> None:
        with grpc.insecure_channel(server.address) as channel:
            stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
            for i in range(50):
                name = f"refused-{t}-{i}" if i % 7 == 3 else f"ok-{t}-{i}"
                try:
                    reply = stub.Evaluate(pb.EvaluateRequest(project=fine_tune_profile(name)),
                                          timeout=30)
                except grpc.RpcError as err:
                    sync_refusal = durability == "sync" and name.startswith("refused-") \
                        and err.code() == grpc.StatusCode.UNAVAILABLE
                    with lock:
                        (refused if sync_refusal else failures).append(
                            name if sync_refusal else f"{name}: {err.code()} {err.details()}")
                    continue
                with lock:
                    (refused if name.startswith("refused-") else stored_ok).append(
                        reply.assessment.decision_id)

    threads = [threading.Thread(target=caller, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert server.stop() == 0
    assert failures == []
    assert len(refused) == 6 * 7 and len(stored_ok) == 6 * 43
    assert _stored_ids(pg_url) == set(stored_ok)
    logged = _events(server, "audit_record_refused")
    assert len(logged) == len(refused)
    assert all("refuse_some" in str(e["error"]) for e in logged)
    closed = _events(server, "audit_closed")[0]
    if durability == "async":  # answered, then refused: counted as dropped, by id in the log
        assert {e["decision_id"] for e in logged} == set(refused)
        assert closed["dropped"]["refused"] == len(refused)
        assert closed["answered"] == len(stored_ok) + len(refused)
    else:  # not answered: those calls failed, nothing answered is missing
        assert sum(closed["dropped"].values()) == 0
    assert closed["written"] == len(stored_ok)
