"""bench/engines.py compares ftgate's engine with other rules engines on the same policy: its
translations of the rule files must name, on every fact, the rules durable-rules names, or
the comparison measures another policy. Held on random profiles and on every boundary case
(figures on a threshold, a hair either side of it), where ZEN alone answers otherwise, and
only on facts with a number it reads as another; and each operator's translation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from boundary_cases import boundary_cases
from ftgate.engine import Engine
from ftgate.engine.facts import build_fact
from ftgate.errors import InvalidInput

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import engines as bench

pytestmark = pytest.mark.slow  # (rule-engine takes ~3 ms a fact)


def test_random_profiles(engine: Engine) -> None:
    facts = bench.facts(engine, 1500, seed=41)
    assert bench.disagreements(engine, facts) == ([], [])
    # (not a comparison of empty answers: most facts fire rules)
    assert sum(bool(engine.policy.host.fire(f)) for f in facts) > len(facts) * 0.9


def test_boundaries(engine: Engine) -> None:
    facts: list[dict[str, Any]] = []
    for case in boundary_cases(engine.ruleset):
        try:
            facts.append(build_fact(case.domain(), engine.ruleset.thresholds))
        except InvalidInput:
            continue
    assert len(facts) > 100
    wrong, zen_rounded = bench.disagreements(engine, facts)
    assert wrong == []
    # ZEN reads a double a hair from a threshold as the threshold: answered otherwise, counted
    assert zen_rounded


def test_a_translation_that_differs_is_found(engine: Engine,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: an engine given `<` for `<=` is caught on the boundary facts."""
    monkeypatch.setitem(bench._OPERATORS, "lte", "<")
    monkeypatch.setitem(bench._OPERATORS, "gte", ">")
    facts = [build_fact(case.domain(), engine.ruleset.thresholds)
             for case in boundary_cases(engine.ruleset)[:400] if _valid(case)]
    assert bench.disagreements(engine, facts)[0]


def test_every_operator_is_translated() -> None:
    """Each comparison of the rule files' language has its translation, absent facts
    matching none of them."""
    ops = {"eq": 1, "ne": 1, "lt": 2, "lte": 1, "gt": 0, "gte": 1}
    for op, value in ops.items():
        text = bench.expression({"fact": "x", op: value}, {}, "{item} in {name}")
        assert text.startswith("(x != null and x ") and text.endswith(f" {value})"), text
    assert bench.expression({"fact": "x", "in": ["A", "B"]}, {}, "") == '(x == "A" or x == "B")'
    assert bench.expression({"fact": "s", "contains": "A"}, {}, "{item} in {name}") == \
        '(s != null and "A" in s)'
    assert bench.expression({"fact": "x", "lt": {"fact": "y"}}, {}, "") == \
        "(x != null and y != null and x < y)"
    assert bench.expression({"fact": "x", "gte": {"threshold": "t"}}, {"t": 0.25}, "") == \
        "(x != null and x >= 0.25)"


def _valid(case: Any) -> bool:
    try:
        case.domain()
    except InvalidInput:
        return False
    return True

