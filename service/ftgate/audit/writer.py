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

import json
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass

import structlog

from ftgate import enums
from ftgate.audit.profile_json import profile_json
from ftgate.audit.store import DecisionStore, StoredDecision
from ftgate.domain.decision import Decision
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
    decision_id: str
    project: pb.ProjectProfile  # as received, unknown fields dropped
    profile: Profile  # as validated (for the JSON copy of the input)
    decision: Decision
    assessment: bytes  # the Assessment as answered, serialized


def to_row(entry: DecisionEntry) -> StoredDecision:
    d = entry.decision
    # The store keeps proto names (VERDICT_FINE_TUNE), as the messages it holds do.
    findings = [{"rule_id": f.rule_id, "failure_mode": enums.FAILURE_MODE.full(f.failure_mode),
                 "severity": enums.SEVERITY.full(f.severity)} for f in d.findings]
    return StoredDecision(
        decision_id=entry.decision_id,
        decided_at_us=int(entry.decided_at * 1_000_000),
        ruleset_version=d.ruleset_version,
        project_name=d.project_name,
        verdict=enums.VERDICT.full(d.verdict),
        outcome=None if d.outcome is None else enums.OUTCOME.full(d.outcome),
        findings=json.dumps(findings, separators=(",", ":")),
        profile_json=profile_json(entry.profile),
        project=entry.project.SerializeToString(),
        assessment=entry.assessment,
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
        self._file_missing = False

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

    def close(self, timeout: float = 60.0) -> None:
        """Write every queued decision, then stop the writer."""
        if not self._thread.is_alive():
            return
        self._closing.set()  # no more waiting for batches to fill
        self._queue.put(_STOP)  # blocks while full: the writer is draining it
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("audit_flush_timeout", queued=self._queue.qsize())
        self.store.close()

    def _dropped(self, entry: DecisionEntry) -> None:
        operations.AUDIT_DROPPED.inc()
        self._dropped_since_log += 1
        now = time.monotonic()
        if now - self._last_drop_log >= _DROP_LOG_EVERY_SECONDS:
            log.warning("audit_queue_full", dropped=self._dropped_since_log,
                        decision_id=entry.decision_id,
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

    def _check_file(self) -> None:
        """Alert when the audit file was deleted (or replaced) under the open connection: the
        rows still go to the open file, which nobody will find. Reopening is not safe while
        other connections (readers, other workers) still share the old file's WAL, so this
        says it, loudly, until a restart creates a new file."""
        missing = self.store.replaced()
        if missing and not self._file_missing:
            log.error("audit_file_missing", path=str(self.store.path),
                      action="restart ftgate to create a new audit log; decisions written "
                             "until then go to the deleted file")
        elif self._file_missing and not missing:
            log.info("audit_file_back", path=str(self.store.path))
        self._file_missing = missing
        operations.AUDIT_FILE_MISSING.set(int(missing))

    def _write(self, batch: list[DecisionEntry]) -> None:
        started = time.perf_counter()
        self._check_file()
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
