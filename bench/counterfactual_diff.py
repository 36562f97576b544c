"""The explanations (counterfactuals, `fine_tune_unreachable`, missing-field outcomes) of
thousands of seeded random profiles, written to a file, or compared with such a file written by
another revision of the engine: the count of profiles whose explanations differ, by kind.

    .venv/bin/python bench/counterfactual_diff.py --write before.json [--count 5000]
    .venv/bin/python bench/counterfactual_diff.py --against before.json [--count 5000]

`--lang fr`: the sentences in French (default English).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from ftgate.api import convert
from ftgate.engine import Engine
from ftgate.errors import InvalidInput
from ftgate.randomprofiles import random_profiles


def explanations(count: int, seed: int, lang: str = "en") -> list[Any]:
    """Per random profile (None when it does not pass validation), its explanations as data."""
    engine = Engine()
    out: list[Any] = []
    for msg in random_profiles(count, seed):
        try:
            profile = convert.profile_from_proto(msg)
        except InvalidInput:
            out.append(None)
            continue
        e = engine.decide(profile, explain=True, lang=lang).explanations
        out.append(json.loads(json.dumps(dataclasses.asdict(e), default=repr)))
    return out


def differences(before: list[Any], after: list[Any]) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for b, a in zip(before, after, strict=True):
        if b == a:
            continue
        for part in ("counterfactuals", "fine_tune_unreachable", "missing_field_outcomes"):
            if b[part] != a[part]:
                kinds[part] += 1
    return kinds


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--count", type=int, default=5000)
    p.add_argument("--seed", type=int, default=20261207)
    p.add_argument("--lang", default="en", choices=("en", "fr"))
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path)
    group.add_argument("--against", type=Path)
    args = p.parse_args()
    found = explanations(args.count, args.seed, args.lang)
    if args.write:
        args.write.write_text(json.dumps(found))
        print(f"{sum(f is not None for f in found)} profiles written to {args.write}")
        return 0
    before = json.loads(args.against.read_text())
    kinds = differences(before, found)
    changed = sum(1 for b, a in zip(before, found, strict=True) if b != a)
    print(json.dumps({"profiles": sum(f is not None for f in found),
                      "profiles_that_differ": changed, "by_part": dict(kinds)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
