"""Replicas on one PostgreSQL audit store, against real servers and a real PostgreSQL: reads
across replicas, kill -9 in sync mode, PostgreSQL stopped under load in both modes."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import grpc
import pytest
from fleettools import Burst, metric, profile, scrape, stored_ids, stub, wait_until
from ftgate.v1 import advisor_pb2 as pb
from pgcluster import PgCluster
from serverproc import FTGATE, REPO, start_server

pytestmark = pytest.mark.slow
ONE = ("--workers", "1")


def test_two_replicas_read_each_others_decisions(tmp_path: Path, pg_url: str) -> None:
    a = start_server(tmp_path, "--audit-db", pg_url, "--audit-migrate", *ONE)
    b = start_server(tmp_path, "--audit-db", pg_url, "--audit-migrate", *ONE)
    try:
        sa, sb = stub(a.address), stub(b.address)
        made = {}
        for i in range(30):
            server = sa if i % 2 else sb
            reply = server.Evaluate(pb.EvaluateRequest(project=profile(i)), timeout=30)
            made[reply.assessment.decision_id] = reply.assessment.verdict
        # Each replica finds every decision, including the other's (written a batch later).
        for reader in (sa, sb):
            for decision_id, verdict in made.items():
                record = wait_until(lambda r=reader, d=decision_id: _get(r, d), timeout=30,
                                    what=f"decision {decision_id} readable")
                assert record.assessment.verdict == verdict
        # Pages with a filter, walked across replicas: a token of one works on the other.
        want = {d for d, v in made.items() if v == pb.VERDICT_FINE_TUNE}
        request = pb.ListDecisionsRequest(verdict=pb.VERDICT_FINE_TUNE, page_size=3)
        seen: list[str] = []
        for turn in range(100):
            page = (sa if turn % 2 else sb).ListDecisions(request, timeout=30)
            seen += [r.decision_id for r in page.decisions]
            assert all(r.assessment.verdict == pb.VERDICT_FINE_TUNE for r in page.decisions)
            if not page.next_page_token:
                break
            request.page_token = page.next_page_token
        assert sorted(seen) == sorted(want) and len(want) == 10
        # The CLI, through either replica or straight from the store.
        some = next(iter(want))
        shown = _ftgate("decisions", "show", some, "--server", a.address, "--output", "json")
        assert shown.returncode == 0 and some in shown.stdout
        listed = _ftgate("decisions", "list", "--db", pg_url, "--verdict", "fine-tune",
                         "--limit", "50")
        assert listed.returncode == 0
        assert {line.split()[1] for line in listed.stdout.splitlines()} == want
    finally:
        a.stop()
        b.stop()


def _ftgate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FTGATE, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def _get(s: object, decision_id: str) -> pb.DecisionRecord | None:
    try:
        return s.GetDecision(pb.GetDecisionRequest(decision_id=decision_id),  # type: ignore[attr-defined]
                             timeout=30).decision
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_kill_9_in_sync_mode_loses_no_answered_decision(tmp_path: Path, pg_url: str,
                                                        backend: str) -> None:
    db = pg_url if backend == "postgresql" else str(tmp_path / "audit.db")
    server = start_server(tmp_path, "--audit-db", db, "--audit-durability", "sync",
                          *(("--audit-migrate",) if backend == "postgresql" else ()), *ONE)
    burst = Burst(server.address, threads=8).start()
    try:
        wait_until(lambda: burst.answered() >= 150, timeout=120, what="150 calls answered")
        server.proc.send_signal(signal.SIGKILL)  # in the middle of the burst
        server.proc.wait(30)
    finally:
        burst.stop()
        server.stop()
    answered = set(burst.ok)
    missing = answered - _stored(db)
    assert len(answered) >= 150
    assert not missing, f"{len(missing)} decisions answered OK but not in the store"


def test_postgresql_down_in_async_mode_answers_counts_drops_and_resumes(
        tmp_path: Path, own_pg: PgCluster) -> None:
    url = own_pg.new_database()
    server = start_server(tmp_path, "--audit-db", url, "--audit-migrate", "--audit-queue", "40",
                          *ONE)
    s = stub(server.address)
    try:
        first = [s.Evaluate(pb.EvaluateRequest(project=profile(i)), timeout=30)
                 .assessment.decision_id for i in range(10)]
        wait_until(lambda: set(first) <= stored_ids(url), timeout=30, what="first rows")
        own_pg.stop()
        during = [s.Evaluate(pb.EvaluateRequest(project=profile(i)), timeout=30)
                  .assessment.decision_id for i in range(120)]  # every call answered
        text = wait_until(lambda: _when_dropped(scrape(server)), timeout=30,
                          what="drops counted")
        assert metric(text, "ftgate_audit_store_up") == 0
        wait_until(lambda: "audit_store_unavailable" in server.log(), what="outage logged")
        with pytest.raises(grpc.RpcError) as unreadable:  # reads fail clearly meanwhile
            s.GetDecision(pb.GetDecisionRequest(decision_id=first[0]), timeout=30)
        assert unreadable.value.code() == grpc.StatusCode.UNAVAILABLE
        own_pg.start()
        wait_until(lambda: "audit_reconnected" in server.log(), timeout=60,
                   what="the writer back on PostgreSQL")
        # The queue drains (new calls meanwhile may still find it full: dropped, counted).
        wait_until(lambda: metric(scrape(server), "ftgate_audit_queue_depth") == 0
                   and metric(scrape(server), "ftgate_audit_store_up") == 1, timeout=60,
                   what="the backlog written")
        after = [s.Evaluate(pb.EvaluateRequest(project=profile(i)), timeout=30)
                 .assessment.decision_id for i in range(10)]
        wait_until(lambda: set(after) <= stored_ids(url), timeout=30, what="rows after restart")
        text = scrape(server)
        dropped = metric(text, "ftgate_audit_dropped_total", reason="queue_full")
        stored = stored_ids(url)
        # Every answered decision is either stored or counted as dropped; none vanished.
        answered = set(first) | set(during) | set(after)
        assert len(answered - stored) == dropped > 0
        assert metric(text, "ftgate_audit_store_up") == 1
    finally:
        server.stop()


def test_postgresql_down_in_sync_mode_is_unavailable_never_unrecorded(
        tmp_path: Path, own_pg: PgCluster) -> None:
    url = own_pg.new_database()
    server = start_server(tmp_path, "--audit-db", url, "--audit-migrate",
                          "--audit-durability", "sync", *ONE)
    s = stub(server.address)
    try:
        burst = Burst(server.address, threads=4).start()
        wait_until(lambda: burst.answered() >= 30, timeout=60, what="calls answered")
        own_pg.stop()
        wait_until(lambda: burst.failed.get("UNAVAILABLE", 0) >= 20, timeout=60,
                   what="calls refused UNAVAILABLE")
        with pytest.raises(grpc.RpcError) as refused:
            s.Evaluate(pb.EvaluateRequest(project=profile(1)), timeout=30)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "could not be recorded" in str(refused.value.details())
        own_pg.start()
        wait_until(lambda: "audit_reconnected" in server.log(), timeout=60,
                   what="the writer back on PostgreSQL")
        wait_until(lambda: _answers(s), timeout=30, what="calls answered again")
        burst.stop()
        unrecorded = set(burst.ok) - stored_ids(url)
        assert not unrecorded, f"{len(unrecorded)} answered OK without a record"
        assert set(burst.failed) <= {"UNAVAILABLE"}
    finally:
        server.stop()


def _stored(db: str) -> set[str]:
    if db.startswith("postgresql://"):
        return stored_ids(db)
    from ftgate.audit import DecisionStore

    return {r.decision_id for r in DecisionStore(db, readonly=True).scan()}


def _when_dropped(text: str) -> str | None:
    return text if metric(text, "ftgate_audit_dropped_total", reason="queue_full") > 0 else None


def _answers(s: object) -> bool:
    try:
        s.Evaluate(pb.EvaluateRequest(project=profile(0)), timeout=30)  # type: ignore[attr-defined]
        return True
    except grpc.RpcError:
        return False
