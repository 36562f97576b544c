"""Decisions already made under the active policy, by the exact profile asked about.

A provisioning gate is asked about the same project again and again (every job of a pipeline,
every retry), and a Decision is a pure function of the profile and the policy: the engine is
deterministic, and the decision id is the only part of the answer that differs from one call to
the next. So a profile that is byte for byte one already answered under the same policy gets that
answer again, with a new decision id, without validating or evaluating it again. What is kept is
the typed Decision (api/answer.py): each door writes it in its own format. The decision is
still logged, counted and audited like any other (api/record.py).

- the key is the profile's deterministic serialization, unknown fields dropped (the project name
  included: the answer echoes it); a profile encoded differently is only a miss, never a wrong
  answer;
- entries belong to one compiled policy: a reload starts an empty cache, so an answer never
  outlives the rules that made it;
- at most `capacity` entries and `max_bytes` of keys and answers per worker, least recently used
  out first;
- only answers are kept: a request that fails validation is validated again every time.

`ftgate serve --decision-cache N` sets the capacity (0: off). docs/performance.md measures both
paths: repeated profiles, and profiles never seen before (every call a miss).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from ftgate.domain.decision import Decision
from ftgate.domain.profile import Profile
from ftgate.engine import CompiledPolicy
from ftgate.obs.operations import DECISION_CACHE_HITS, DECISION_CACHE_MISSES

_ENTRY_OVERHEAD_BYTES = 600  # the objects around an entry's key and answer, roughly
# What a Decision holds of its own, roughly: most of its objects (findings, steps, the plan) are
# the explainer's, shared by every answer that has them; explanations are its own.
_DECISION_BYTES = 2048
_EXPLANATION_BYTES = 1024


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """A decision (an answer but its id), and the validated profile (for the audit log)."""

    profile: Profile
    decision: Decision
    size: int  # bytes counted against the cache's budget


class DecisionCache:
    """Answers (without their decision id) by serialized ProjectProfile, for one policy."""

    def __init__(self, capacity: int, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.capacity = capacity
        self.max_bytes = max_bytes
        self.size_bytes = 0
        self._policy: CompiledPolicy | None = None
        self._entries: OrderedDict[bytes, CachedAnswer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, policy: CompiledPolicy, key: bytes) -> CachedAnswer | None:
        """The answer of `key` under `policy`, or None."""
        with self._lock:
            if policy is not self._policy:
                self._policy = policy
                self._entries.clear()
                self.size_bytes = 0
                entry = None
            else:
                entry = self._entries.get(key)
                if entry is not None:
                    self._entries.move_to_end(key)
        (DECISION_CACHE_MISSES if entry is None else DECISION_CACHE_HITS).inc()
        return entry

    def put(self, policy: CompiledPolicy, key: bytes, profile: Profile,
            decision: Decision) -> None:
        """Keep an answer decided under `policy` (not when the policy changed meanwhile, nor
        one larger than a tenth of the byte budget)."""
        size = len(key) + _ENTRY_OVERHEAD_BYTES + _decision_size(decision)
        if size * 10 > self.max_bytes:
            return
        entry = CachedAnswer(profile, decision, size)
        with self._lock:
            if self._policy is None:
                self._policy = policy
            elif policy is not self._policy:  # the policy changed while this one was decided
                return
            old = self._entries.pop(key, None)
            if old is not None:
                self.size_bytes -= old.size
            self._entries[key] = entry
            self.size_bytes += size
            while len(self._entries) > self.capacity or self.size_bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self.size_bytes -= evicted.size

    def __len__(self) -> int:
        return len(self._entries)


def _decision_size(decision: Decision) -> int:
    """The bytes a cached Decision is counted for (an estimate: see _DECISION_BYTES)."""
    e = decision.explanations
    return (_DECISION_BYTES + len(decision.project_name)
            + _EXPLANATION_BYTES * (len(e.counterfactuals) + len(e.missing_field_outcomes)))
