"""Engine: holds the active compiled policy, evaluates profiles, swaps policies atomically."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from ftgate.domain.profile import Profile
from ftgate.domain.regression import RegressionReport, check_regression
from ftgate.engine.assemble import Assembler, Encoded
from ftgate.engine.durable_host import RuleHost, compile_condition
from ftgate.engine.facts import build_fact
from ftgate.ruleset import RuleSet, load_ruleset
from ftgate.ruleset.conditions import facts_of
from ftgate.v1 import advisor_pb2 as pb


@dataclass(frozen=True)
class CompiledPolicy:
    """A RuleSet and the durable-rules host compiled from it; never changes once built."""

    ruleset: RuleSet
    host: RuleHost
    assembler: Assembler

    def evaluate(self, profile: Profile, decision_id: str | None = None,
                 into: pb.Assessment | None = None) -> pb.Assessment:
        """The Assessment of `profile`; written into `into` (an empty message) when given."""
        fact = build_fact(profile, self.ruleset.thresholds)
        fired = self.host.fire(fact)
        return self.assembler.assemble(fact, fired, decision_id or new_decision_id(),
                                       profile.name, into)

    def encode(self, profile: Profile) -> Encoded:
        """The Assessment of `profile` in wire format, but its decision id (what the server
        sends: see Encoded), with its verdict, outcome and findings' kinds."""
        fact = build_fact(profile, self.ruleset.thresholds)
        return self.assembler.encode(fact, self.host.fire(fact), profile.name)


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


def compile_policy(ruleset: RuleSet) -> CompiledPolicy:
    """Compile every rule's condition into one durable-rules ruleset."""
    fields = sorted({name for r in ruleset.rules for name in facts_of(r.when)})
    keys = {name: f"f{i}" for i, name in enumerate(fields)}  # short keys: less JSON to parse
    rules = [(r.id, compile_condition(r.when, ruleset.thresholds, keys)) for r in ruleset.rules]
    return CompiledPolicy(ruleset, RuleHost(rules, keys), Assembler(ruleset))


def default_rules_dir() -> Path:
    """The rule files shipped with the package."""
    return Path(__file__).resolve().parent.parent / "rules"


class Engine:
    """Evaluates profiles against the active policy; `reload` swaps in a new one or keeps the old.

    Thread-safe: the active policy is replaced by one reference assignment, and a call keeps
    the policy it started with until it returns.
    """

    def __init__(self, rules_dir: str | Path | None = None) -> None:
        self.rules_dir = Path(rules_dir) if rules_dir else default_rules_dir()
        self._policy = compile_policy(load_ruleset(self.rules_dir))
        self._reload_lock = threading.Lock()

    @property
    def policy(self) -> CompiledPolicy:
        return self._policy

    @property
    def ruleset(self) -> RuleSet:
        return self._policy.ruleset

    def evaluate(self, profile: Profile, decision_id: str | None = None) -> pb.Assessment:
        return self._policy.evaluate(profile, decision_id)

    def reload(self) -> bool:
        """Load, validate and compile the rule files off to the side, then swap them in.

        Returns False when the files did not change. Raises RuleFileError (and keeps serving the
        last good policy) when they are broken.
        """
        with self._reload_lock:
            ruleset = load_ruleset(self.rules_dir)
            if ruleset.version == self._policy.ruleset.version:
                return False
            self._policy = compile_policy(ruleset)
            return True

    def check_regression(
        self,
        baseline: list[tuple[str, float]],
        candidate: list[tuple[str, float]],
        tolerance: float | None = None,
    ) -> RegressionReport:
        return check_regression(baseline, candidate, tolerance,
                                self.ruleset.thresholds["degradation_tolerance"])
