"""The sentences of the explanations (counterfactual summaries, what a missing field's values lead
to), in each language ftgate answers in. Numbers are written as the source article writes them
in French too ($15,000, 0.002): one format for both languages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ftgate.domain.decision import FieldChange
from ftgate.languages import DEFAULT_LANGUAGE, LANGUAGES

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Phrases"]

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "with": "With", "and": "and", "then": "the verdict would be",
        "at_least": "at least", "at_most": "at most", "now": "now", "absent": "not given",
        "true": "true", "false": "false", "none": "no value",
        "below": "below {b}", "from_to": "{a} to below {b}", "or_more": "{a} or more",
        "any": "any value",
    },
    "fr": {
        "with": "Avec", "and": "et", "then": "le verdict serait",
        "at_least": "au moins", "at_most": "au plus", "now": "actuellement",
        "absent": "non renseigné", "true": "vrai", "false": "faux", "none": "aucune valeur",
        "below": "moins de {b}", "from_to": "de {a} à moins de {b}", "or_more": "{a} ou plus",
        "any": "toute valeur",
    },
}


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return repr(float(value))


class Phrases:
    """The explanations' sentences in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._w = _WORDS[lang]

    def value(self, value: Any) -> str:
        if value is None:
            return self._w["absent"]
        if isinstance(value, bool):
            return self._w["true" if value else "false"]
        if isinstance(value, int | float):
            return _number(value)
        if isinstance(value, list | tuple):
            return ", ".join(map(str, value)) or self._w["none"]
        return str(value)

    def _change(self, c: FieldChange) -> str:
        w, to = self._w, c.to_value
        if isinstance(to, int | float) and not isinstance(to, bool) and isinstance(
                c.from_value, int | float) and not isinstance(c.from_value, bool):
            direction = w["at_least"] if to > c.from_value else w["at_most"]
            return f"{c.field} {direction} {self.value(to)} ({w['now']} {self.value(c.from_value)})"
        return f"{c.field} = {self.value(to)} ({w['now']} {self.value(c.from_value)})"

    def counterfactual(self, changes: Sequence[FieldChange], verdict: str) -> str:
        """"With economics.requests_per_day at least 10,000 (now 5,000), the verdict would be
        FINE_TUNE."."""
        w = self._w
        parts = [self._change(c) for c in changes]
        joined = ", ".join(parts[:-1]) + f" {w['and']} " + parts[-1] if len(parts) > 1 \
            else parts[0]
        return f"{w['with']} {joined}, {w['then']} {verdict}."

    def answer(self, verdict: str, outcome: str | None) -> str:
        """DO_NOT_FINE_TUNE (PROMPT_ENGINEERING) · FINE_TUNE · NEEDS_INFORMATION."""
        if outcome is None or outcome == verdict:
            return verdict
        return f"{verdict} ({outcome})"

    def value_range(self, at_least: float | None, below: float | None) -> str:
        w = self._w
        if at_least is None and below is None:
            return w["any"]
        if at_least is None:
            return w["below"].format(b=_number(below))  # type: ignore[arg-type]
        if below is None:
            return w["or_more"].format(a=_number(at_least))
        return w["from_to"].format(a=_number(at_least), b=_number(below))

    def values(self, values: Sequence[Any], verdict: str, outcome: str | None) -> str:
        return ", ".join(self.value(v) for v in values) + " → " + self.answer(verdict, outcome)
