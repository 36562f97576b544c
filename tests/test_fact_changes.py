"""The fact of a changed profile derived from the fact it changes (engine/fact_changes.py), held
to build_fact: on random profiles and the boundary rows, with changes of one to five inputs
taken from other profiles (the boundary rows' values land on the thresholds), the derived fact
has build_fact's keys, values (and their types), and exact values. The counterfactual search
probes the profiles it tries on these facts."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

import pytest
from boundary_cases import boundary_cases
from ftgate.domain.profile import Profile
from ftgate.engine.engine import Engine
from ftgate.engine.fact_changes import _GROUPS, FactChanges
from ftgate.engine.facts import Fact, build_fact
from ftgate.engine.probes import input_value, with_changes
from ftgate.engine.solving import FEEDS
from ftgate.errors import InvalidInput
from ftgate.randomprofiles import valid_profiles
from ftgate.ruleset.vocabulary import FACTS

INPUTS = [name for name, spec in FACTS.items() if spec.path is not None]


def _boundary_profiles(engine: Engine) -> list[Profile]:
    out = []
    for case in boundary_cases(engine.ruleset):
        try:
            out.append(case.domain())
        except InvalidInput:
            continue
    return out


def _same(derived: Fact | None, built: Fact, where: Any) -> None:
    assert derived is not None, where
    assert dict(derived) == dict(built), where
    assert {n: type(v) for n, v in derived.items()} == {n: type(v) for n, v in built.items()}
    assert [math.copysign(1, derived[n]) for n in built if type(built[n]) is float] == \
        [math.copysign(1, built[n]) for n in built if type(built[n]) is float], where
    assert {n: derived.exact[n] for n in derived.exact} == dict(built.exact), where
    assert not derived.in_decimal


def _changes(rng: random.Random, donors: list[Profile]) -> Iterator[dict[str, Any]]:
    """Changes of one to five inputs, each to another profile's value (None: absent)."""
    while True:
        names = rng.sample(INPUTS, rng.randint(1, 5))
        changes = {name: input_value(rng.choice(donors), name) for name in names}
        if changes.get("symptoms", ()) is None:
            del changes["symptoms"]
        if changes:
            yield changes


def _check(engine: Engine, profiles: list[Profile], donors: list[Profile], tries: int,
           seed: int) -> int:
    t = engine.ruleset.thresholds
    rng = random.Random(seed)
    checked = 0
    changes = _changes(rng, donors)
    for profile in profiles:
        source = build_fact(profile, t, texts=rng.random() < 0.5)
        if source.in_decimal:
            assert FactChanges(source, t).fact({"goal": None}) is None
            continue
        derived = FactChanges(source, t)  # (one per profile, as the search keeps it)
        for _ in range(tries):
            change = next(changes)
            built = build_fact(with_changes(profile, change), t, texts=False)
            got = derived.fact(change)
            if built.in_decimal:  # (a number outside the ratios' window: built instead)
                assert got is None, change
                continue
            _same(got, built, (profile, change))
            checked += 1
    return checked


def test_random_changes_of_random_profiles(engine: Engine) -> None:
    profiles = valid_profiles(1500, seed=211)
    assert _check(engine, profiles, profiles, tries=12, seed=211) > 10_000


def test_changes_onto_the_boundaries(engine: Engine) -> None:
    """Random profiles changed to the boundary rows' values, and the boundary rows changed to
    random profiles' and to one another's."""
    random_ones = valid_profiles(600, seed=223)
    boundary = _boundary_profiles(engine)
    assert len(boundary) > 100
    checked = _check(engine, random_ones, boundary, tries=12, seed=223)
    checked += _check(engine, boundary, random_ones + boundary, tries=12, seed=227)
    assert checked > 8_000


def test_a_number_outside_the_window_is_built(engine: Engine) -> None:
    """A changed number the ratios cannot read: the fact is built from the profile (in
    decimal), not derived."""
    t = engine.ruleset.thresholds
    profile = next(p for p in valid_profiles(200, seed=5)
                   if p.economics.requests_per_day is not None
                   and p.economics.savings_per_request_usd is not None)
    derived = FactChanges(build_fact(profile, t), t)
    assert derived.fact({"savings_per_request_usd": 1e-12}) is None
    assert build_fact(with_changes(profile, {"savings_per_request_usd": 1e-12}), t).in_decimal
    _same(derived.fact({"savings_per_request_usd": 0.25}),
          build_fact(with_changes(profile, {"savings_per_request_usd": 0.25}), t, texts=False),
          "back in the window")


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_the_groups_are_the_derived_facts(name: str) -> None:
    """Every derived fact an input feeds is in one group computed again (engine/solving.py
    FEEDS, held to build_fact by tests/test_feeds.py)."""
    grouped = {key for keys, _ in _GROUPS for key in keys}
    assert FEEDS[name] <= grouped
    assert grouped == set().union(*FEEDS.values())
