"""The names of the ftgate.v1 enums without their prefix, both ways, computed once per enum.

Rule files, logs, metrics labels and reports speak of `FINE_TUNE` or `INSUFFICIENT_DATA`; the
messages carry `VERDICT_FINE_TUNE` = 1. These look-ups sit on every call's path.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def _prefix(enum: Any) -> str:
    name: str = enum.DESCRIPTOR.name
    snake = "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(name)).upper()
    return snake + "_"


@functools.cache
def short_names(enum: Any) -> dict[int, str]:
    """Number → short name of every value of `enum`."""
    return {number: str(name).removeprefix(_prefix(enum)) for name, number in enum.items()}


@functools.cache
def _numbers(enum: Any) -> dict[str, int]:
    return {short: number for number, short in short_names(enum).items()}


def short_name(enum: Any, number: int) -> str:
    """An enum value's name without its prefix: short_name(pb.Verdict, 1) == "FINE_TUNE"."""
    return short_names(enum)[number]


def number(enum: Any, name: str | None) -> Any:
    """The number of a short name (0 for None or ""), typed as the generated ValueType;
    ValueError for a name the enum does not have."""
    if not name:
        return 0
    value = _numbers(enum).get(name)
    if value is None:
        raise ValueError(f"{enum.DESCRIPTOR.name} has no value {_prefix(enum) + name}")
    return value
