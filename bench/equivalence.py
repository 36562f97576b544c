"""Identical answers, two ways.

The engine and the plain-Python floor give identical Decisions on random profiles:
    .venv/bin/python bench/equivalence.py [--seed 1] [--count 3000]
Backs docs/performance.md (the floor as a replacement for durable-rules on the request path).

Two revisions' servers give identical answers: `ftgate serve` of a git revision (default: the
merge base with main) and of this tree, on the rule-table cases (also with explanations, and in
French) and on seeded random profiles (tests/randomprofiles.py), each asked over gRPC (the
response's bytes, decision id aside) and over HTTP (the JSON, decision id aside; bad input: the
status and the error body):
    .venv/bin/python bench/equivalence.py servers [--base REV] [--count 10000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from floor import FloorPolicy
from ftgate.domain import profile as P
from ftgate.engine import Engine
from ftgate.engine.facts import build_fact

T = TypeVar("T")


def random_profile(rnd: random.Random) -> P.Profile:
    """Every field absent one time in five; values around the thresholds of the rule files."""
    def maybe(gen: Callable[[], T]) -> T | None:
        return gen() if rnd.random() < 0.8 else None

    def pick(values: tuple[T, ...] | list[T]) -> Callable[[], T]:
        return lambda: rnd.choice(values)

    def flag(p: float) -> Callable[[], bool]:
        return lambda: rnd.random() < p

    return P.Profile(
        name=rnd.choice(["", "x", "proj"]),
        task_type=maybe(pick(P.TASK_TYPES)), goal=maybe(pick(P.GOALS)),
        domain=maybe(pick(P.DOMAINS)),
        quality_examples=maybe(pick([0, 50, 100, 300, 499, 500, 1000, 2000, 4999, 5000, 20000])),
        data_change_frequency=maybe(pick(P.CHANGE_FREQUENCIES)),
        prompt_engineering=P.PromptEngineering(maybe(pick([0, 2, 4, 5, 9])), maybe(flag(0.7)),
                                               maybe(flag(0.7))),
        base_model_score=maybe(pick([0.0, 0.5, 0.8, 0.9, 1.0])),
        target_score=maybe(pick([0.0, 0.5, 0.8, 0.9, 1.0])),
        base_model_meets_target=maybe(flag(0.5)), dedicated_model=maybe(flag(0.6)),
        planned_method=maybe(pick(P.TUNING_METHODS)),
        economics=P.Economics(
            maybe(pick([0.0, 1000.0, 9999.0, 10000.0, 49999.0, 50000.0, 100001.0, 1e7])),
            maybe(pick([0.0, 0.002, 0.01, 0.011, 0.5])),
            maybe(pick([0.0, 3000.0, 15000.0, 1e6])), maybe(pick([0.0, 500.0, 4000.0]))),
        symptoms=tuple(rnd.sample(P.SYMPTOMS, rnd.randint(0, 3))),
        prompt=P.PromptInfo(maybe(pick([0, 1023, 1024, 5000])), maybe(flag(0.5))),
        needs_external_actions=maybe(flag(0.5)),
    )


def main() -> int:
    if sys.argv[1:2] == ["servers"]:
        from revisions import main as servers

        return servers(sys.argv[2:])
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--count", type=int, default=3000)
    args = p.parse_args()
    engine = Engine()
    floor = FloorPolicy(engine.ruleset)
    rnd = random.Random(args.seed)
    for i in range(args.count):
        profile = random_profile(rnd)
        a, b = engine.decide(profile), floor.decide(profile)
        if a != b:
            fact = build_fact(profile, engine.ruleset.thresholds)
            print(f"profile {i} differs: {profile}\nengine fired: "
                  f"{engine.policy.host.fire(fact)}\nfloor fired: {floor.fire(fact)}")
            return 1
    print(f"identical on {args.count} random profiles (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
