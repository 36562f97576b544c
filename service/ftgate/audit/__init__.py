"""The decision audit log: every answer recorded (SQLite, WAL), written off the request path."""

from ftgate.audit.store import (
    AuditFileError,
    BadPageToken,
    DecisionQuery,
    DecisionStore,
    StoredDecision,
    check_file,
)
from ftgate.audit.writer import AuditLog, DecisionEntry

__all__ = ["AuditFileError", "AuditLog", "BadPageToken", "DecisionEntry", "DecisionQuery",
           "DecisionStore", "StoredDecision", "check_file"]
