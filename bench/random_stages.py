"""The stages of an evaluation timed on profiles never seen before: seeded random profiles
(ftgate.randomprofiles), each evaluated once per stage and round by a freshly compiled policy,
so that no cache of the policy (rendered texts, the byte writer's heads) holds its figures.

    .venv/bin/python bench/random_stages.py [--count N] [--seed S] [--memory N]

CPU time per call (time.process_time_ns, so that other processes on the machine weigh less than
on the wall clock), the least of 3 rounds per profile; medians, p99 and maximum per stage, and
the verdicts the profiles reached.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ftgate.api import convert
from ftgate.engine import Engine
from ftgate.engine.engine import compile_policy
from ftgate.engine.facts import build_fact
from ftgate.errors import InvalidInput
from ftgate.randomprofiles import random_profile, valid_profiles
from ftgate.server.grpc import assessments


def _percentile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * len(ordered)))] / 1000


def _summary(spent: list[int]) -> dict[str, float]:
    return {"median_us": _percentile(spent, 0.5), "p99_us": _percentile(spent, 0.99),
            "max_us": max(spent) / 1000, "mean_us": round(sum(spent) / len(spent) / 1000, 1)}


def stages(count: int, seed: int, rounds: int = 3) -> dict[str, Any]:
    """Each stage's CPU time per profile: the stages of one profile back to back (a change in
    the machine's load falls on all of them alike), each by its own policy, compiled afresh
    for every round; per stage and profile, the least of the rounds."""
    engine = Engine()
    profiles = valid_profiles(count, seed)
    thresholds = engine.ruleset.thresholds
    clock = time.process_time_ns
    names = ("build_fact", "decide", "answer_bytes", "decide_explained")
    best = {name: [1 << 62] * len(profiles) for name in names}
    for _ in range(rounds):
        decide, explained, answer = (compile_policy(engine.ruleset) for _ in range(3))
        writer = assessments.writer_for(answer)
        calls: dict[str, Callable[[Any], object]] = {
            "build_fact": lambda p: build_fact(p, thresholds),
            "decide": decide.decide,
            "answer_bytes": lambda p: writer.body(answer.decide(p)),  # noqa: B023
            "decide_explained": lambda p: explained.decide(p, explain=True),  # noqa: B023
        }
        for i, profile in enumerate(profiles):
            for name, call in calls.items():
                t0 = clock()
                call(profile)
                spent = clock() - t0
                if spent < best[name][i]:
                    best[name][i] = spent
    out: dict[str, Any] = {"profiles": len(profiles), "seed": seed, "rounds": rounds,
                           **{name: _summary(best[name]) for name in names}}
    ratios = sorted(e / d for e, d in zip(best["decide_explained"], best["decide"],
                                          strict=True))
    out["explained_over_decide_median"] = round(
        out["decide_explained"]["median_us"] / out["decide"]["median_us"], 2)
    out["explained_over_decide_p99"] = round(
        out["decide_explained"]["p99_us"] / out["decide"]["p99_us"], 2)
    out["explained_over_decide_per_profile_median"] = round(ratios[len(ratios) // 2], 2)
    out["verdicts"] = dict(Counter(
        f"{d.verdict}:{d.outcome}" for d in map(engine.decide, profiles)).most_common())
    return out


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory(evals: int, seed: int) -> dict[str, Any]:
    """RSS over `evals` never-seen profiles, each generated, validated, decided and written as
    the server answers it (the Decision, then its bytes) by one policy; sampled every 10,000."""
    policy = compile_policy(Engine().ruleset)
    writer = assessments.writer_for(policy)
    rng = random.Random(seed)
    samples: list[int] = []
    done = 0
    cpu0 = time.process_time()
    while done < evals:
        try:
            profile = convert.profile_from_proto(random_profile(rng))
        except InvalidInput:
            continue
        writer.body(policy.decide(profile))
        done += 1
        if done % 10_000 == 0 or done == 1000:
            gc.collect()
            samples.append(_rss_kib())
    first, half, last = samples[0], samples[len(samples) // 2], samples[-1]
    return {"evaluations": evals, "seed": seed, "rss_kib_after_1000": first,
            "rss_kib_half_way": half, "rss_kib_after": last, "rss_kib_max": max(samples),
            "rss_growth_pct": round((last - first) / first * 100, 2),
            # (the caches of the policy fill in the first tens of thousands: then flat?)
            "rss_growth_second_half_pct": round((last - half) / half * 100, 2),
            "rss_kib_every_10000": samples[1:],
            "cpu_us_per_eval_with_generation": round(
                (time.process_time() - cpu0) / evals * 1e6, 1)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--count", type=int, default=5000)
    p.add_argument("--seed", type=int, default=20261207)
    p.add_argument("--memory", type=int, default=0, metavar="N",
                   help="also RSS over N never-seen evaluations")
    args = p.parse_args()
    result = stages(args.count, args.seed)
    if args.memory:
        result["memory"] = memory(args.memory, args.seed + 1)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
