"""Doubles that compare as exact decimals do, for a rule engine that compares doubles.

durable-rules' core reads the fact's numbers as doubles. A derived figure is a decimal
(ftgate.domain.money) whose nearest double may sit on a number it is above or below (a break-even
of 12 + 10**-20 months rounds to 12.0). Such a figure is sent as a double that compares, with the
numbers its conditions name and with the facts it is compared with, as the decimal does: equal to
12 → 12; above 12 but rounding to it → math.nextafter(12, inf); likewise below.

The conditions are read in the form durable_host.compile_condition writes: `{"$gt": {field: 12}}`,
`{field: 12}` (equality), `{"$lt": {field: {"$m": other}}}` (another field), `$and`/`$or`.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ftgate.domain.money import exact as exact_decimal

Point = tuple[Decimal, float]  # a number: the decimal it was written as, its double


@dataclass(frozen=True, slots=True)
class Group:
    """Facts compared with one another (directly or through others), and the numbers, sorted,
    that any of them is compared with."""

    names: tuple[str, ...]
    points: tuple[Point, ...]
    keys: tuple[Decimal, ...]  # the decimals of `points`, for bisect
    doubles: frozenset[float] = frozenset()  # the doubles of `points`


def _points(numbers: Iterable[float | int]) -> tuple[Point, ...]:
    return tuple(sorted((exact_decimal(n), float(n)) for n in numbers if not isinstance(n, bool)))


def _order(free: list[tuple[str, Decimal, float]], points: tuple[Point, ...],
           keys: tuple[Decimal, ...] | list[Decimal]) -> dict[str, float]:
    """The doubles of ordering_doubles for `free` (name, decimal, its nearest double)."""
    out: dict[str, float] = {}
    previous: Point | None = None
    for name, value, x in sorted(free, key=lambda item: item[1]):
        at = bisect.bisect_left(keys, value)
        if at < len(points) and keys[at] == value:
            x = points[at][1]
        elif previous is not None and previous[0] == value:
            x = previous[1]
        else:
            floor = points[at - 1][1] if at else -math.inf
            if previous is not None and previous[1] > floor:
                floor = previous[1]
            if x <= floor:
                x = math.nextafter(floor, math.inf)
            if at < len(points) and x >= points[at][1]:
                x = math.nextafter(points[at][1], -math.inf)
        out[name] = x
        previous = (value, x)
    return out


def ordering_doubles(free: Mapping[str, Decimal], pinned: Iterable[float | int]) -> dict[str, float]:
    """A double for each decimal of `free` such that the doubles compare with one another, and
    with each `pinned` number (read as its shortest decimal), as the decimals do.

    Each is the nearest double unless that one would compare otherwise; then it is the next
    double past the number it must not meet (a decimal just above 12 that rounds to 12.0
    becomes math.nextafter(12, inf)). Only between two pinned numbers that are adjacent
    doubles can the order not be kept: a decimal strictly between them gets the lower one.
    """
    points = _points(pinned)
    return _order([(n, d, float(d)) for n, d in free.items()], points, [d for d, _ in points])


_ORDERED_OPS = ("$lt", "$lte", "$gt", "$gte", "$neq")


def _compared(cond: Any, numbers: dict[str, set[float]], links: dict[str, set[str]]) -> None:
    """Collect from a compiled condition the numbers each field is compared with, and the
    fields it is compared with ({"$m": field})."""
    if not isinstance(cond, dict):
        return
    for op, inner in cond.items():
        if op in ("$and", "$or"):
            for item in inner:
                _compared(item, numbers, links)
            continue
        if op in _ORDERED_OPS:
            (field, value), = inner.items()
        elif not op.startswith("$"):
            field, value = op, inner
        else:  # $ex, $iany
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            numbers.setdefault(field, set()).add(value)
        elif isinstance(value, dict) and "$m" in value:
            links.setdefault(field, set()).add(value["$m"])
            links.setdefault(value["$m"], set()).add(field)


def comparison_groups(conditions: Collection[dict[str, Any]],
                      names: Mapping[str, str] | None = None) -> dict[str, Group]:
    """Fact → the facts it is compared with, directly or through others (itself included), and
    the numbers any of them is compared with. `names` maps the conditions' keys to fact names."""
    numbers: dict[str, set[float]] = {}
    links: dict[str, set[str]] = {}
    for cond in conditions:
        _compared(cond, numbers, links)
    if names:
        rename = names.get
        numbers = {rename(k, k): v for k, v in numbers.items()}
        links = {rename(k, k): {rename(o, o) for o in v} for k, v in links.items()}
    groups: dict[str, Group] = {}
    for start in [*numbers, *links]:
        if start in groups:
            continue
        seen, todo = {start}, [start]
        while todo:
            for other in links.get(todo.pop(), ()):
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        points = _points({n for f in seen for n in numbers.get(f, ())})
        group = Group(tuple(sorted(seen)), points, tuple(d for d, _ in points),
                      frozenset(x for _, x in points))
        groups.update(dict.fromkeys(seen, group))
    return groups


def _place(value: Decimal, x: float, points: tuple[Point, ...],
           keys: tuple[Decimal, ...] | list[Decimal]) -> float:
    """The double for one figure (decimal `value`, nearest double `x`) among `points`."""
    at = bisect.bisect_left(keys, value)
    if at < len(keys) and keys[at] == value:
        return points[at][1]
    if at and x <= points[at - 1][1]:
        return math.nextafter(points[at - 1][1], math.inf)
    if at < len(keys) and x >= points[at][1]:
        return math.nextafter(points[at][1], -math.inf)
    return x


def ordered_numbers(fact: Mapping[str, Any], exact: Mapping[str, Decimal],
                    groups: Mapping[str, Group]) -> dict[str, float]:
    """The doubles to send in place of the fact's for the figures of `exact` (see
    ordering_doubles), only where they differ: each compares with its group's numbers and facts
    as its decimal does.

    A figure's decimal is read only when its double is one of the doubles it is compared with
    (`exact` may compute it when read: engine/facts.py). Otherwise its double is sent as it is:
    it is the double nearest the decimal, and rounding to nearest is monotonic — a decimal below
    a number p rounds to a double ≤ p's double, above p to one ≥ it — so a double that is not
    p's own compares with it as the decimal does with p. That is the whole error bound: half
    an ulp, the rounding itself; only a tie of doubles can hide the decimals' order.
    """
    out: dict[str, float] = {}
    done: set[str] = set()
    for name in exact:
        group = groups.get(name)
        if group is None or name in done:
            continue
        if len(group.names) == 1:  # compared with numbers only: the usual case
            x = fact[name]
            if x not in group.doubles:
                continue
            placed = _place(exact[name], x, group.points, group.keys)
            if placed != x:
                out[name] = placed
            continue
        done.update(group.names)
        others = [v for n in group.names if n not in exact and isinstance(v := fact.get(n), int | float)
                  and not isinstance(v, bool)]
        doubles = [fact[n] for n in group.names if n in exact]
        if not group.doubles.intersection(doubles) and not set(others).intersection(doubles) \
                and len(set(doubles)) == len(doubles):
            continue  # every double apart from the others: each keeps its own (see above)
        free = [(n, exact[n], fact[n]) for n in group.names if n in exact]
        points, keys = group.points, group.keys
        if others:  # other facts compared with these: placed among the numbers
            points = tuple(sorted((*points, *_points(others))))
            keys = tuple(d for d, _ in points)
        for n, x in _order(free, points, keys).items():
            if x != fact[n]:
                out[n] = x
    return out
