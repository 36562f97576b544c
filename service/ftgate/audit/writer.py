"""The audit writer: decisions go into a bounded queue on the call's path and reach SQLite from one
background thread, in batches.

Policy when the queue is full: the decision is answered anyway and *not* recorded; it is counted
(`ftgate_audit_dropped_total`) and logged (at most once every 10 s). A policy service that stops
answering because its log is slow would turn a logging problem into an outage.

The writer commits once per batch: the decisions that arrive within `flush_interval` (50 ms) of
the first one, up to `batch_size`. A decision is on disk (committed, safe from kill -9) about
that long after it was answered. `close()` writes every queued decision before it returns:
SIGTERM loses nothing that was answered.
"""

from __future__ import annotations

import contextlib
import json
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any

import structlog

from ftgate.audit.profile_json import profile_json
from ftgate.audit.store import DecisionStore, StoredDecision
from ftgate.domain.profile import Profile
from ftgate.obs import operations
from ftgate.v1 import advisor_pb2 as pb

log = structlog.get_logger("ftgate")
_STOP = object()
_PURGE_EVERY_SECONDS = 3600.0
_DROP_LOG_EVERY_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class DecisionEntry:
    """What the call hands to the writer: cheap to make, converted off the request path."""

    decided_at: float  # time.time()
    project: pb.ProjectProfile  # as received
    profile: Profile  # as validated (for the JSON copy of the input)
    assessment: pb.Assessment | bytes  # as returned (bytes: serialized, parsed by the writer)


def _names(enum: Any) -> dict[int, str]:
    return {v.number: v.name for v in enum.DESCRIPTOR.values}


# Plain dicts: EnumTypeWrapper.Name costs microseconds a call, and the writer calls it a lot.
_VERDICT, _OUTCOME = _names(pb.Verdict), _names(pb.Outcome)
_FAILURE_MODE, _SEVERITY = _names(pb.FailureMode), _names(pb.Severity)


def _decision_id(entry: DecisionEntry) -> str:
    a = entry.assessment
    return (pb.Assessment.FromString(a) if isinstance(a, bytes) else a).decision_id


def to_row(entry: DecisionEntry) -> StoredDecision:
    if isinstance(entry.assessment, bytes):
        serialized, a = entry.assessment, pb.Assessment.FromString(entry.assessment)
    else:
        a = entry.assessment
        serialized = a.SerializeToString()
    findings = [{"rule_id": f.rule_id, "failure_mode": _FAILURE_MODE.get(f.failure_mode),
                 "severity": _SEVERITY.get(f.severity)} for f in a.findings]
    return StoredDecision(
        decision_id=a.decision_id,
        decided_at_us=int(entry.decided_at * 1_000_000),
        ruleset_version=a.ruleset_version,
        project_name=a.project_name,
        verdict=_VERDICT.get(a.verdict, str(a.verdict)),
        outcome=_OUTCOME.get(a.outcome, str(a.outcome)) if a.outcome else None,
        findings=json.dumps(findings, separators=(",", ":")),
        profile_json=profile_json(entry.profile),
        project=entry.project.SerializeToString(),
        assessment=serialized,
    )


class AuditLog:
    """Bounded queue + one writer thread over a DecisionStore."""

    def __init__(self, store: DecisionStore, queue_size: int = 10_000,
                 retention_days: float = 0.0, batch_size: int = 500,
                 flush_interval: float = 0.05) -> None:
        self.store = store
        self.retention_days = retention_days
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, queue_size))
        self._thread = threading.Thread(target=self._run, name="ftgate-audit", daemon=True)
        self._dropped_since_log = 0
        self._last_drop_log = 0.0
        self._next_purge = 0.0
        self._closing = threading.Event()
        self.name = "audit"

    def start(self) -> None:
        self._thread.start()

    def record(self, entry: DecisionEntry) -> bool:
        """Queue a decision; False (counted, logged) when the queue is full and it is dropped."""
        try:
            self._queue.put_nowait(entry)
            return True
        except queue.Full:
            self._dropped(entry)
            return False

    def flush(self) -> None:
        """Nothing to force: a batch is committed within `flush_interval` of its first decision,
        and `stop` writes the rest."""

    def stop(self, timeout: float) -> bool:
        """Write every queued decision, then stop the writer; False (logged, the store left
        open to the writer) when that takes more than `timeout` seconds."""
        if not self._thread.is_alive():
            return True
        deadline = time.monotonic() + timeout
        self._closing.set()  # no more waiting for batches to fill
        with contextlib.suppress(queue.Full):  # a writer that stays behind is reported below
            self._queue.put(_STOP, timeout=timeout)  # waits while full: the writer drains it
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            log.error("audit_flush_timeout", queued=self._queue.qsize(), timeout_seconds=timeout)
            return False
        self.store.close()
        return True

    def close(self, timeout: float = 60.0) -> None:
        """stop(timeout), for callers that do not ask how it went."""
        self.stop(timeout)

    def _dropped(self, entry: DecisionEntry) -> None:
        operations.AUDIT_DROPPED.inc()
        self._dropped_since_log += 1
        now = time.monotonic()
        if now - self._last_drop_log >= _DROP_LOG_EVERY_SECONDS:
            log.warning("audit_queue_full", dropped=self._dropped_since_log,
                        decision_id=_decision_id(entry),
                        queue_size=self._queue.maxsize)
            self._last_drop_log, self._dropped_since_log = now, 0

    def _run(self) -> None:
        stopping = False
        while not stopping:
            self._purge_when_due()
            batch: list[DecisionEntry] = []
            try:
                item = self._queue.get(timeout=60)
            except queue.Empty:
                continue
            # Let the decisions of the next flush_interval gather in the queue, then take them
            # all: one wake-up of this thread and one commit for many calls, not one per call.
            # (No waiting when a full batch is already there: the writer is behind.)
            if item is not _STOP and self._queue.qsize() < self.batch_size:
                self._closing.wait(self.flush_interval)
            while True:
                if item is _STOP:
                    stopping = True
                elif isinstance(item, DecisionEntry):
                    batch.append(item)
                if stopping or len(batch) >= self.batch_size:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._write(batch)
            operations.AUDIT_QUEUE_DEPTH.set(self._queue.qsize())
        log.info("audit_flushed")

    def _write(self, batch: list[DecisionEntry]) -> None:
        started = time.perf_counter()
        try:
            rows = [to_row(e) for e in batch]
        except Exception:  # never lose the writer to one odd message
            log.exception("audit_convert_failed", decisions=len(batch))
            operations.AUDIT_WRITE_ERRORS.inc()
            return
        for attempt in (1, 2):
            try:
                self.store.insert(rows)
                break
            except sqlite3.Error as exc:
                if attempt == 2:
                    log.error("audit_write_failed", decisions=len(rows), error=str(exc))
                    operations.AUDIT_WRITE_ERRORS.inc()
                    return
                time.sleep(0.1)
        operations.AUDIT_WRITTEN.inc(len(rows))
        operations.AUDIT_BATCH_SECONDS.observe(time.perf_counter() - started)

    def _purge_when_due(self) -> None:
        if self.retention_days <= 0 or time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + _PURGE_EVERY_SECONDS
        try:
            removed = self.store.purge(self.retention_days)
        except sqlite3.Error as exc:
            log.error("audit_purge_failed", error=str(exc))
            return
        if removed:
            log.info("audit_purged", decisions=removed, retention_days=self.retention_days)
