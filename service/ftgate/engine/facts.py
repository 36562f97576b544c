"""Profile + thresholds → the flat fact the rules test, with the derived quantities and texts.

The formulas are documented in docs/rules.md; every number they use comes from the thresholds of the
rule files. Money and volume figures are the decimals ftgate.domain.money defines: each fact holds
the nearest double, as reported, and `Fact.exact` the decimal of every derived figure whose double
is not exact, which the rule host uses to compare it as the decimal compares (docs/rules.md).

They are computed as exact ratios of integers (money.Ratio), which give the same doubles at a
fraction of the cost, and `Fact.exact` computes a figure's decimal only when it is read: the rule
hosts read one only when its double is a number it is compared with (engine/ordering.py). A
profile with a number outside the ratios' window (money.read) is computed in decimal throughout,
as `build_fact(..., in_decimal=True)` computes every profile (tests/test_fact_ratios.py holds
the two equal).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Protocol

from ftgate.domain import money
from ftgate.domain.profile import Profile
from ftgate.engine.fact_texts import WORDS, enum_label

_NO_FIGURES: Mapping[str, Decimal] = MappingProxyType({})


class Fact(dict[str, Any]):
    """Fact name → value (numbers as doubles); `exact`: derived figure → its decimal value, for
    each figure whose double is rounded (none, most often: a plain dict costs less to build)."""

    exact: Mapping[str, Decimal] = _NO_FIGURES
    # Whether its figures were computed in decimal (a number outside money's window), not as
    # ratios: engine/fact_changes.py derives a changed profile's fact from a ratios one only.
    in_decimal = False


class _FromRatios(Mapping[str, Decimal]):
    """`Fact.exact` of a fact whose figures were computed as ratios (money.Ratio): a figure's
    decimal is computed when it is read. The rule hosts read one only when its double is one
    of the numbers it is compared with (ordering.ordered_numbers): seldom."""

    __slots__ = ("_ratios", "_read")

    def __init__(self) -> None:
        self._ratios: dict[str, money.Ratio] = {}
        self._read: dict[str, Decimal] = {}

    def add(self, name: str, value: money.Ratio) -> None:
        self._ratios[name] = value

    def ratio(self, name: str) -> money.Ratio | None:
        return self._ratios.get(name)

    def copy(self) -> _FromRatios:
        """The same figures, to add others to (engine/fact_changes.py)."""
        out = _FromRatios()
        out._ratios = dict(self._ratios)
        return out

    def __getitem__(self, name: str) -> Decimal:
        value = self._read.get(name)
        if value is None:
            value = self._read[name] = money.decimal(self._ratios[name])
        return value

    def __contains__(self, name: object) -> bool:
        return name in self._ratios

    def __iter__(self) -> Iterator[str]:
        return iter(self._ratios)

    def __len__(self) -> int:
        return len(self._ratios)


class _Arithmetic(Protocol):
    """How the derived figures are computed and kept in the fact: each method as the money
    function of the same name; figure values are the arithmetic's own (decimals or ratios)."""

    def read(self, x: float | int) -> Any: ...
    def figure(self, fact: Fact, name: str, value: Any) -> float: ...
    def sign(self, value: Any) -> int: ...
    def recorded(self, fact: Fact, name: str) -> Any: ...
    def same_exact(self, fact: Fact, name: str, source: str) -> None: ...
    def monthly_savings(self, saving: Any, rpd: Any, days: Any) -> Any: ...
    def break_even_months(self, investment: Any, monthly: Any) -> Any: ...
    def annual_cost(self, cost: Any, runs: int) -> Any: ...
    def net_yearly(self, monthly: Any, annual: Any) -> Any: ...
    def per_month(self, yearly: Any) -> Any: ...
    def value_after(self, years: int, yearly: Any, investment: Any) -> Any: ...
    def net_break_even_months(self, investment: Any, yearly: Any) -> Any: ...


class _InRatios:
    """The figures as exact ratios (money.Ratio): the doubles of the decimals, at a fraction
    of their cost. Reading a number outside money's window raises money.OutsideWindow."""

    read = staticmethod(money.read)
    monthly_savings = staticmethod(money.monthly_savings_ratio)
    break_even_months = staticmethod(money.break_even_months_ratio)
    annual_cost = staticmethod(money.annual_cost_ratio)
    net_yearly = staticmethod(money.net_yearly_ratio)
    per_month = staticmethod(money.per_month_ratio)
    value_after = staticmethod(money.value_after_ratio)
    net_break_even_months = staticmethod(money.net_break_even_months_ratio)

    @staticmethod
    def figure(fact: Fact, name: str, value: money.Ratio) -> float:
        """Set the figure `name` to the double nearest `value`, keep `value` when that double
        is not exact; return the double."""
        double = value[0] / value[1]  # int / int: rounded correctly, as Decimal → float is
        fact[name] = double
        n, d = double.as_integer_ratio()
        if n * value[1] != value[0] * d:
            exact = fact.exact
            if not isinstance(exact, _FromRatios):
                exact = fact.exact = _FromRatios()
            exact.add(name, value)
        return double

    @staticmethod
    def sign(value: money.Ratio) -> int:
        return (value[0] > 0) - (value[0] < 0)  # (the denominator is positive)

    @staticmethod
    def recorded(fact: Fact, name: str) -> money.Ratio:
        """The exact value of the figure `name` (0 when absent)."""
        exact = fact.exact
        found = exact.ratio(name) if isinstance(exact, _FromRatios) else None
        return found if found is not None else money.ratio(fact.get(name, 0))

    @staticmethod
    def same_exact(fact: Fact, name: str, source: str) -> None:
        exact = fact.exact
        if isinstance(exact, _FromRatios) and (found := exact.ratio(source)) is not None:
            exact.add(name, found)


class _InDecimal:
    """The figures in decimal (money's functions): for numbers outside money's window."""

    monthly_savings = staticmethod(money.monthly_savings)
    break_even_months = staticmethod(money.break_even_months)
    annual_cost = staticmethod(money.annual_cost)
    net_yearly = staticmethod(money.net_yearly)
    per_month = staticmethod(money.per_month)
    value_after = staticmethod(money.value_after)
    net_break_even_months = staticmethod(money.net_break_even_months)

    @staticmethod
    def read(x: float | int) -> float | int:
        return x  # (money's decimal functions read the doubles themselves)

    @staticmethod
    def figure(fact: Fact, name: str, value: Decimal) -> float:
        """Set the figure `name` to the double nearest `value`, keep `value` when that double
        is not exact; return the double."""
        double = float(value)  # the nearest double: Decimal → float rounds correctly
        fact[name] = double
        if value != double:  # (Decimal == float compares exact values)
            fact.exact = {**fact.exact, name: value}
        return double

    @staticmethod
    def sign(value: Decimal) -> int:
        return (value > 0) - (value < 0)

    @staticmethod
    def recorded(fact: Fact, name: str) -> Decimal:
        """The exact value of the figure `name` (0 when absent), as the decimal functions
        read it."""
        return fact.exact.get(name) or Decimal(repr(fact.get(name, 0)))

    @staticmethod
    def same_exact(fact: Fact, name: str, source: str) -> None:
        if source in fact.exact:
            fact.exact = {**fact.exact, name: fact.exact[source]}


IN_RATIOS: _Arithmetic = _InRatios()
IN_DECIMAL: _Arithmetic = _InDecimal()


_INPUTS = ("task_type", "goal", "domain", "quality_examples", "data_change_frequency",
           "prompt_variations_tested", "few_shot_tried", "more_capable_model_tried",
           "base_model_score", "target_score", "base_model_meets_target", "dedicated_model",
           "planned_method", "requests_per_day", "savings_per_request_usd", "investment_usd",
           "retraining_cost_usd", "system_prompt_tokens", "prompt_is_repeated",
           "needs_external_actions")


def _inputs(p: Profile) -> Fact:
    """The inputs the profile gives, in the order of _INPUTS, then its symptoms."""
    pe, ec, pr = p.prompt_engineering, p.economics, p.prompt
    values = (p.task_type, p.goal, p.domain, p.quality_examples, p.data_change_frequency,
              pe.prompt_variations_tested, pe.few_shot_tried, pe.more_capable_model_tried,
              p.base_model_score, p.target_score, p.base_model_meets_target, p.dedicated_model,
              p.planned_method, ec.requests_per_day, ec.savings_per_request_usd,
              ec.investment_usd, ec.retraining_cost_usd, pr.system_prompt_tokens,
              pr.prompt_is_repeated, p.needs_external_actions)
    fact = Fact()
    for name, value in zip(_INPUTS, values, strict=True):
        if value is not None:
            fact[name] = value
    fact["symptoms"] = list(p.symptoms)
    return fact


def _examples(fact: Fact, t: dict[str, Any], w: dict[str, Any] | None) -> None:
    pair = t["examples"].get(fact.get("task_type"))
    if pair:
        fact["minimum_viable_examples"] = pair["minimum_viable"]
        fact["recommended_examples"] = pair["recommended"]
    fact["tree_minimum_examples"] = max(t["tree_minimum_examples_floor"],
                                        fact.get("minimum_viable_examples", 0))
    if w is not None:
        fact["task_label"] = enum_label(w, "task", fact.get("task_type"))


def _change(fact: Fact, t: dict[str, Any], w: dict[str, Any] | None, lang: str,
            a: _Arithmetic) -> None:
    freq = fact.get("data_change_frequency")
    if freq is None:
        return
    fact["frequent_change"] = freq in t["frequent_change"]
    runs = t["retraining_runs_per_year"].get(freq)
    cost = fact.get("retraining_cost_usd")
    if w is None:  # (the figures only)
        if runs is not None:
            fact["retraining_runs_per_year"] = runs
            if cost is not None:
                a.figure(fact, "annual_retraining_cost_usd", a.annual_cost(a.read(cost), runs))
        return
    fact["frequency_label"] = enum_label(w, "frequency", freq)
    if runs is None:
        fact["retraining_text"] = w["unplannable"]
        return
    fact["retraining_runs_per_year"] = runs
    text = _runs_text(lang, runs)
    if cost is not None:
        annual = a.figure(fact, "annual_retraining_cost_usd",
                          a.annual_cost(a.read(cost), runs))
        if runs:  # (no retraining costs nothing: not said)
            text += w["runs_cost"].format(cost=cost, annual=annual)
    if runs >= t["impossible_retraining_runs_per_year"]:
        text += w["impossible"]
    fact["retraining_text"] = text


@functools.lru_cache(maxsize=64)
def _runs_text(lang: str, runs: int) -> str:
    """"12 retraining runs a year", in `lang`."""
    w = WORDS[lang]
    return str(w["runs"][runs != 1 and runs >= w["plural_from"]].format(runs=runs))


def _roi(fact: Fact, t: dict[str, Any], w: dict[str, Any] | None, a: _Arithmetic) -> None:
    rpd, saving = fact.get("requests_per_day"), fact.get("savings_per_request_usd")
    investment = fact.get("investment_usd")
    parts = []
    if rpd is not None and saving is not None:
        monthly = a.monthly_savings(a.read(saving), a.read(rpd), a.read(t["days_per_month"]))
        reported = a.figure(fact, "monthly_savings_usd", monthly)
        if w is not None:
            fact["savings_text"] = w["savings"].format(saving=saving, rpd=rpd,
                                                       days=t["days_per_month"],
                                                       monthly=reported)
            parts.append(fact["savings_text"])
        invested = None if investment is None else a.read(investment)
        if invested is not None and a.sign(monthly) > 0:
            months = a.figure(fact, "break_even_months", a.break_even_months(invested, monthly))
            if w is not None:
                parts.append(w["break_even"].format(investment=investment, months=months))
        net = _net(fact, monthly, invested, w, a)
        if net is not None:
            parts.append(net)
    if w is not None:
        fact["roi_text"] = w["sep"].join(parts) if parts else w["no_savings"]


def _net(fact: Fact, monthly: Any, invested: Any, w: dict[str, Any] | None,
         a: _Arithmetic) -> str | None:
    """The figures net of retraining, when the yearly retraining cost is known (0 for data that
    never changes); the text that says them when retraining costs something. `monthly` and
    `invested` as `a` computes (None: no investment given)."""
    runs = fact.get("retraining_runs_per_year")
    if runs is None or (runs and "annual_retraining_cost_usd" not in fact):
        return None
    annual = a.recorded(fact, "annual_retraining_cost_usd")
    yearly = a.net_yearly(monthly, annual)
    if not a.sign(annual):  # no retraining: the net figures are the gross ones
        if w is not None:
            fact["net_savings_text"] = fact["savings_text"]
        fact["net_monthly_savings_usd"] = fact["monthly_savings_usd"]
        a.same_exact(fact, "net_monthly_savings_usd", "monthly_savings_usd")
        _net_figures(fact, yearly, invested, "break_even_months", a)
        return None
    net_double = a.figure(fact, "net_monthly_savings_usd", a.per_month(yearly))
    _net_figures(fact, yearly, invested, None, a)
    if w is None:
        return None
    shown = _annual_decimal(fact, annual)
    fact["net_savings_text"] = w["sep"].join((
        fact["savings_text"], fact["retraining_text"],
        w["net_arithmetic"].format(monthly=fact["monthly_savings_usd"],
                                   annual=shown, net=net_double)))
    if a.sign(yearly) <= 0:
        return str(w["net_never"].format(annual=shown, short=-net_double))
    text = str(w["net"].format(annual=shown, net=net_double))
    months = fact.get("net_break_even_months")
    return text if months is None else text + w["net_break_even"].format(months=months)


def _annual_decimal(fact: Fact, annual: Decimal | money.Ratio) -> Decimal:
    """The yearly retraining cost the texts write: its decimal (a product: exact)."""
    return annual if isinstance(annual, Decimal) else fact.exact.get(
        "annual_retraining_cost_usd") or Decimal(repr(fact["annual_retraining_cost_usd"]))


def _net_figures(fact: Fact, yearly: Any, invested: Any, same_break_even: str | None,
                 a: _Arithmetic) -> None:
    fact["never_breaks_even"] = a.sign(yearly) <= 0
    if invested is None:
        return
    a.figure(fact, "net_value_one_year_usd", a.value_after(1, yearly, invested))
    a.figure(fact, "net_value_three_years_usd", a.value_after(3, yearly, invested))
    if a.sign(yearly) > 0:
        if same_break_even is not None:  # (the gross break-even, already computed)
            fact["net_break_even_months"] = fact[same_break_even]
            a.same_exact(fact, "net_break_even_months", same_break_even)
        else:
            a.figure(fact, "net_break_even_months", a.net_break_even_months(invested, yearly))


def _base_model(fact: Fact, t: dict[str, Any], w: dict[str, Any] | None, lang: str) -> None:
    score, target = fact.get("base_model_score"), fact.get("target_score")
    if score is not None and target is not None:
        fact["target_met"] = score >= target  # doubles compare as their decimals (money.py)
        if w is not None:
            fact["base_vs_target"] = w["scores"].format(score=score, target=target)
    elif "base_model_meets_target" in fact:
        fact["target_met"] = fact["base_model_meets_target"]
        if w is not None:
            fact["base_vs_target"] = w["meets"] if fact["target_met"] else w["misses"]
    needed = t["checklist_prompt_variations"]
    tested = fact.get("prompt_variations_tested")
    checks = (None if tested is None else tested >= needed,
              fact.get("few_shot_tried"), fact.get("more_capable_model_tried"))
    if False in checks:  # (each is True, False or None)
        fact["checklist_complete"] = False
        if w is None:
            return
        fact["checklist_unchecked"] = w["sep"].join(
            name for name, ok in zip(_checklist_items(needed, lang), checks, strict=True)
            if ok is False)
    elif checks == (True, True, True):
        fact["checklist_complete"] = True


@functools.lru_cache(maxsize=8)
def _checklist_items(prompt_variations: int, lang: str) -> tuple[str, ...]:
    """The prompt-engineering checklist (tree step 1), in the order of the checks."""
    return tuple(item.format(n=prompt_variations) for item in WORDS[lang]["checklist"])


def build_fact(profile: Profile, thresholds: dict[str, Any], lang: str = "en",
               texts: bool = True, *, in_decimal: bool = False) -> Fact:
    """The fact asserted for `profile`: inputs that are present, plus derived quantities; its
    texts in `lang` (without `texts`, none: the figures the rules compare, for a walk that
    renders no answer). `in_decimal`: every figure computed in decimal, which the ratios
    computing them faster must equal (the tests compare the two)."""
    w = WORDS[lang] if texts else None
    if in_decimal:
        return _fact(profile, thresholds, w, lang, IN_DECIMAL)
    try:
        return _fact(profile, thresholds, w, lang, IN_RATIOS)
    except money.OutsideWindow:  # (a number too large or small for the ratios' proof: rare)
        return _fact(profile, thresholds, w, lang, IN_DECIMAL)


def _fact(profile: Profile, thresholds: dict[str, Any], w: dict[str, Any] | None, lang: str,
          a: _Arithmetic) -> Fact:
    fact = _inputs(profile)
    if a is IN_DECIMAL:
        fact.in_decimal = True
    _examples(fact, thresholds, w)
    _change(fact, thresholds, w, lang, a)
    _roi(fact, thresholds, w, a)
    if w is not None:
        _positive_roi_criteria(fact, thresholds, lang)
    _base_model(fact, thresholds, w, lang)
    if w is not None:
        fact["goal_label"] = enum_label(w, "goal", fact.get("goal"))
        fact["domain_label"] = enum_label(w, "domain", fact.get("domain"))
    return fact


def _criteria(fact: Fact, t: dict[str, Any]) -> tuple[bool | None, bool | None, bool | None]:
    """The article's three criteria for a clearly positive ROI (volume, savings per request, no
    frequent retraining): each True, False, or None when it cannot be told. Inputs and
    thresholds are doubles, which compare as the decimals they were written as
    (ftgate.domain.money)."""
    rpd, saving = fact.get("requests_per_day"), fact.get("savings_per_request_usd")
    return (None if rpd is None else rpd > t["roi_positive_requests_per_day"],
            None if saving is None else saving > t["roi_positive_savings_per_request_usd"],
            None if "frequent_change" not in fact else not fact["frequent_change"])


def roi_likely_positive(fact: Fact, t: dict[str, Any]) -> bool | None:
    """Whether the project meets the article's criteria for a clearly positive ROI
    (docs/rules.md): False when one fails, True when all hold, None when one cannot be told. It
    is not the verdict: step 5 decides on the break-even net of retraining."""
    checks = _criteria(fact, t)
    return False if False in checks else (True if all(checks) else None)


def _positive_roi_criteria(fact: Fact, t: dict[str, Any], lang: str) -> None:
    """`positive_roi_criteria_text`: roi_likely_positive in words, with what fails."""
    checks = _criteria(fact, t)
    if False in checks or all(checks):
        fact["positive_roi_criteria_text"] = _criteria_text(
            lang, checks, fact.get("requests_per_day") if checks[0] is False else None,
            fact.get("savings_per_request_usd", 0) if checks[1] is False else None,
            fact.get("frequency_label") if checks[2] is False else None,
            t["roi_positive_requests_per_day"], t["roi_positive_savings_per_request_usd"])


_CRITERIA_TEXTS_KEPT = 512  # criteria texts kept (a cache size, not a policy figure)


@functools.lru_cache(maxsize=_CRITERIA_TEXTS_KEPT)
def _criteria_text(lang: str, checks: tuple[bool | None, ...], rpd: float | None,
                   saving: float | None, frequency: str | None, volume: float,
                   minimum: float) -> str:
    """The text of _positive_roi_criteria, from what it says (most profiles say the same)."""
    w = WORDS[lang]
    values = {"rpd": rpd, "saving": saving, "frequency": frequency, "volume": volume,
              "minimum": minimum}
    if False in checks:
        answer = w["no"]
        details = w["sep"].join(w["criteria_fails"][i].format_map(values)
                                for i, check in enumerate(checks) if check is False)
    else:
        answer, details = w["yes"], w["criteria_hold"].format_map(values)
    return str(w["criteria"].format(answer=answer, details=details))
