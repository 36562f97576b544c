"""Waivers: approved, time-bound exceptions to BLOCKER rules, as plain data.

`active_for` is the one test of whether a waiver applies: the engine's decision calls it
(engine/engine.py), and so does every door through the engine. Times are microseconds since
the epoch (UTC), as the audit store keeps them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Waiver:
    """A waiver as stored: `revoked_at_us` None while not revoked."""

    id: str
    project_name: str
    rule_ids: tuple[str, ...]
    reason: str
    ticket: str
    approved_by: str
    created_at_us: int
    expires_at_us: int
    revoked_at_us: int | None = None

    def state(self, now_us: int) -> str:
        """ACTIVE, EXPIRED or REVOKED at `now_us`."""
        if self.revoked_at_us is not None and self.revoked_at_us <= now_us:
            return "REVOKED"
        if self.expires_at_us <= now_us:
            return "EXPIRED"
        return "ACTIVE"


def active_for(waivers: Iterable[Waiver], project_name: str, now_us: int) -> tuple[Waiver, ...]:
    """The waivers of `project_name` neither expired nor revoked at `now_us`, oldest first (the
    first granted covers a rule that several cover), ids breaking ties."""
    return tuple(sorted((w for w in waivers if w.project_name == project_name
                         and w.state(now_us) == "ACTIVE"),
                        key=lambda w: (w.created_at_us, w.id)))
