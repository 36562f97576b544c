"""The Python matcher of the counterfactual search (engine/matching.py) gives the rule host's
answer: the same rules fire, on thousands of random profiles and on every boundary of the
boundary table (figures on a threshold, a hair either side of it), and the walk stops at the
same place; so does the durable-rules ruleset of the step rules alone that verifies each
counterfactual (CompiledPolicy.walk)."""

from __future__ import annotations

import pytest
from boundary_cases import Boundary, boundary_cases
from ftgate.engine import Engine
from ftgate.engine.engine import default_rules_dir
from ftgate.engine.facts import Fact, build_fact
from ftgate.engine.matching import RuleMatcher
from ftgate.randomprofiles import valid_profiles
from ftgate.ruleset import load_ruleset

RULESET = load_ruleset(default_rules_dir())
CASES = boundary_cases(RULESET)


@pytest.fixture(scope="module")
def every_rule() -> RuleMatcher:
    return RuleMatcher([(r.id, r.when) for r in RULESET.rules], RULESET.thresholds)


def _same_as_the_host(engine: Engine, matcher: RuleMatcher, profile: object) -> None:
    policy = engine.policy
    fact = build_fact(profile, RULESET.thresholds)  # type: ignore[arg-type]
    fired = policy.host.fire(fact)
    assert sorted(matcher.fire(fact)) == sorted(fired), profile
    # What the search asks: the walk, on a fact without texts, matched on the step rules.
    assert policy.probe(profile).stop == policy.explainer.stop(fact, fired)  # type: ignore[arg-type]
    # What its verification asks: the walk decided by the step rules' own durable-rules
    # ruleset, which fires the step rules the whole ruleset fires.
    step_rules = {r for step in RULESET.steps for r in step.blocked_by}
    assert sorted(policy.walk_host.fire(fact)) == sorted(r for r in fired if r in step_rules)
    assert policy.walk(fact) == policy.explainer.stop(fact, fired)


def test_random_profiles(engine: Engine, every_rule: RuleMatcher) -> None:
    profiles = valid_profiles(4000, seed=31)
    for profile in profiles:
        _same_as_the_host(engine, every_rule, profile)
    assert len(profiles) > 3000


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_boundaries(engine: Engine, every_rule: RuleMatcher, case: Boundary) -> None:
    _same_as_the_host(engine, every_rule, case.domain())


def test_figures_whose_double_sits_on_a_threshold(engine: Engine,
                                                 every_rule: RuleMatcher) -> None:
    """Figures a hair off a threshold whose nearest double is the threshold: compared as their
    doubles, some rules would answer otherwise; the matcher compares the doubles the ordering
    gives them, as the rule host does."""
    unordered = 0
    for case in CASES:
        fact = build_fact(case.domain(), RULESET.thresholds)
        if not fact.exact:
            continue
        fired = sorted(engine.policy.host.fire(fact))
        assert sorted(every_rule.fire(fact)) == fired, case.name
        plain = Fact(fact)  # the same figures, their exact decimals forgotten
        unordered += sorted(every_rule.fire(plain)) != fired
    assert unordered > 0
