"""What each input feeds (engine/solving.py FEEDS) held to build_fact: on random profiles, a
changed input changes no fact of the fact without texts other than itself and those it feeds.
The counterfactual search leans on it: a profile that differs from one already tried in inputs
that feed nothing is probed on that one's fact, patched (engine/probes.py UNREAD), and a missing
input that changes none of the facts deciding where the walk stops is not tried value by value."""

from __future__ import annotations

import random

import pytest
from ftgate.engine.engine import Engine
from ftgate.engine.facts import Fact, build_fact
from ftgate.engine.probes import UNREAD, input_value, with_changes
from ftgate.engine.solving import FEEDS, affected
from ftgate.randomprofiles import valid_profiles
from ftgate.ruleset.vocabulary import FACTS

INPUTS = [name for name, spec in FACTS.items() if spec.path is not None]


def _changed(before: Fact, after: Fact) -> set[str]:
    """The facts (and exact figures) that differ."""
    names = {n for n in before.keys() | after.keys() if before.get(n) != after.get(n)}
    return names | {n for n in before.exact.keys() | after.exact.keys()
                    if before.exact.get(n) != after.exact.get(n)}


def test_a_changed_input_changes_only_what_it_feeds(engine: Engine) -> None:
    t = engine.ruleset.thresholds
    profiles = valid_profiles(1500, seed=31)
    rng = random.Random(31)
    fed: dict[str, set[str]] = {name: set() for name in INPUTS}
    for profile in profiles:
        before = build_fact(profile, t, texts=False)
        for name in INPUTS:
            # Another valid value: another profile's (None when it has none).
            value = input_value(rng.choice(profiles), name)
            after = build_fact(with_changes(profile, {name: value}), t, texts=False)
            changed = _changed(before, after)
            assert changed <= affected(name), (name, value, changed - affected(name))
            fed[name] |= changed - {name}
    # Each fact named as fed is fed on some profile (the table says no more than there is).
    assert {name: set(facts) for name, facts in FEEDS.items()} == {
        name: facts for name, facts in fed.items() if facts}
    assert {name for name in INPUTS if not fed[name]} == UNREAD


@pytest.mark.parametrize("seed", [41, 42])
def test_each_missing_field_outcome_holds(engine: Engine, seed: int) -> None:
    """Each value or range a missing field's outcome names gives that answer when the profile
    is decided again with it (the rule host, every other missing field still missing)."""
    checked = 0
    for profile in valid_profiles(600, seed):
        decision = engine.decide(profile, explain=True)
        for m in decision.explanations.missing_field_outcomes:
            name = next(n for n in INPUTS if (FACTS[n].path or n) == m.field)
            for o in m.outcomes:
                values = list(o.values) or [o.at_least if o.at_least is not None else 0.0]
                for value in values:
                    if name in ("quality_examples", "prompt_variations_tested",
                                "system_prompt_tokens", "requests_per_day"):
                        value = int(value)
                    again = engine.decide(with_changes(profile, {name: value}))
                    assert (again.verdict, again.outcome) == (o.verdict, o.outcome), (
                        profile, m.field, value)
                    checked += 1
    assert checked > 500  # (the property is not vacuous)
