"""Profiles at every numeric threshold of a RuleSet, generated from its rules.

For each comparison of a number with a constant (a threshold or a literal) or with another fact,
and for each threshold the fact builder compares in Python, profiles whose input or derived figure
lands exactly on the constant, one representable step either side (math.nextafter for a double,
1 for an integer, a cent for money), and, for derived figures, inputs one double away, whose
figures fall a hair either side of the constant (where binary arithmetic rounds onto it).
What each profile should get is not stated here: exact_reference decides it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ftgate.api import convert
from ftgate.domain.profile import TASK_TYPES, Profile
from ftgate.engine.facts import build_fact
from ftgate.ruleset import RuleSet
from ftgate.ruleset.conditions import COMPARISONS
from ftgate.ruleset.vocabulary import FACTS
from ftgate.ruletest import profile_message
from ftgate.v1 import advisor_pb2 as pb

# A project that passes every step and triggers nothing: each case changes what it tests.
BASE: dict[str, Any] = {
    "name": "boundary",
    "taskType": "TASK_TYPE_CLASSIFICATION",
    "goal": "GOAL_FORMAT",
    "domain": "DOMAIN_GENERAL",
    "qualityExamples": 3000,
    "dataChangeFrequency": "CHANGE_FREQUENCY_STATIC",
    "promptEngineering": {"promptVariationsTested": 8, "fewShotTried": True,
                          "moreCapableModelTried": True},
    "baseModelScore": 0.78,
    "targetScore": 0.9,
    "dedicatedModel": True,
    "plannedMethod": "TUNING_METHOD_LORA",
    "economics": {"requestsPerDay": 200000.0, "savingsPerRequestUsd": 0.02,
                  "investmentUsd": 30000.0, "retrainingCostUsd": 400.0},
    "prompt": {"systemPromptTokens": 200, "promptIsRepeated": True},
    "needsExternalActions": False,
}

# (savings per request, requests a day): round figures whose product, in binary, is not exact.
SAVINGS_VOLUMES = ((0.0023, 12000.0), (0.0031, 17000.0), (0.0029, 23000.0), (0.0007, 23000.0),
                   (0.02, 50000.0))
# Thresholds the fact builder compares in Python (not in a condition), and the input compared.
PYTHON_SIDE = {"checklist_prompt_variations": "prompt_variations_tested",
               "roi_positive_requests_per_day": "requests_per_day",
               "roi_positive_savings_per_request_usd": "savings_per_request_usd"}
CHANGE_FREQUENCIES = ("YEARLY", "QUARTERLY", "MONTHLY", "WEEKLY", "DAILY")

Overrides = dict[str, Any]  # proto3 JSON path ("economics.investmentUsd") → value


@dataclass(frozen=True)
class Boundary:
    name: str
    profile: dict[str, Any]  # proto3 JSON
    fact: str = ""  # the fact that lands on or beside `target`
    target: Any = None

    def domain(self) -> Profile:
        return convert.profile_from_proto(profile_message(self.profile))


def _camel(path: str) -> str:
    return ".".join(p.split("_")[0] + "".join(w.title() for w in p.split("_")[1:])
                    for p in path.split("."))


def _is_integer_field(path: str) -> bool:
    message = pb.ProjectProfile.DESCRIPTOR
    for part in path.split("."):
        field = message.fields_by_name[part]
        message = field.message_type
    return field.cpp_type != field.CPPTYPE_DOUBLE


def _money(x: Decimal) -> float | None:
    """The double written as `x`, when there is one."""
    double = float(x)
    return double if Decimal(repr(double)) == x else None


def _cents(x: float) -> tuple[float, ...]:
    """A cent below `x`, `x`, a cent above (in decimal)."""
    return tuple(float(Decimal(repr(x)) + cents * Decimal("0.01")) for cents in (-1, 0, 1))


def _around(x: float) -> tuple[float, ...]:
    return math.nextafter(x, -math.inf), x, math.nextafter(x, math.inf)


def _input(name: str) -> Callable[[Any], Iterator[tuple[str, Overrides]]]:
    path = FACTS[name].path
    assert path is not None
    key, integer = _camel(path), _is_integer_field(path)

    def make(value: Any) -> Iterator[tuple[str, Overrides]]:
        values = ((int(value) - 1, int(value), int(value) + 1) if integer
                  else _around(float(value)))
        for v in values:
            if v >= 0:
                yield f"{name}={v!r}", {key: v}
    return make


def _break_even(value: Any) -> Iterator[tuple[str, Overrides]]:
    for saving, rpd in SAVINGS_VOLUMES:
        monthly = Decimal(repr(saving)) * Decimal(repr(rpd)) * 30
        invested = _money(monthly * Decimal(repr(value)))
        if invested is None:
            continue
        for inv in _cents(invested):
            yield (f"${saving} x {rpd:,.0f}/day, ${inv:,.2f} invested",
                   {"economics.savingsPerRequestUsd": saving, "economics.requestsPerDay": rpd,
                    "economics.investmentUsd": inv})
        for inv in _around(invested):  # one double either side: the figure is a hair off
            for r in _around(rpd):
                if (inv, r) != (invested, rpd):
                    yield (f"${saving} x {r!r}/day, ${inv!r} invested",
                           {"economics.savingsPerRequestUsd": saving,
                            "economics.requestsPerDay": r, "economics.investmentUsd": inv})


# Frequencies that pass step 4, and the cost of a retraining as a share of the monthly savings
# (static data: none, the net is the gross).
NET_RETRAINING = (("STATIC", None), ("YEARLY", Decimal(1)), ("YEARLY", Decimal("11.5")))


def _net_break_even(value: Any) -> Iterator[tuple[str, Overrides]]:
    """Investment = value × (monthly − runs × cost / 12), to the cent, and a cent either side;
    then a double either side of each input."""
    for saving, rpd in SAVINGS_VOLUMES:
        monthly = Decimal(repr(saving)) * Decimal(repr(rpd)) * 30
        for frequency, share in NET_RETRAINING:
            runs = 0 if share is None else 1
            cost = _money((monthly * share).quantize(Decimal("0.01"))) if share else 400.0
            if cost is None:
                continue
            net = monthly - Decimal(repr(cost)) * runs / 12
            invested = _money(net * Decimal(repr(value)))
            if invested is None or net <= 0:
                continue
            base = {"dataChangeFrequency": f"CHANGE_FREQUENCY_{frequency}",
                    "economics.retrainingCostUsd": cost,
                    "economics.savingsPerRequestUsd": saving, "economics.requestsPerDay": rpd}
            for inv in _cents(invested):
                yield (f"{frequency} ${cost:,.2f} a run, ${saving} x {rpd:,.0f}/day, "
                       f"${inv:,.2f} invested", {**base, "economics.investmentUsd": inv})
            for inv in _around(invested):  # one double either side: the figure is a hair off
                for c in _around(cost) if runs else (cost,):
                    if (inv, c) != (invested, cost):
                        yield (f"{frequency} ${c!r} a run, ${saving} x {rpd!r}/day, "
                               f"${inv!r} invested",
                               {**base, "economics.retrainingCostUsd": c,
                                "economics.investmentUsd": inv})


def _monthly_savings(value: Any) -> Iterator[tuple[str, Overrides]]:
    for _, rpd in SAVINGS_VOLUMES:
        saving = _money(Decimal(repr(value)) / (Decimal(repr(rpd)) * 30))
        if saving is None:
            continue
        for r in (rpd - 1, rpd, rpd + 1, *_around(rpd)):
            for s in _around(saving):
                yield (f"${s!r} x {r!r}/day",
                       {"economics.savingsPerRequestUsd": s, "economics.requestsPerDay": r})


def _annual_cost(value: Any) -> Iterator[tuple[str, Overrides]]:
    runs = {"YEARLY": 1, "QUARTERLY": 4, "MONTHLY": 12, "WEEKLY": 52, "DAILY": 365}
    for frequency in CHANGE_FREQUENCIES:
        cost = _money(Decimal(repr(value)) / runs[frequency])
        if cost is None:
            continue
        for c in {*_cents(cost), *_around(cost)}:
            yield (f"{frequency}, ${c!r} a run",
                   {"dataChangeFrequency": f"CHANGE_FREQUENCY_{frequency}",
                    "economics.retrainingCostUsd": c})


DERIVED = {"break_even_months": _break_even, "monthly_savings_usd": _monthly_savings,
           "annual_retraining_cost_usd": _annual_cost, "net_break_even_months": _net_break_even}


def with_overrides(overrides: Overrides) -> dict[str, Any]:
    profile = copy.deepcopy(BASE)
    for path, value in overrides.items():
        *parents, leaf = path.split(".")
        node = profile
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return profile


def _makers(name: str) -> Callable[[Any], Iterator[tuple[str, Overrides]]]:
    if name in DERIVED:
        return DERIVED[name]
    if FACTS[name].path is None:
        raise LookupError(f"no boundary profiles for the derived fact {name!r}: add them here")
    return _input(name)


def _comparisons(cond: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    for key in ("all", "any"):
        for item in cond.get(key, ()):
            yield from _comparisons(item)
    ops = [k for k in cond if k in COMPARISONS]
    if ops and FACTS[cond["fact"]].kind == "number":
        yield cond["fact"], ops[0], cond[ops[0]]


def boundary_cases(ruleset: RuleSet) -> list[Boundary]:
    """Every boundary of `ruleset`, each case named after the rule and what it sets."""
    t = ruleset.thresholds
    cases: dict[str, Boundary] = {}

    def add(title: str, name: str, value: Any, extra: Overrides) -> None:
        for label, overrides in _makers(name)(value):
            case_name = f"{title}: {label}"
            cases.setdefault(case_name, Boundary(case_name, with_overrides({**extra, **overrides}),
                                                 name, value))

    for rule in ruleset.rules:
        for name, op, operand in _comparisons(rule.when):
            if isinstance(operand, dict) and "threshold" in operand:
                title = f"{rule.id} {name} {COMPARISONS[op]} {operand['threshold']}"
                add(title, name, t[operand["threshold"]], {})
            elif isinstance(operand, dict):  # another fact: its value for each task type
                for task in TASK_TYPES:
                    extra = {"taskType": f"TASK_TYPE_{task}"}
                    other = build_fact(Boundary("", with_overrides(extra)).domain(), t)
                    if operand["fact"] in other:
                        title = f"{rule.id} {name} {COMPARISONS[op]} {operand['fact']} ({task})"
                        add(title, name, other[operand["fact"]], extra)
            else:
                add(f"{rule.id} {name} {COMPARISONS[op]} {operand!r}", name, operand, {})
    for threshold, name in PYTHON_SIDE.items():
        add(f"(fact builder) {name} against {threshold}", name, t[threshold], {})
    add("(fact builder) base_model_score against target_score", "base_model_score",
        BASE["targetScore"], {})
    return list(cases.values())
