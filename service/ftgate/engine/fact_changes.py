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
    Fact,
    _base_model,
    _change,
    _examples,
    _FromRatios,
    _InRatios,
    _roi,
)
from ftgate.engine.solving import FEEDS

# The derived facts each step of build_fact sets (without texts), in the order it sets them, and
# the step. A step reads the inputs that feed its facts; _roi also the figures of _change, whose
# inputs (data_change_frequency, retraining_cost_usd) FEEDS says feed _roi's too.
_Compute = Callable[[Fact, dict[str, Any], Any], None]  # (fact, thresholds, arithmetic)
_GROUPS: tuple[tuple[tuple[str, ...], _Compute], ...] = (
    (("minimum_viable_examples", "recommended_examples", "tree_minimum_examples"),
     lambda fact, t, a: _examples(fact, t, None)),
    (("frequent_change", "retraining_runs_per_year", "annual_retraining_cost_usd"),
     lambda fact, t, a: _change(fact, t, None, "en", a)),
    (("monthly_savings_usd", "break_even_months", "net_monthly_savings_usd",
      "never_breaks_even", "net_value_one_year_usd", "net_value_three_years_usd",
      "net_break_even_months"),
     lambda fact, t, a: _roi(fact, t, None, a)),
    (("target_met", "checklist_complete"), lambda fact, t, a: _base_model(fact, t, None, "en")),
)
# Input → the groups it feeds, as a set of bits (1 << a group's index; an input that feeds
# none is only set).
_FED: dict[str, int] = {
    name: sum(1 << i for i, (keys, _) in enumerate(_GROUPS) if facts.intersection(keys))
    for name, facts in FEEDS.items()}
_SETS = range(1, 1 << len(_GROUPS))
# Set of groups → their steps, in build_fact's order, and the facts they set.
_COMPUTES: dict[int, tuple[_Compute, ...]] = {
    bits: tuple(compute for i, (_, compute) in enumerate(_GROUPS) if bits >> i & 1)
    for bits in _SETS}
_SETS_KEYS: dict[int, frozenset[str]] = {
    bits: frozenset(key for i, (keys, _) in enumerate(_GROUPS) if bits >> i & 1 for key in keys)
    for bits in _SETS}


class FactChanges:
    """The facts of profiles changed from one whose fact (built by build_fact, texts or not)
    is `source`."""

    __slots__ = ("_arithmetic", "_base", "_stripped", "_thresholds")

    def __init__(self, source: Fact, thresholds: dict[str, Any]) -> None:
        self._thresholds = thresholds
        self._arithmetic = _RememberedReads()
        # Its fact without texts; none when its figures are in decimal (rare): then each
        # changed profile's fact is built from the profile.
        self._base = None if source.in_decimal else _without_texts(source)
        # By set of groups: the base without their facts (and their exact values).
        self._stripped: dict[int, Fact] = {}

    def fact(self, changes: Mapping[str, Any]) -> Fact | None:
        """The fact without texts of the profile with each input of `changes` set (None:
        absent); None when it must be built from the profile (its figures in decimal: a
        changed number outside money's window, or the source's in decimal)."""
        base = self._base
        if base is None:
            return None
        bits = 0
        for name in changes:
            bits |= _FED.get(name, 0)
        if bits:
            stripped = self._stripped.get(bits)
            if stripped is None:
                stripped = self._stripped[bits] = _stripped(base, bits)
            fact = Fact(stripped)
            exact = stripped.exact
            if exact:  # (a copy: the figures computed add theirs)
                fact.exact = _copy(exact)
        else:
            fact = Fact(base)
            fact.exact = base.exact  # (read only: a figure's decimal is kept when first read)
        for name, value in changes.items():
            if value is None:
                fact.pop(name, None)
            else:
                fact[name] = list(value) if name == "symptoms" else value
        if bits:
            try:
                for compute in _COMPUTES[bits]:
                    compute(fact, self._thresholds, self._arithmetic)
            except money.OutsideWindow:  # (as build_fact: then every figure in decimal)
                return None
        return fact


class _RememberedReads(_InRatios):
    """The arithmetic of build_fact's ratios, each number that is not whole read once: the
    changed profiles of one search share most of their numbers, and reading a double's decimal
    is most of what computing a figure again costs. (Whole numbers and zeros, ±0.0 among them,
    are read each time: cheap, and -0.0 is outside money's window.)"""

    __slots__ = ("_read",)

    def __init__(self) -> None:
        self._read: dict[float, money.Ratio] = {}

    def read(self, x: float | int) -> money.Ratio:
        if type(x) is not float or x.is_integer():
            return money.read(x)
        found = self._read.get(x)
        if found is None:
            found = self._read[x] = money.read(x)
        return found


def _stripped(base: Fact, bits: int) -> Fact:
    """`base` without the facts of the groups of `bits` (nor their exact values)."""
    keys = _SETS_KEYS[bits]
    fact = Fact({name: value for name, value in base.items() if name not in keys})
    exact = base.exact
    if exact:
        assert isinstance(exact, _FromRatios)
        kept = _FromRatios()
        for name in exact:
            if name not in keys:
                ratio = exact.ratio(name)
                assert ratio is not None
                kept.add(name, ratio)
        if kept:
            fact.exact = kept
    return fact


def _without_texts(source: Fact) -> Fact:
    """`source` (a ratios fact) without its texts, keys in build_fact's order."""
    fact = Fact()
    for name in _INPUTS:
        value = source.get(name)
        if value is not None:
            fact[name] = value
    fact["symptoms"] = list(source["symptoms"])
    for keys, _ in _GROUPS:
        for key in keys:
            if key in source:
                fact[key] = source[key]
    if source.exact:
        fact.exact = _copy(source.exact)
    return fact


def _copy(exact: Mapping[str, Any]) -> _FromRatios:
    """A copy of a ratios fact's exact values."""
    assert isinstance(exact, _FromRatios)
    return exact.copy()
