"""Prometheus series of the service's operation: audit log, access control, limits.

(The series of the policy itself, decisions, findings and the ruleset, are in `metrics`.)
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from ftgate.obs.deferred import deferred

AUDIT_WRITTEN = Counter("ftgate_audit_written", "Decisions written to the audit log.")
AUDIT_DROPPED = Counter(
    "ftgate_audit_dropped",
    "Decisions answered but not written to the audit log, by reason: queue_full (the store "
    "down or slow for longer than the queue holds), refused (the store refused that record, "
    "its batch retried record by record), write_failed (it could not be made into a row), "
    "shutdown (queued or in the writer's hands when the server stopped and the store was down "
    "or too slow).", ["reason"])
for _reason in ("queue_full", "refused", "write_failed", "shutdown"):
    AUDIT_DROPPED.labels(_reason)
# 1 while the audit writer can write to its store, 0 while it waits for it to come back (and 1
# with no audit log: nothing is down, FtgateAuditStoreDown stays quiet).
AUDIT_STORE_UP = Gauge("ftgate_audit_store_up", "1 when the audit writer reaches its store.",
                       multiprocess_mode="livemin")
AUDIT_STORE_UP.set(1)
AUDIT_QUEUE_CAPACITY = Gauge("ftgate_audit_queue_capacity",
                             "Decisions the audit queue holds at most (--audit-queue).",
                             multiprocess_mode="livesum")
AUDIT_WRITE_ERRORS = Counter(
    "ftgate_audit_write_errors", "Audit records the store refused (each logged with its id).")
# Set by the writer (not a callback) so that it also works in `serve --workers` (multiprocess).
AUDIT_QUEUE_DEPTH = Gauge("ftgate_audit_queue_depth", "Decisions waiting for the audit writer.",
                          multiprocess_mode="livesum")
AUDIT_BATCH_SECONDS = Histogram(
    "ftgate_audit_batch_seconds", "Time to write one batch of decisions to the audit log.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
AUTH_REFUSED = Counter(
    "ftgate_auth_refused", "Calls refused UNAUTHENTICATED, by reason (missing|wrong).", ["reason"])
CALLS_STOPPED = Counter(
    "ftgate_calls_stopped",
    "Calls stopped before their end, by reason (deadline|cancelled).", ["reason"])
DECISION_CACHE = Counter(
    "ftgate_decision_cache",
    "Evaluate calls answered from the decision cache (hit) or evaluated (miss).", ["result"])
DECISION_CACHE_HITS = deferred(DECISION_CACHE.labels("hit"))
DECISION_CACHE_MISSES = deferred(DECISION_CACHE.labels("miss"))
LOG_LINES_DROPPED = Counter(
    "ftgate_log_lines_dropped",
    "Decision log lines dropped because stderr could not keep up (obs/logging.py).")
# 1 while the file the audit writer has open is no longer at its --audit-db path (deleted or
# replaced under it): decisions are then written where nobody will find them (audit/writer.py).
AUDIT_FILE_MISSING = Gauge(
    "ftgate_audit_file_missing",
    "1 when the audit log file was deleted or replaced while open (decisions go unseen).",
    multiprocess_mode="livemax")
# 0 after a reload of the --auth-tokens file failed (the last good tokens kept), else 1.
AUTH_TOKENS_FILE_OK = Gauge(
    "ftgate_auth_tokens_file_ok",
    "0 when the last reload of the token file failed and the previous tokens are still in use.",
    multiprocess_mode="livemin")
AUTH_TOKENS_FILE_OK.set(1)  # nothing failed yet (and no token file at all is not a failure)
