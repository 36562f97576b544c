"""What became of the decisions the audit writer was handed: written, or dropped by reason.

For every answered decision, exactly one of: written to the store, or dropped and counted
under one reason (`ftgate_audit_dropped_total{reason=...}`):

- queue_full: the queue was full when the call was answered (the store down or slow);
- refused: the store refused this record itself (its batch was retried record by record, the
  others stored); logged each time with its decision id and the store's reason;
- write_failed: the record could not be made into a row;
- shutdown: still queued or in the writer's hands when the server stopped and the store was
  down or too slow to take it in time.

The writer logs the totals of its process when it stops (`audit_closed`): answered decisions =
written + the sum of dropped, whatever happened.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import structlog

from ftgate.obs import operations

log = structlog.get_logger("ftgate")
_DROP_LOG_EVERY_SECONDS = 10.0
REASONS = ("queue_full", "refused", "write_failed", "shutdown")


class Ledger:
    """Counts (metrics and this process's totals) and rate-limited log lines of the writer."""

    def __init__(self, target: str, queue_size: int) -> None:
        self.target = target
        self.queue_size = queue_size
        self.written_total = 0
        self.dropped_total: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._since_log = 0
        self._last_log = 0.0

    def written(self, count: int) -> None:
        operations.AUDIT_WRITTEN.inc(count)
        with self._lock:
            self.written_total += count

    def dropped(self, decision_id: str, reason: str, count: int = 1) -> None:
        """`count` answered decisions not stored, for `reason` (logged at most every 10 s)."""
        operations.AUDIT_DROPPED.labels(reason).inc(count)
        now = time.monotonic()
        with self._lock:
            self.dropped_total[reason] += count
            self._since_log += count
            if now - self._last_log < _DROP_LOG_EVERY_SECONDS:
                return
            dropped, self._since_log, self._last_log = self._since_log, 0, now
        log.warning("audit_dropped", reason=reason, dropped=dropped, decision_id=decision_id,
                    queue_size=self.queue_size, store=self.target)

    def refused(self, decision_id: str, why: str, answered: bool) -> None:
        """The store refused this one record: always logged, with its id and the reason;
        counted as dropped when its call was answered (async)."""
        log.error("audit_record_refused", decision_id=decision_id, error=why, store=self.target,
                  answered=answered)
        operations.AUDIT_WRITE_ERRORS.inc()
        if answered:
            self.dropped(decision_id, "refused")

    def close(self) -> None:
        """The totals of this process, once, when the writer stops."""
        with self._lock:
            dropped = {r: self.dropped_total[r] for r in REASONS}
            written = self.written_total
        log.info("audit_closed", written=written, dropped=dropped,
                 answered=written + sum(dropped.values()), store=self.target)
