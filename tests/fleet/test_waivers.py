"""Waivers shared by replicas through PostgreSQL: two `ftgate serve` on one database, a waiver
granted on one honoured by the other within its refresh bound (polled), revoked on one and
refused again by the other; the replica without --waiver-tokens refuses writes but honours what
the store holds. And an SQLite log of schema 2 (before waivers) gains the waivers table."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from fleettools import fine_tune_profile, stub, wait_until
from ftgate.v1 import advisor_pb2 as pb
from serverproc import FTGATE, REPO, ServerProcess, start_server

TOKEN = "replica-waiver-token"
PROJECT = "shared-low-volume"
REFRESH_BOUND = 5.0  # api/waiver_book.py: REFRESH_SECONDS


def _blocked(name: str = PROJECT) -> pb.ProjectProfile:
    """Refused at the ROI step (too few requests a day)."""
    return fine_tune_profile(name, requests_per_day=2_000)


@pytest.fixture
def replicas(pg_url: str, tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    tokens = tmp_path / "waiver-tokens"
    tokens.write_text(TOKEN + "\n", encoding="utf-8")
    a = start_server(tmp_path, "--audit-db", pg_url, "--audit-migrate", "--workers", "1",
                     "--waiver-tokens", str(tokens))
    b = start_server(tmp_path, "--audit-db", pg_url, "--workers", "1")
    try:
        yield a, b
    finally:
        assert a.stop() == 0 and b.stop() == 0


def _verdict(server: ServerProcess, name: str = PROJECT) -> pb.Assessment:
    return stub(server.address).Evaluate(pb.EvaluateRequest(project=_blocked(name)),
                                         timeout=30).assessment


def test_a_waiver_granted_on_one_replica_is_honoured_by_the_other(
        replicas: tuple[ServerProcess, ServerProcess]) -> None:
    a, b = replicas
    first = _verdict(b)
    assert first.verdict == pb.VERDICT_DO_NOT_FINE_TUNE
    rules = [f.rule_id for f in first.findings if f.severity == pb.SEVERITY_BLOCKER]
    waiver = pb.Waiver(project_name=PROJECT, rule_ids=rules, reason="migration window",
                       approved_by="platform lead")
    waiver.expires_at.FromDatetime(datetime.now(UTC) + timedelta(days=2))
    # The replica without --waiver-tokens refuses writes.
    with pytest.raises(grpc.RpcError) as caught:
        stub(b.address).GrantWaiver(pb.GrantWaiverRequest(waiver=waiver), timeout=30,
                                    metadata=[("ftgate-waiver-token", TOKEN)])
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    granted = stub(a.address).GrantWaiver(pb.GrantWaiverRequest(waiver=waiver), timeout=30,
                                          metadata=[("ftgate-waiver-token", TOKEN)]).waiver
    assert _verdict(a).verdict == pb.VERDICT_FINE_TUNE  # the granting replica: at once
    honoured = wait_until(lambda: (d := _verdict(b)).verdict == pb.VERDICT_FINE_TUNE and d,
                          timeout=REFRESH_BOUND * 6, what="replica b honouring the waiver")
    assert [w.id for w in honoured.waivers_applied] == [granted.id]
    assert {f.rule_id for f in honoured.findings if f.waiver_id == granted.id} == set(rules)
    assert _verdict(b, f"{PROJECT}-other").verdict == pb.VERDICT_DO_NOT_FINE_TUNE
    listed = stub(b.address).ListWaivers(pb.ListWaiversRequest(state=pb.WAIVER_STATE_ACTIVE),
                                         timeout=30)
    assert [w.id for w in listed.waivers] == [granted.id]
    stub(a.address).RevokeWaiver(pb.RevokeWaiverRequest(waiver_id=granted.id), timeout=30,
                                 metadata=[("ftgate-waiver-token", TOKEN)])
    assert _verdict(a).verdict == pb.VERDICT_DO_NOT_FINE_TUNE
    wait_until(lambda: _verdict(b).verdict == pb.VERDICT_DO_NOT_FINE_TUNE,
               timeout=REFRESH_BOUND * 6, what="replica b dropping the revoked waiver")


def test_cli_grant_straight_into_postgresql_is_honoured(
        replicas: tuple[ServerProcess, ServerProcess], pg_url: str) -> None:
    _, b = replicas
    run = subprocess.run([*FTGATE, "waivers", "grant", "--project", PROJECT, "--rule",
                          "FM6.low-volume", "--reason", "pilot", "--approved-by", "cto",
                          "--expires", "3d", "--audit-db", pg_url], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    wait_until(lambda: _verdict(b).verdict == pb.VERDICT_FINE_TUNE,
               timeout=REFRESH_BOUND * 6, what="the waiver written into the store honoured")


def test_an_sqlite_log_of_schema_2_gains_the_waivers_table(tmp_path: Path) -> None:
    from ftgate.audit.database import SCHEMA_VERSION

    db = tmp_path / "old.db"
    server = start_server(tmp_path, "--audit-db", str(db), "--audit-durability", "sync",
                          "--workers", "1")
    try:
        decision = _verdict(server).decision_id
    finally:
        assert server.stop() == 0
    with sqlite3.connect(db) as conn:  # as the previous ftgate left it
        conn.execute("DROP TABLE waivers")
        conn.execute("PRAGMA user_version=2")
    conn.close()
    listed = subprocess.run([*FTGATE, "waivers", "list", "--audit-db", str(db)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and "no waiver" in listed.stdout, listed.stderr
    server = start_server(tmp_path, "--audit-db", str(db), "--workers", "1")
    assert server.stop() == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT count(*) FROM waivers").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM decisions WHERE decision_id = ?",
                            (decision,)).fetchone()[0] == 1
    conn.close()


def test_sighup_rereads_the_waiver_tokens(tmp_path: Path) -> None:
    import signal

    tokens = tmp_path / "waiver-tokens"
    tokens.write_text("old-token\n", encoding="utf-8")
    server = start_server(tmp_path, "--audit-db", str(tmp_path / "audit.db"), "--workers", "1",
                          "--waiver-tokens", str(tokens))
    waiver = pb.Waiver(project_name=PROJECT, rule_ids=["FM6.low-volume"], reason="r",
                       approved_by="me")
    waiver.expires_at.FromDatetime(datetime.now(UTC) + timedelta(days=1))

    def grant(token: str) -> grpc.StatusCode:
        try:
            stub(server.address).GrantWaiver(pb.GrantWaiverRequest(waiver=waiver), timeout=30,
                                             metadata=[("ftgate-waiver-token", token)])
        except grpc.RpcError as exc:
            return exc.code()  # type: ignore[no-any-return]
        return grpc.StatusCode.OK

    try:
        assert grant("old-token") == grpc.StatusCode.OK
        assert grant("new-token") == grpc.StatusCode.PERMISSION_DENIED
        tokens.write_text("new-token\n", encoding="utf-8")
        server.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: grant("new-token") == grpc.StatusCode.OK, 30,
                   what="the new waiver token accepted after SIGHUP")
        assert grant("old-token") == grpc.StatusCode.PERMISSION_DENIED
    finally:
        assert server.stop() == 0
