"""The decision audit log: every answer recorded (SQLite, WAL), written off the request path."""

from ftgate.audit.store import BadPageToken, DecisionQuery, DecisionStore, StoredDecision
from ftgate.audit.writer import AuditLog, DecisionEntry

__all__ = ["AuditLog", "BadPageToken", "DecisionEntry", "DecisionQuery", "DecisionStore",
           "StoredDecision"]
