"""Damaged rows in the audit store (bytes that do not decode, text that is not text, JSON
that is not JSON) against a live `ftgate serve` and the real CLI, on SQLite and PostgreSQL:
each damaged row is reported by its id; it never stops a page, an export or a replay."""

from __future__ import annotations

import http.client
import json
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from ftgate.audit import DecisionStore, StoredDecision
from ftgate.audit.stores import check_store, open_store
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from opstools import single_process
from serverproc import FTGATE, REPO, ServerProcess, start_server

GOOD = 40


def _row(i: int, at_us: int) -> StoredDecision:
    name = f"p{i}"
    decision_id = str(uuid.uuid4())
    assessment = pb.Assessment(decision_id=decision_id, project_name=name,
                               verdict=pb.VERDICT_NEEDS_INFORMATION)
    return StoredDecision(decision_id, at_us, "sha256:test", name, "VERDICT_NEEDS_INFORMATION",
                          None, "[]", json.dumps({"name": name}),
                          pb.ProjectProfile(name=name).SerializeToString(),
                          assessment.SerializeToString())


@dataclass
class Seeded:
    target: str  # --audit-db
    good: set[str]
    damaged: set[str]  # unreadable by every reader
    bad_json: set[str]  # readable, but their JSON columns are not JSON (an export skips them)

    @property
    def readable(self) -> set[str]:
        return self.good | self.bad_json


def _seed(target: str) -> Seeded:
    """GOOD good rows, and damaged ones among them: how each store can be damaged."""
    if target.startswith("postgresql://"):
        check_store(target, migrate=True)
    store = open_store(target)
    now = int(time.time() * 1e6)
    rows = [_row(i, now - 1000 * i) for i in range(GOOD + 4)]
    store.insert(rows)
    store.close()
    damaged = [r.decision_id for r in rows[5::10][:4]]
    if target.startswith("postgresql://"):
        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute("UPDATE decisions SET assessment = '\\x0aff'::bytea "
                         "WHERE decision_id = %s", (damaged[0],))
            conn.execute("UPDATE decisions SET project = '\\xffffffff'::bytea "
                         "WHERE decision_id = %s", (damaged[1],))
            conn.execute("UPDATE decisions SET profile_json = 'not json' "
                         "WHERE decision_id = %s", (damaged[2],))
            conn.execute("UPDATE decisions SET findings = '[{' WHERE decision_id = %s",
                         (damaged[3],))
    else:
        with sqlite3.connect(target) as conn:
            conn.execute("UPDATE decisions SET assessment = X'0aff' WHERE decision_id = ?",
                         (damaged[0],))
            conn.execute("UPDATE decisions SET project_name = CAST(X'ff00fe' AS TEXT) "
                         "WHERE decision_id = ?", (damaged[1],))
            conn.execute("UPDATE decisions SET profile_json = X'7b7d' WHERE decision_id = ?",
                         (damaged[2],))
            conn.execute("UPDATE decisions SET project = 'text, not bytes' "
                         "WHERE decision_id = ?", (damaged[3],))
    good = {r.decision_id for r in rows} - set(damaged)
    if target.startswith("postgresql://"):
        return Seeded(target, good, set(damaged[:2]), set(damaged[2:]))
    return Seeded(target, good, set(damaged), set())


@pytest.fixture(params=["sqlite", "postgresql"])
def seeded(request: pytest.FixtureRequest, tmp_path: Path) -> Seeded:
    if request.param == "sqlite":
        return _seed(str(tmp_path / "decisions.db"))
    pg_url: str = request.getfixturevalue("pg_url")
    return _seed(pg_url)


@pytest.fixture
def server(seeded: Seeded, tmp_path: Path) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path, *single_process(), "--audit-db", seeded.target)
    yield proc
    proc.stop()


def _get(port: int, path: str) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read())
    finally:
        conn.close()


def test_pages_skip_damaged_rows_and_get_says_data_loss(seeded: Seeded,
                                                       server: ServerProcess) -> None:
    with grpc.insecure_channel(server.address) as channel:
        stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
        seen: list[str] = []
        request = pb.ListDecisionsRequest(page_size=7)
        while True:
            page = stub.ListDecisions(request, timeout=30)
            seen += [d.decision_id for d in page.decisions]
            if not page.next_page_token:
                break
            request.page_token = page.next_page_token
        assert sorted(seen) == sorted(seeded.readable)
        for decision_id in seeded.damaged:
            with pytest.raises(grpc.RpcError) as err:
                stub.GetDecision(pb.GetDecisionRequest(decision_id=decision_id), timeout=30)
            assert err.value.code() == grpc.StatusCode.DATA_LOSS
            assert decision_id in (err.value.details() or "")
            assert "Error" not in (err.value.details() or "")
        good = next(iter(seeded.readable))
        stub.GetDecision(pb.GetDecisionRequest(decision_id=good), timeout=30)
    assert server.http_port is not None
    status, body = _get(server.http_port, "/v1/decisions?pageSize=500")
    assert status == 200
    assert {d["decisionId"] for d in body["decisions"]} == seeded.readable
    logged = {json.loads(line)["decision_id"] for line in server.log().splitlines()
              if '"event": "audit_record_damaged"' in line}
    assert logged == seeded.damaged


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FTGATE, *args], capture_output=True, text=True, cwd=REPO,
                          timeout=120)


def test_the_cli_reports_damaged_rows_and_goes_on(seeded: Seeded) -> None:
    listed = _cli("decisions", "list", "--db", seeded.target, "--limit", "500",
                  "--output", "json")
    assert listed.returncode == 0, listed.stderr
    assert {d["decisionId"] for d in json.loads(listed.stdout)["decisions"]} == seeded.readable
    for decision_id in seeded.damaged:
        assert decision_id in listed.stderr
    assert "internal error" not in listed.stderr

    for decision_id in seeded.damaged:
        shown = _cli("decisions", "show", decision_id, "--db", seeded.target)
        assert shown.returncode == 2 and "damaged" in shown.stderr, shown.stderr
        assert "Traceback" not in shown.stderr

    for fmt in ("jsonl", "csv"):
        exported = _cli("decisions", "export", "--db", seeded.target, "--since", "30d",
                        "--format", fmt)
        assert exported.returncode == 0, exported.stderr
        lines = exported.stdout.splitlines()
        if fmt == "jsonl":
            assert {json.loads(line)["decision_id"] for line in lines} == seeded.good
        else:
            assert len(lines) == 1 + len(seeded.good)
        assert f"{len(seeded.good)} decisions" in exported.stderr
        skipped = seeded.damaged | seeded.bad_json
        assert f"{len(skipped)} damaged records skipped" in exported.stderr
        for decision_id in skipped:
            assert decision_id in exported.stderr

    replayed = _cli("rules", "replay", "--rules", str(REPO / "rules"), "--audit-db",
                    seeded.target, "--output", "json")
    assert replayed.returncode == 0, replayed.stderr
    report = json.loads(replayed.stdout)
    assert set(report["damaged"]) == seeded.damaged
    assert report["replayed"] + len(report["unreadable"]) == len(seeded.readable)


def test_a_good_store_reads_whole(tmp_path: Path) -> None:
    """(The same rows undamaged: nothing skipped, nothing reported.)"""
    db = tmp_path / "d.db"
    store = DecisionStore(db)
    store.insert([_row(i, 1_000_000 + i) for i in range(5)])
    store.close()
    exported = _cli("decisions", "export", "--db", str(db), "--since", "1970-01-01T00:00:00Z")
    assert exported.returncode == 0 and len(exported.stdout.splitlines()) == 5
    assert "skipped" not in exported.stderr
