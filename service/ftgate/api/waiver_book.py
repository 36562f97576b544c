"""The waivers every decision is made with: read from the audit store, kept a few seconds.

Every replica reads the same store, so a waiver granted or revoked on one is honoured by the
others once their copy is refreshed: at most `refresh_seconds` (5 by default) after the change.
The replica that made the change refreshes at once. Expiry is not cached: the engine judges each
waiver against the clock at decision time (domain/waiver.py). When the store cannot be read, the
last copy read is kept (and the failure logged) until it can.
"""

from __future__ import annotations

import threading
import time

import structlog

from ftgate.api import clock
from ftgate.audit.backend import AuditStore
from ftgate.audit.errors import StoreError
from ftgate.domain.waiver import Waiver
from ftgate.obs.metrics import record_waivers

log = structlog.get_logger("ftgate")
REFRESH_SECONDS = 5.0


class WaiverBook:
    """A copy of the store's waivers, refreshed when older than `refresh_seconds`."""

    def __init__(self, store: AuditStore | None, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self.store = store
        self.refresh_seconds = refresh_seconds
        self._waivers: tuple[Waiver, ...] = ()
        self._read_at: float | None = None  # time.monotonic() of the last read
        self._lock = threading.Lock()

    def current(self) -> tuple[Waiver, ...]:
        """The waivers as last read; read again first when the copy is too old."""
        read_at = self._read_at
        if self.store is None or (read_at is not None
                                  and time.monotonic() - read_at < self.refresh_seconds):
            return self._waivers
        with self._lock:  # one reader at a time; the others take the copy it leaves
            read_at = self._read_at
            if read_at is None or time.monotonic() - read_at >= self.refresh_seconds:
                self._read()
        return self._waivers

    def changed(self) -> None:
        """A waiver was granted or revoked here: read them again on next use."""
        self._read_at = None

    def _read(self) -> None:
        assert self.store is not None
        try:
            self._waivers = tuple(self.store.list_waivers())
        except StoreError as exc:
            log.error("waivers_read_failed", error=str(exc),
                      kept=f"the {len(self._waivers)} waivers read before")
        self._read_at = time.monotonic()
        now_us = clock.now_us()
        ends = [w.expires_at_us for w in self._waivers if w.state(now_us) == "ACTIVE"]
        record_waivers(len(ends), min(ends, default=None))
