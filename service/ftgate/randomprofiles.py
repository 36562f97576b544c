"""Seeded random ProjectProfile messages: every field present or absent, values around the
thresholds of the shipped rules and across their whole valid range, for property tests and for
the benchmarks' profiles never seen before (bench/loadgen.py, bench/random_stages.py)."""

from __future__ import annotations

import random

from ftgate import enums
from ftgate.api import convert
from ftgate.domain.profile import Profile
from ftgate.errors import InvalidInput
from ftgate.v1 import advisor_pb2 as pb

_VOLUMES = (0, 1, 500, 9_999, 10_000, 10_001, 20_000, 49_999, 50_000, 100_000, 100_001, 250_000)
_SAVINGS = (0.0, 0.0001, 0.002, 0.0023, 0.003, 0.009, 0.01, 0.011, 0.02, 0.5)
_MONEY = (0.0, 100.0, 1_500.0, 3_000.0, 9_936.0, 15_000.0, 30_000.0, 40_000.0, 1e6)
_EXAMPLES = (0, 50, 99, 100, 300, 499, 500, 501, 2_000, 4_999, 5_000, 20_000, 10**6)


def _pick(rng: random.Random, choices: tuple[float, ...], low: float, high: float) -> float:
    return rng.choice(choices) if rng.random() < 0.7 else rng.uniform(low, high)


def random_profile(rng: random.Random) -> pb.ProjectProfile:
    """One profile; about half of the fields set, each independently."""
    p = pb.ProjectProfile()

    def maybe() -> bool:  # a coin, weighted towards "present"
        return rng.random() < 0.75

    if maybe():
        p.name = rng.choice(("", "faq", "support-classifier", "projet été", "x" * 40))
    for field, table in enums.PROFILE_FIELDS.items():
        if field == "symptoms":
            if rng.random() < 0.4:
                p.symptoms.extend(rng.sample([enums.SYMPTOM.number(s) for s in table.names],
                                             rng.randint(1, 3)))
        elif maybe():
            setattr(p, field, rng.randint(1, len(table.names)))
    if maybe():
        p.quality_examples = int(rng.choice(_EXAMPLES) if rng.random() < 0.8
                                 else rng.randint(0, 100_000))
    if maybe():
        pe = p.prompt_engineering
        if maybe():
            pe.prompt_variations_tested = rng.randint(0, 12)
        if maybe():
            pe.few_shot_tried = rng.random() < 0.6
        if maybe():
            pe.more_capable_model_tried = rng.random() < 0.6
    if rng.random() < 0.5:
        p.base_model_score = round(rng.uniform(0, 1), 2)
        if maybe():
            p.target_score = round(rng.uniform(0, 1), 2)
    if maybe():
        p.base_model_meets_target = rng.random() < 0.3
    if maybe():
        p.dedicated_model = rng.random() < 0.7
    if maybe():
        ec = p.economics
        if maybe():
            ec.requests_per_day = _pick(rng, _VOLUMES, 0, 500_000)
        if maybe():
            ec.savings_per_request_usd = _pick(rng, _SAVINGS, 0, 0.05)
        if maybe():
            ec.investment_usd = _pick(rng, _MONEY, 0, 100_000)
        if maybe():
            ec.retraining_cost_usd = _pick(rng, _MONEY, 0, 20_000)
    if maybe():
        if maybe():
            p.prompt.system_prompt_tokens = rng.choice((0, 500, 1_023, 1_024, 1_025, 4_000))
        if maybe():
            p.prompt.prompt_is_repeated = rng.random() < 0.5
    if maybe():
        p.needs_external_actions = rng.random() < 0.3
    if rng.random() < 0.6:  # a team that did its homework: the walk goes past step 1
        pe = p.prompt_engineering
        pe.prompt_variations_tested = max(pe.prompt_variations_tested, 5)
        pe.few_shot_tried = pe.more_capable_model_tried = True
        p.ClearField("target_score")
        p.base_model_meets_target = False
        if rng.random() < 0.5:
            p.goal = rng.choice((pb.GOAL_STYLE, pb.GOAL_FORMAT, pb.GOAL_BEHAVIOR))
    return p


def random_profiles(count: int, seed: int = 20261201) -> list[pb.ProjectProfile]:
    rng = random.Random(seed)
    return [random_profile(rng) for _ in range(count)]


def valid_profiles(count: int, seed: int = 20261201) -> list[Profile]:
    """The profiles of `random_profiles(count, seed)` that pass validation, validated (the
    others are left out)."""
    out = []
    for msg in random_profiles(count, seed):
        try:
            out.append(convert.profile_from_proto(msg))
        except InvalidInput:
            continue
    return out
