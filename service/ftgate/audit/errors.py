"""The audit store's own errors (the API layer maps them to gRPC codes)."""

from __future__ import annotations

from ftgate.errors import FtgateError


class StoreError(FtgateError):
    """A write or read the store refused (the rows of a write are not stored)."""


class StoreUnavailable(StoreError):
    """The store cannot be reached now (down, restarting, locked, full): try again later."""


class AuditUnavailable(StoreError):
    """--audit-durability sync: a decision could not be committed, so it must not be answered."""
