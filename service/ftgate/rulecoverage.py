"""What the rule test tables exercise: which rules fired, which tree branches were taken (each
step passed, each step blocked) and which alternatives were proposed, over every case.

`ftgate rules test --coverage` prints it; `--min-coverage N` fails under N % of all items.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ftgate import enums
from ftgate.api import convert
from ftgate.assessment import to_message
from ftgate.engine import Engine
from ftgate.errors import InvalidInput
from ftgate.ruletest import Case, profile_message
from ftgate.v1 import advisor_pb2 as pb

KINDS = ("rule", "branch", "alternative")


@dataclass(frozen=True, slots=True)
class Item:
    kind: str  # one of KINDS
    name: str  # a rule id, "step 3 passed" / "step 3 blocked", an alternative kind
    covered: bool


@dataclass(frozen=True, slots=True)
class Coverage:
    items: tuple[Item, ...]

    def count(self, kind: str | None = None) -> tuple[int, int]:
        """(covered, total) of one kind, or of all."""
        items = [i for i in self.items if kind is None or i.kind == kind]
        return sum(i.covered for i in items), len(items)

    @property
    def percent(self) -> float:
        covered, total = self.count()
        return 100.0 * covered / total if total else 100.0

    def report(self) -> str:
        """`rules 20/20 · tree branches 11/12 · alternatives 9/9 · total 40/41 (97.6 %)`, then
        each item not covered."""
        parts = []
        for kind, label in zip(KINDS, ("rules", "tree branches", "alternatives"), strict=True):
            covered, total = self.count(kind)
            parts.append(f"{label} {covered}/{total}")
        covered, total = self.count()
        lines = [f"coverage: {' · '.join(parts)} · total {covered}/{total} "
                 f"({self.percent:.1f} %)"]
        lines += [f"  not covered: {i.kind} {i.name}" for i in self.items if not i.covered]
        return "\n".join(lines) + "\n"


def _seen(a: pb.Assessment) -> set[tuple[str, str]]:
    seen = {("rule", f.rule_id) for f in a.findings}
    seen |= {("rule", r) for alt in a.alternatives for r in alt.rule_ids}
    seen |= {("alternative", enums.ALTERNATIVE_KIND.short(alt.kind)) for alt in a.alternatives}
    for i, step in enumerate(a.decision_path):
        stopped = i == len(a.decision_path) - 1 and a.verdict == pb.VERDICT_DO_NOT_FINE_TUNE
        seen.add(("branch", f"step {step.step} {'blocked' if stopped else 'passed'}"))
    return seen


def measure(engine: Engine, cases: Iterable[Case]) -> Coverage:
    """The coverage of `cases` over the engine's ruleset (a case whose profile is invalid
    exercises nothing)."""
    seen: set[tuple[str, str]] = set()
    for case in cases:
        try:
            profile = convert.profile_from_proto(profile_message(case.profile))
        except (InvalidInput, ValueError):
            continue
        seen |= _seen(to_message(engine.decide(profile), ""))
    rs = engine.ruleset
    wanted = [("rule", r.id) for r in rs.rules]
    wanted += [("branch", f"step {s.step} {b}") for s in rs.steps for b in ("passed", "blocked")]
    wanted += [("alternative", a.kind) for a in rs.alternatives]
    return Coverage(tuple(Item(kind, name, (kind, name) in seen) for kind, name in wanted))
