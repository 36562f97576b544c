"""The audit writer: decisions go into a bounded queue on the call's path and reach the store
(SQLite or PostgreSQL, audit/backend.py) from one background thread, in batches.

Two durabilities (--audit-durability, docs/operations.md):

- async (the default): the call is answered at once; its record is committed a batch later.
  When the store is down or slow, records wait in the queue; beyond its bound they are dropped
  and counted (`ftgate_audit_dropped_total{reason="queue_full"}`, logged at most once every
  10 s): a policy service that stops answering because its log is slow would turn a logging
  problem into an outage. The writer retries with backoff (up to 5 s) and resumes by itself.
- sync: `record_durably()` hands back a Pending that the call waits on; the answer is sent
  only once its record is committed. Records that arrive while a batch is being committed go
  in the next one: one commit for every call that waited meanwhile (group commit). While the
  store is unavailable, Pending.wait raises AuditUnavailable at once: the call fails, nothing
  is answered unrecorded.

The writer commits once per batch (async: the decisions that arrive within `flush_interval` of
the first one, up to `batch_size`). `close()` writes every queued decision before it returns:
SIGTERM loses nothing that was answered, unless the store stays down past the close timeout
(counted, reason="shutdown", the batch in the writer's hands included).

One record the store refuses (a value it cannot hold) never takes its batch with it: a batch
the store refuses is written again record by record, and only the refused one is dropped
(counted and logged with its id, audit/ledger.py).
"""

from __future__ import annotations

import contextlib
import json
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass

import structlog

from ftgate import enums
from ftgate.assessment import to_bytes
from ftgate.audit.backend import AuditStore
from ftgate.audit.errors import AuditUnavailable, StoreError, StoreUnavailable
from ftgate.audit.ledger import Ledger
from ftgate.audit.profile_json import profile_json
from ftgate.audit.store import StoredDecision
from ftgate.domain.decision import Decision
from ftgate.domain.profile import Profile
from ftgate.obs import operations
from ftgate.v1 import advisor_pb2 as pb

log = structlog.get_logger("ftgate")
_STOP = object()
_PURGE_EVERY_SECONDS = 3600.0
_BACKOFF_FIRST, _BACKOFF_MAX = 0.1, 5.0
# How long a sync call waits for its record's commit before it gives up (UNAVAILABLE).
SYNC_WAIT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class DecisionEntry:
    """What the call hands to the writer: its typed input and output (as a decision log keeps
    a check's input and output), cheap to make; the writer's thread encodes them (`to_row`)."""

    decided_at: float  # time.time()
    decision_id: str
    project: pb.ProjectProfile  # as received, unknown fields dropped
    profile: Profile  # as validated (for the JSON copy of the input)
    decision: Decision


def to_row(entry: DecisionEntry) -> StoredDecision:
    """The stored record of an entry: the Assessment as answered (the bytes the gRPC edge
    sends, ftgate/assessment.py), its summary columns and the profile, as received and as JSON."""
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
        assessment=to_bytes(d, entry.decision_id),
    )


class Pending:
    """A record on its way to the store (sync durability): `wait()` returns once it is
    committed, or raises AuditUnavailable."""

    __slots__ = ("_done", "_error")

    def __init__(self) -> None:
        self._done = threading.Event()
        self._error: str | None = None

    def settle(self, error: str | None = None) -> None:
        self._error = error
        self._done.set()

    def wait(self, timeout: float = SYNC_WAIT_SECONDS) -> None:
        if not self._done.wait(timeout):
            raise AuditUnavailable(f"the audit store did not commit the decision within "
                                   f"{timeout:g}s")
        if self._error is not None:
            raise AuditUnavailable(self._error)


Item = tuple[DecisionEntry, "Pending | None"]


class AuditLog:
    """Bounded queue + one writer thread over an AuditStore."""

    def __init__(self, store: AuditStore, queue_size: int = 10_000,
                 retention_days: float = 0.0, batch_size: int = 500,
                 flush_interval: float = 0.05, sync: bool = False) -> None:
        self.store = store
        self.retention_days = retention_days
        self.batch_size = batch_size
        self.sync = sync
        # Sync: no waiting for a batch to fill (each waiting call pays it); the calls that
        # arrive during a commit form the next batch.
        self.flush_interval = 0.0 if sync else flush_interval
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, queue_size))
        self._thread = threading.Thread(target=self._run, name="ftgate-audit", daemon=True)
        self.ledger = Ledger(store.target, self._queue.maxsize)
        # What the writer has taken from the queue and not yet settled, and whether stop() gave
        # up on the writer (then stop counted all of it): one lock, so that each decision is
        # counted once, by one of them.
        self._hand = threading.Lock()
        self._in_hand: dict[int, Item] = {}
        self._abandoned = False
        self._next_purge = 0.0
        self._closing = threading.Event()
        self._close_deadline = float("inf")
        self._file_missing = False
        self.name = "audit"
        self._down: str | None = None  # why the store is unavailable; None: it is up
        operations.AUDIT_QUEUE_CAPACITY.set(self._queue.maxsize)
        operations.AUDIT_STORE_UP.set(1)

    def start(self) -> None:
        self._thread.start()

    def record(self, entry: DecisionEntry) -> bool:
        """Queue a decision (async); False (counted, logged) when the queue is full and it is
        dropped."""
        try:
            self._queue.put_nowait((entry, None))
            return True
        except queue.Full:
            self.ledger.dropped(entry.decision_id, "queue_full")
            return False

    def record_durably(self, entry: DecisionEntry) -> Pending:
        """Queue a decision (sync) and return what to wait on before answering; AuditUnavailable
        at once when the store is known to be unavailable or the queue is full."""
        down = self._down
        if down is not None:
            raise AuditUnavailable(down)
        pending = Pending()
        try:
            self._queue.put_nowait((entry, pending))
        except queue.Full:
            raise AuditUnavailable("the audit queue is full (the store is slower than the "
                                   "calls)") from None
        return pending

    def flush(self) -> None:
        """Nothing to force: a batch is committed within `flush_interval` of its first decision,
        and `stop` writes the rest."""

    def stop(self, timeout: float) -> bool:
        """Write every queued decision, then stop the writer; False (logged, the store left
        open to the writer) when that takes more than `timeout` seconds (no backoff is waited
        beyond it either)."""
        if not self._thread.is_alive():  # never started (or gone): what it held is counted
            left = self._abandon()
            if left:
                log.error("audit_writer_not_running", dropped=left)
            self.ledger.close()
            return True
        deadline = self._close_deadline = time.monotonic() + timeout
        self._closing.set()  # no more waiting for batches to fill, nor backoff
        with contextlib.suppress(queue.Full):  # a writer that stays behind is reported below
            self._queue.put(_STOP, timeout=timeout)  # waits while full: the writer drains it
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            left = self._abandon()
            log.error("audit_flush_timeout", dropped=left, timeout_seconds=timeout)
            self.ledger.close()
            return False
        self._rescue()
        self.store.close()
        self.ledger.close()
        return True

    def _abandon(self) -> int:
        """The writer is stuck past the close timeout: what it holds and what is queued is
        counted now (reason shutdown), and the writer settles nothing more. How many."""
        with self._hand:
            self._abandoned = True
            left = list(self._in_hand.values())
            self._in_hand.clear()
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, tuple):
                    left.append(item)
            self._give_up_locked(left, "shutdown", "the server stopped before the audit "
                                                   "store took the decision")
        return len(left)

    def close(self, timeout: float = 60.0) -> None:
        """stop(timeout), for callers that do not ask how it went."""
        self.stop(timeout)

    def _rescue(self) -> None:
        """The file was deleted while open: before the last handle on it goes, copy what it
        holds next to where it was, so that the decisions written into it are not lost."""
        if not self.store.replaced():
            return
        try:
            copy = self.store.save_copy()
        except (OSError, sqlite3.Error, StoreError) as exc:
            log.error("audit_file_rescue_failed", path=self.store.target, error=str(exc))
            return
        log.error("audit_file_rescued", path=self.store.target, copy=str(copy),
                  action="merge the copy into the audit log, or keep it with the old logs")

    def _run(self) -> None:
        stopping = False
        while not stopping:
            self._purge_when_due()
            batch: list[Item] = []
            try:
                item = self._queue.get(timeout=60)
            except queue.Empty:
                continue
            # Let the decisions of the next flush_interval gather in the queue, then take them
            # all: one wake-up of this thread and one commit for many calls, not one per call.
            # (No waiting when a full batch is already there: the writer is behind.)
            if (item is not _STOP and self.flush_interval > 0
                    and self._queue.qsize() < self.batch_size):
                self._closing.wait(self.flush_interval)
            with self._hand:
                if self._abandoned:  # stop() counted the queue; this one was out of it
                    if isinstance(item, tuple):
                        self._give_up_locked([item], "shutdown", "the server stopped")
                    return
                while True:
                    if item is _STOP:
                        stopping = True
                    elif isinstance(item, tuple):
                        batch.append(item)
                        self._in_hand[id(item)] = item
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
            log.error("audit_file_missing", path=self.store.target,
                      action="restart ftgate to create a new audit log; decisions written "
                             "until then go to the deleted file, copied beside it at exit")
        elif self._file_missing and not missing:
            log.info("audit_file_back", path=self.store.target)
        self._file_missing = missing
        operations.AUDIT_FILE_MISSING.set(int(missing))

    def _write(self, batch: list[Item]) -> None:
        started = time.perf_counter()
        self._check_file()
        rows, batch = self._rows(batch)
        refused = self._insert(batch, rows)
        if refused is not None and len(batch) == 1:
            self._settle(batch, refused=refused)
        elif refused is not None:
            # One bad record must not take the others with it: each on its own.
            for item, row in zip(batch, rows, strict=True):
                why = self._insert([item], [row])
                if why is not None:
                    self._settle([item], refused=why)
        operations.AUDIT_BATCH_SECONDS.observe(time.perf_counter() - started)

    def _rows(self, batch: list[Item]) -> tuple[list[StoredDecision], list[Item]]:
        """The rows of the batch, and the items they are of; one that cannot be made into a
        row is dropped alone (write_failed), never the batch."""
        rows: list[StoredDecision] = []
        kept: list[Item] = []
        for item in batch:
            try:
                rows.append(to_row(item[0]))
            except Exception as exc:  # never lose the writer (or the batch) to one odd message
                log.exception("audit_convert_failed", decision_id=item[0].decision_id)
                self._settle([item], reason="write_failed", why=f"the decision could not be "
                                                                 f"stored ({exc})")
                continue
            kept.append(item)
        return rows, kept

    def _insert(self, batch: list[Item], rows: list[StoredDecision]) -> str | None:
        """Commit the rows (waiting out an unavailable store, as durability says) and settle
        their items; or the reason the store refused them, their items left unsettled."""
        if not rows:
            return None
        backoff = _BACKOFF_FIRST
        while True:
            if self._down is not None and self._closing.is_set() \
                    and time.monotonic() >= self._close_deadline:
                self._settle(batch, reason="shutdown", why=self._down)
                return None
            try:
                self.store.insert(rows)
                break
            except StoreUnavailable as exc:
                self._went_down(str(exc))
                if self.sync:
                    # Every waiting call fails now (UNAVAILABLE); the writer waits for the
                    # store before it takes the next batch.
                    self._settle(batch, why=str(exc))
                    self._wait_for_store()
                    return None
                operations.AUDIT_QUEUE_DEPTH.set(self._queue.qsize())  # the backlog, meanwhile
                self._pause(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX)
            except StoreError as exc:
                self._came_up()  # it answered: it is up, it refused these rows
                return str(exc)
        self._came_up()
        self._settle(batch, stored=True)
        return None

    def _settle(self, batch: list[Item], *, stored: bool = False, reason: str | None = None,
                why: str = "", refused: str | None = None) -> None:
        """Items leave the writer's hands: stored; refused by the store (each counted and
        logged); or given up (answered ones counted under `reason`, waiting calls failed)."""
        with self._hand:
            if self._abandoned:  # stop() has counted them already
                if stored:
                    log.warning("audit_written_after_flush_timeout", decisions=len(batch))
                return
            for item in batch:
                self._in_hand.pop(id(item), None)
            if stored:
                for _, pending in batch:
                    if pending is not None:
                        pending.settle()
                self.ledger.written(len(batch))
            elif refused is not None:
                for entry, pending in batch:
                    self.ledger.refused(entry.decision_id, refused, answered=pending is None)
                    if pending is not None:
                        pending.settle(f"the audit store refused the decision: {refused}")
            else:
                self._give_up_locked(batch, reason, why)

    def _give_up_locked(self, batch: list[Item], reason: str | None, why: str) -> None:
        """Not stored: waiting calls fail; answered ones are counted under `reason`."""
        answered = 0
        for _, pending in batch:
            if pending is None:
                answered += 1
            else:
                pending.settle(why)
        if answered and reason is not None:
            self.ledger.dropped(batch[0][0].decision_id, reason, answered)

    def _pause(self, seconds: float) -> None:
        """Backoff before the next try; shortened by close()."""
        if not self._closing.is_set():
            self._closing.wait(seconds)
        else:
            time.sleep(min(seconds, max(0.0, self._close_deadline - time.monotonic())))

    def _wait_for_store(self) -> None:
        """Sync: until the store answers again, every call queued meanwhile fails at once."""
        backoff = _BACKOFF_FIRST
        while self._down is not None:
            self._fail_queued(self._down)
            if self._closing.is_set():  # every waiting call has failed: nothing to keep
                return
            self._pause(backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX)
            try:
                self.store.ping()
            except StoreUnavailable:
                continue
            self._came_up()

    def _fail_queued(self, why: str) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is _STOP:
                self._queue.put(_STOP)  # (just emptied: room for it) stop once back in _run
                return
            if isinstance(item, tuple):
                with self._hand:
                    self._give_up_locked([item], "shutdown", why)

    def _went_down(self, why: str) -> None:
        if self._down is None:
            log.error("audit_store_unavailable", store=self.store.target, error=why,
                      durability="sync" if self.sync else "async",
                      queued=self._queue.qsize())
            operations.AUDIT_STORE_UP.set(0)
        self._down = why

    def _came_up(self) -> None:
        if self._down is not None:
            self._down = None
            operations.AUDIT_STORE_UP.set(1)
            log.info("audit_reconnected", store=self.store.target, queued=self._queue.qsize())

    def _purge_when_due(self) -> None:
        if self.retention_days <= 0 or time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + _PURGE_EVERY_SECONDS
        cutoff_us = int((time.time() - self.retention_days * 86400) * 1_000_000)
        try:
            removed = self.store.purge(cutoff_us)
        except StoreError as exc:
            log.error("audit_purge_failed", store=self.store.target, error=str(exc))
            self._next_purge = time.monotonic() + 60  # try again sooner than an hour
            return
        if removed:
            log.info("audit_purged", decisions=removed, retention_days=self.retention_days)
