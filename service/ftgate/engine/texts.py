"""The templates of the rule files (messages, reasons, rationales) and how values read in them.

A template names facts and thresholds (`{quality_examples}`, `{investment_usd:usd}`); values are
written in the ruleset's language by ftgate.present.templates.
One that names only thresholds reads the same for every profile: it is rendered once, when the
policy is compiled. In the others the thresholds are rendered in once, so that an evaluation
formats the facts only.
"""

from __future__ import annotations

import string
from typing import Any

from ftgate.languages import DEFAULT_LANGUAGE
from ftgate.present.templates import Template
from ftgate.ruleset.vocabulary import FACTS

_FORMATTER = string.Formatter()


class _Unknown:
    def __format__(self, spec: str) -> str:
        return "unknown"


UNKNOWN = _Unknown()


def plain(value: Any) -> str:
    """A value as evidence text: 0.002 · 15000 · true · OFF_TOPIC_ANSWERS, HIGH_LATENCY."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is bool:
        return "true" if value else "false"
    if kind is float:
        return str(int(value)) if value.is_integer() else repr(value)
    if kind is list:
        return ", ".join(map(str, value))
    return str(value)


def values_type(thresholds: dict[str, Any]) -> type[dict[str, Any]]:
    """The mapping templates read: a copy of the fact that falls back to the thresholds, then
    to "unknown" (a fact shadows a threshold of the same name)."""
    get = dict(thresholds).get

    class Values(dict[str, Any]):
        __slots__ = ()

        def __missing__(self, key: str) -> Any:
            return get(key, UNKNOWN)

    return Values


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


class Templates:
    """The templates of one ruleset, prepared."""

    def __init__(self, thresholds: dict[str, Any], lang: str = DEFAULT_LANGUAGE) -> None:
        self.thresholds = thresholds
        self.lang = lang
        self.values_type = values_type(thresholds)
        self.values = self.values_type()  # the thresholds alone
        self._fixed_names = frozenset(n for n in thresholds if n not in FACTS)

    def fixed(self, template: str) -> str | None:
        """The text of a template that reads no fact, else None."""
        names = {name for _, name, _, _ in _FORMATTER.parse(template) if name}
        return Template(template, self.lang).format_map(self.values) \
            if names <= self._fixed_names else None

    def bind(self, template: str) -> Template:
        """`template` with the fields that read a threshold (not shadowed by a fact) already
        rendered: the same text for any values, formatted faster."""
        out: list[str] = []
        for literal, name, spec, conversion in _FORMATTER.parse(template):
            out.append(_escape(literal))
            if name is None:
                continue
            whole = "{" + name + (f"!{conversion}" if conversion else "") + (
                f":{spec}" if spec else "") + "}"
            if name in self._fixed_names and "{" not in (spec or ""):
                out.append(_escape(Template(whole, self.lang).format_map(self.values)))
            else:
                out.append(whole)
        return Template("".join(out), self.lang)

    def facts_read(self, text: str) -> set[str]:
        """The names a template reads that a fact may hold (a bare name: itself)."""
        names: set[str] = set()
        if "{" not in text:
            names = {text} if text in FACTS else set()
        for _, name, spec, _ in _FORMATTER.parse(text) if "{" in text else ():
            if name:
                names.add(name)
            if spec and "{" in spec:  # a nested field: `{days_per_month:{width}}`
                names |= self.facts_read(spec)
        return {n for n in names if n not in self._fixed_names}

    def is_fixed(self, name: str) -> bool:
        """Whether `name` reads a threshold that no fact shadows (its value never changes)."""
        return name in self._fixed_names
