"""Recording a decision: one call gives it its id and writes it everywhere it goes.

`Recorder.record(Decided)` is the only place a decision leaves the request path: its decision
id is drawn, its line written to the decision log, its counters moved, its entry queued for the
audit log (when on: typed input and output; the audit writer encodes them off the request path),
and a newly evaluated decision kept in the decision cache (when on). It answers an
`api.answer.Answer`; no bytes are written here. Evaluate and EvaluateBatch both come here (api/service.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ftgate import enums
from ftgate.api.answer import Answer
from ftgate.api.cache import DecisionCache
from ftgate.api.errors import Unavailable
from ftgate.audit import AuditLog, DecisionEntry
from ftgate.audit.errors import AuditUnavailable
from ftgate.audit.writer import SYNC_WAIT_SECONDS, Pending
from ftgate.domain.decision import Decision
from ftgate.domain.profile import Profile
from ftgate.engine import CompiledPolicy
from ftgate.obs import metrics, tracing
from ftgate.obs.logging import DecisionLog
from ftgate.v1 import advisor_pb2 as pb


@dataclass(frozen=True, slots=True)
class Decided:
    """A decision made (or found in the decision cache) for one profile of a call."""

    project: pb.ProjectProfile  # as received, unknown fields dropped
    profile: Profile  # as validated
    decision: Decision
    policy: CompiledPolicy  # the policy that made it
    seconds: float | None  # what the engine took; None: from the decision cache
    cache_key: bytes | None  # the profile's key, to keep a new answer in the cache
    lang: str  # of the decision's texts
    explained: bool  # explanations asked for


class Recorder:
    """Where decisions go: the decision log, the counters, the audit log and the cache."""

    def __init__(self, decision_log: DecisionLog, audit: AuditLog | None = None,
                 cache: DecisionCache | None = None) -> None:
        self.decision_log = decision_log
        self.audit = audit
        self.cache = cache

    def record_all(self, decided: Sequence[Decided], expires: float | None = None,
                   audit: bool = True) -> list[Answer]:
        """Record the decisions of a call; their answers. With
        --audit-durability sync, only once every one of their records is committed:
        Unavailable when one cannot be (nothing is answered unrecorded), at the
        latest when the call's deadline (`expires`, time.monotonic()) or SYNC_WAIT_SECONDS
        runs out. `audit=False` leaves them out of the audit log (a dry run: answered, logged
        and counted, but no decision of record)."""
        pending: list[Pending] = []
        ids: list[str] = []
        try:
            # The span holds the decision log line and the audit queueing; in sync mode, the
            # wait for the commit too.
            with tracing.span("ftgate.audit_write"):
                answers = [self.record(d, pending, ids, audit) for d in decided]
                for p in pending:
                    p.wait(_wait_seconds(expires))
        except AuditUnavailable as exc:
            raise Unavailable(f"not answered: the decision could not be recorded in the audit "
                              f"store ({exc}); try again") from None
        if tracing.tracer() is not None:
            tracing.decisions(ids, [enums.VERDICT.full(d.decision.verdict) for d in decided],
                              [d.decision.ruleset_version for d in decided])
        return answers

    def record(self, d: Decided, pending: list[Pending] | None = None,
               ids: list[str] | None = None, audit: bool = True) -> Answer:
        """Record a decision; its answer. Sync durability: what to wait
        on is appended to `pending` (AuditUnavailable when the store is known down); its
        decision id to `ids` when given. `audit=False`: not in the audit log (a dry run)."""
        decision_id = new_decision_id()
        if ids is not None:
            ids.append(decision_id)
        decision = d.decision
        cached = d.seconds is None
        self.decision_log.write(decision_id, decision.project_name, decision.verdict,
                                decision.outcome, len(decision.findings),
                                decision.ruleset_version,
                                0.0 if cached else round(d.seconds * 1000, 3),  # type: ignore[operator]
                                cached)
        metrics.count_decision(decision, d.seconds)
        if audit and self.audit is not None:
            entry = DecisionEntry(time.time(), decision_id, d.project, d.profile, decision)
            if self.audit.sync and pending is not None:
                pending.append(self.audit.record_durably(entry))
            else:
                self.audit.record(entry)
        if self.cache is not None and d.cache_key is not None:
            self.cache.put(d.policy, d.cache_key, d.profile, decision)
        return Answer(decision_id, decision, d.policy, d.lang, d.explained)


def _wait_seconds(expires: float | None) -> float:
    if expires is None:
        return SYNC_WAIT_SECONDS
    return max(0.0, min(SYNC_WAIT_SECONDS, expires - time.monotonic()))


_random_ids: list[bytes] = []
os.register_at_fork(after_in_child=_random_ids.clear)  # a forked child draws its own


def new_decision_id() -> str:
    """A random (version 4) UUID in its usual text form. os.urandom is read 4 KiB at a time: a
    system call per decision releases the GIL and makes the call wait to take it back; and the
    text is formatted directly (uuid.UUID's checks cost more than the rest of this function)
    (docs/performance.md)."""
    try:
        raw = _random_ids.pop()  # atomic under the GIL
    except IndexError:
        block = os.urandom(4096)
        _random_ids.extend(block[i:i + 16] for i in range(0, 4096, 16))
        raw = _random_ids.pop()
    h = (int.from_bytes(raw) & _CLEAR_VERSION | _VERSION_4).to_bytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# RFC 4122 version 4: version bits 0100 (byte 6), variant bits 10 (byte 8).
_CLEAR_VERSION = ~(0xF000 << 64 | 0xC000 << 48) & (1 << 128) - 1
_VERSION_4 = 0x4000 << 64 | 0x8000 << 48
