"""What an explainer keeps stays bounded on profiles never seen before: the alternatives whose
rationale reads the profile are kept once per alternative, triggers and details (each with its
rendered texts), not once per set of fired rules, of which random profiles bring thousands."""

from __future__ import annotations

import gc

from ftgate.engine import Engine
from ftgate.engine.engine import compile_policy
from ftgate.engine.explain import _PendingAlternative
from ftgate.randomprofiles import valid_profiles


def _pending_alternatives() -> int:
    gc.collect()
    return sum(type(o) is _PendingAlternative for o in gc.get_objects())


def test_pending_alternatives_do_not_grow_with_new_profiles(engine: Engine) -> None:
    policy = compile_policy(engine.ruleset)
    profiles = valid_profiles(6000, seed=3)
    before = _pending_alternatives()
    counts = []
    for start in range(0, len(profiles), 1500):
        for profile in profiles[start:start + 1500]:
            policy.decide(profile)
        counts.append(_pending_alternatives() - before)
    # (kept once per shape, they were 2,225, 3,956, 5,427 and 6,835 after each 1,500)
    assert counts[-1] < 500, counts
    assert counts[-1] - counts[-2] < 100, counts
