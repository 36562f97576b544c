"""The fact (without texts) of a profile changed in a few inputs, derived from the fact of the
profile it changes: a copy with those inputs set, and only the groups of derived figures they
feed (engine/solving.py FEEDS) computed again, the others kept with their exact values. Equal
to what `build_fact(..., texts=False)` builds for the changed profile, `Fact.exact` included
(tests/test_fact_changes.py holds the two equal on random changes and at the boundaries); at a
fraction of its cost, as most changes feed one group and the profile is not read again. The
counterfactual search probes the profiles it tries so (engine/counterfactuals.py).

The keys of the groups computed again come last (build_fact puts them in its order): nothing
reads a fact in order (the rule host writes the facts it sends in its own field order, the
Python matcher and the search read them by name, engine/ordering.py by group)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ftgate.domain import money
from ftgate.engine.facts import (
    _INPUTS,
    IN_RATIOS,
    Fact,
    _base_model,
    _change,
    _examples,
    _FromRatios,
    _roi,
)
from ftgate.engine.solving import FEEDS

# The derived facts each step of build_fact sets (without texts), in the order it sets them, and
# the step. A step reads the inputs that feed its facts; _roi also the figures of _change, whose
# inputs (data_change_frequency, retraining_cost_usd) FEEDS says feed _roi's too.
_Compute = Callable[[Fact, dict[str, Any]], None]
_GROUPS: tuple[tuple[tuple[str, ...], _Compute], ...] = (
    (("minimum_viable_examples", "recommended_examples", "tree_minimum_examples"),
     lambda fact, t: _examples(fact, t, None)),
    (("frequent_change", "retraining_runs_per_year", "annual_retraining_cost_usd"),
     lambda fact, t: _change(fact, t, None, "en", IN_RATIOS)),
    (("monthly_savings_usd", "break_even_months", "net_monthly_savings_usd",
      "never_breaks_even", "net_value_one_year_usd", "net_value_three_years_usd",
      "net_break_even_months"),
     lambda fact, t: _roi(fact, t, None, IN_RATIOS)),
    (("target_met", "checklist_complete"), lambda fact, t: _base_model(fact, t, None, "en")),
)
# Input → the groups it feeds, by index (an input that feeds none is only set).
_FED_GROUPS: dict[str, frozenset[int]] = {
    name: frozenset(i for i, (keys, _) in enumerate(_GROUPS) if facts.intersection(keys))
    for name, facts in FEEDS.items()}


class FactChanges:
    """The facts of profiles changed from one whose fact (built by build_fact, texts or not)
    is `source`."""

    __slots__ = ("_base", "_thresholds")

    def __init__(self, source: Fact, thresholds: dict[str, Any]) -> None:
        self._thresholds = thresholds
        # Its fact without texts; none when its figures are in decimal (rare): then each
        # changed profile's fact is built from the profile.
        self._base = None if source.in_decimal else _without_texts(source)

    def fact(self, changes: Mapping[str, Any]) -> Fact | None:
        """The fact without texts of the profile with each input of `changes` set (None:
        absent); None when it must be built from the profile (its figures in decimal: a
        changed number outside money's window, or the source's in decimal)."""
        base = self._base
        if base is None:
            return None
        fact = Fact(base)
        groups: frozenset[int] = frozenset()
        for name, value in changes.items():
            if value is None:
                fact.pop(name, None)
            else:
                fact[name] = list(value) if name == "symptoms" else value
            fed = _FED_GROUPS.get(name)
            if fed:
                groups |= fed
        exact = base.exact
        if not groups:
            fact.exact = exact  # (read only: a figure's decimal is kept when first read)
            return fact
        computed = [_GROUPS[i] for i in sorted(groups)]
        dropped = set()
        for keys, _ in computed:
            dropped.update(keys)
            for key in keys:
                fact.pop(key, None)
        if exact:
            kept = [name for name in exact if name not in dropped]
            if kept:
                fact.exact = _copy(exact, kept)
        try:
            for _, compute in computed:
                compute(fact, self._thresholds)
        except money.OutsideWindow:  # (as build_fact: then every figure in decimal)
            return None
        return fact


def _without_texts(source: Fact) -> Fact:
    """`source` (a ratios fact) without its texts, keys in build_fact's order."""
    fact = Fact()
    for name in _INPUTS:
        value = source.get(name)
        if value is not None:
            fact[name] = value
    fact["symptoms"] = list(source["symptoms"])
    exact = source.exact
    for keys, _ in _GROUPS:
        for key in keys:
            if key in source:
                fact[key] = source[key]
    kept = [name for name in exact if name in fact]
    if kept:
        fact.exact = _copy(exact, kept)
    return fact


def _copy(exact: Mapping[str, Any], names: list[str]) -> _FromRatios:
    """The exact values of `names` in `exact` (a ratios fact's)."""
    assert isinstance(exact, _FromRatios)
    out = _FromRatios()
    for name in names:
        ratio = exact.ratio(name)
        assert ratio is not None
        out.add(name, ratio)
    return out
