"""One record a store refuses never takes its batch with it (real PostgreSQL, and SQLite).

The records here bypass the request validation (which refuses such names at every door): they
stand for any value a store cannot hold."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from ftgate.audit import AuditLog, DecisionEntry, DecisionStore
from ftgate.audit.backend import AuditStore
from ftgate.audit.errors import AuditUnavailable
from ftgate.audit.postgres import PostgresStore
from ftgate.audit.stores import check_store
from ftgate.domain.profile import Profile
from ftgate.engine import Engine
from ftgate.v1 import advisor_pb2 as pb
from serverproc import REPO
from structlog.testing import capture_logs

_ENGINE = Engine(REPO / "rules")
BAD_NAME = "nul\x00name"


def _entry(name: str) -> DecisionEntry:
    """A decision about a project of this name (NEEDS_INFORMATION); the messages (and the
    decision, which the writer encodes as one) carry it only where protobuf can hold it (not a
    lone surrogate): the validated profile (its JSON copy) carries it always."""
    wire_name = name if name.isprintable() or "\x00" in name else "unencodable"
    return DecisionEntry(time.time(), str(uuid.uuid4()), pb.ProjectProfile(name=wire_name),
                         Profile(name=name), _ENGINE.decide(Profile(name=wire_name)))


def _pg(pg_url: str) -> PostgresStore:
    check_store(pg_url, migrate=True)
    return PostgresStore(pg_url)


def _stored_names(store: AuditStore) -> list[str]:
    return sorted(r.project_name for r in store.scan())


def test_async_one_refused_record_is_counted_and_the_batch_is_stored(pg_url: str) -> None:
    log = AuditLog(_pg(pg_url), batch_size=500)
    entries = [_entry(f"ok{i:02}") for i in range(30)]
    bad = _entry(BAD_NAME)
    entries.insert(11, bad)
    for e in entries:  # all queued before the writer starts: one batch
        assert log.record(e)
    with capture_logs() as logs:
        log.start()
        log.close()
    assert log.ledger.written_total == 30
    assert dict(log.ledger.dropped_total) == {"refused": 1}
    refused = [e for e in logs if e["event"] == "audit_record_refused"]
    assert [e["decision_id"] for e in refused] == [bad.decision_id]
    assert "NUL" in refused[0]["error"] or "0x00" in refused[0]["error"]
    closed = [e for e in logs if e["event"] == "audit_closed"]
    assert closed and closed[0]["answered"] == 31
    assert _stored_names(PostgresStore(pg_url)) == [f"ok{i:02}" for i in range(30)]


def test_pg_text_that_is_not_utf8_is_refused_alone(pg_url: str) -> None:
    log = AuditLog(_pg(pg_url), batch_size=500)
    entries = [_entry(f"ok{i:02}") for i in range(5)]
    for e in [*entries[:2], _entry("lone\ud800surrogate"), *entries[2:]]:
        assert log.record(e)
    log.start()
    log.close()
    assert dict(log.ledger.dropped_total) == {"refused": 1}
    assert _stored_names(PostgresStore(pg_url)) == [f"ok{i:02}" for i in range(5)]


def test_sync_only_the_refused_call_fails(pg_url: str) -> None:
    log = AuditLog(_pg(pg_url), sync=True)
    entries = [_entry(f"ok{i:02}") for i in range(20)]
    bad = _entry(BAD_NAME)
    pendings = [log.record_durably(e) for e in entries]
    bad_pending = log.record_durably(bad)
    log.start()
    for p in pendings:
        p.wait()  # committed: no exception
    with pytest.raises(AuditUnavailable, match="refused"):
        bad_pending.wait()
    log.close()
    assert _stored_names(PostgresStore(pg_url)) == [f"ok{i:02}" for i in range(20)]


def test_sqlite_a_refused_record_is_alone_in_being_dropped(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    log = AuditLog(DecisionStore(db), batch_size=500)
    # SQLite holds NUL; text that is not UTF-8 (a lone surrogate) it cannot.
    bad = _entry("lone\ud800surrogate")
    entries = [_entry(f"ok{i:02}") for i in range(10)]
    for e in [*entries[:4], bad, *entries[4:]]:
        assert log.record(e)
    log.start()
    log.close()
    assert dict(log.ledger.dropped_total) == {"refused": 1}
    assert _stored_names(DecisionStore(db, readonly=True)) == [f"ok{i:02}" for i in range(10)]


def test_a_writer_that_never_ran_counts_what_it_was_handed(tmp_path: Path) -> None:
    log = AuditLog(DecisionStore(tmp_path / "d.db"), queue_size=3)
    answered = [log.record(_entry(f"n{i}")) for i in range(5)]
    assert answered == [True, True, True, False, False]
    log.close()  # never started
    assert dict(log.ledger.dropped_total) == {"queue_full": 2, "shutdown": 3}
    assert log.ledger.written_total == 0
