"""Decisions already made under the active policy, by the exact profile asked about.

A provisioning gate is asked about the same project again and again (every job of a pipeline,
every retry), and an Assessment is a pure function of the profile and the policy: the engine is
deterministic, and the decision id is the only part that differs from one call to the next. So
an Evaluate whose profile is byte for byte one already answered under the same policy gets that
answer again, with a new decision id, without validating or evaluating it again. The decision is
still logged, counted and audited like any other.

- the key is the profile's deterministic serialization (the project name included: the answer
  echoes it); a profile encoded differently is only a miss, never a wrong answer;
- entries belong to one compiled policy: a reload starts an empty cache, so an answer never
  outlives the rules that made it;
- at most `capacity` entries per worker, least recently used out first (about 2 KB each);
- only answers are kept: a request that fails validation is validated again every time.

`ftgate serve --decision-cache N` sets the capacity (0: off). docs/performance.md measures both
paths: repeated profiles, and profiles never seen before (every call a miss).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ftgate.domain.profile import Profile
from ftgate.engine.engine import CompiledPolicy
from ftgate.obs.logging import DecisionFields
from ftgate.obs.operations import DECISION_CACHE_HITS, DECISION_CACHE_MISSES


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """An answer without its decision id (its other fields in wire format), and what a hit
    needs besides: the validated profile (for the audit log), the counters the decision moves,
    the fields of its log line."""

    profile: Profile
    encoded: bytes
    counters: tuple[Any, ...]
    log_fields: DecisionFields


class DecisionCache:
    """Answers (without their decision id) by serialized ProjectProfile, for one policy."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._policy: CompiledPolicy | None = None
        self._entries: OrderedDict[bytes, CachedAnswer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, policy: CompiledPolicy, key: bytes) -> CachedAnswer | None:
        """The answer of `key` under `policy`, or None."""
        with self._lock:
            if policy is not self._policy:
                self._policy = policy
                self._entries.clear()
                entry = None
            else:
                entry = self._entries.get(key)
                if entry is not None:
                    self._entries.move_to_end(key)
        (DECISION_CACHE_MISSES if entry is None else DECISION_CACHE_HITS).inc()
        return entry

    def put(self, policy: CompiledPolicy, key: bytes, profile: Profile, encoded: bytes,
            counters: tuple[Any, ...], log_fields: DecisionFields) -> None:
        """Keep an answer decided under `policy`: `encoded`, its fields but the decision id
        (engine.assemble.Encoded.body), with the counters and log fields worked out when it
        was decided."""
        entry = CachedAnswer(profile, encoded, counters, log_fields)
        with self._lock:
            if self._policy is None:
                self._policy = policy
            elif policy is not self._policy:  # the policy changed while this one was decided
                return
            self._entries[key] = entry
            if len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
