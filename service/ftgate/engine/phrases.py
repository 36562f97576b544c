"""The sentences of the explanations (counterfactual summaries, what a missing field's values lead
to), in each language ftgate answers in. Figures, verdicts and enum values are written by
ftgate.present: 20,834 · 20 834; "Fine-tune" · « Fine-tuner »; Simple classification ·
Classification simple.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, cast

from ftgate import enums
from ftgate.domain.decision import FieldChange
from ftgate.languages import DEFAULT_LANGUAGE, LANGUAGES
from ftgate.present.labels import label
from ftgate.present.numbers import numbers
from ftgate.present.typography import in_language

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Phrases"]

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        # With requests/day: at least 20,834 (now 1,000), the verdict would be "Fine-tune".
        "counterfactual": "With {changes}, the verdict would be “{verdict}”.",
        "change": "{name}: {value} ({now})", "now": "now {value}", "now_absent": "now not given",
        "and": " and ",
        "at_least": "at least {value}", "at_most": "at most {value}", "absent": "not given",
        "true": "yes", "false": "no", "none": "no value",
        "below": "below {b}", "from_to": "{a} to below {b}", "or_more": "{a} or more",
        "any": "any value",
    },
    "fr": {
        # Avec « requêtes/jour » à 20 834 au moins (au lieu de 1 000), le verdict serait
        # « Fine-tuner ».
        "counterfactual": "Avec {changes}, le verdict serait « {verdict} ».",
        "change": "« {name} » à {value} ({now})", "now": "au lieu de {value}",
        "now_absent": "pas de valeur aujourd'hui", "and": " et ",
        "at_least": "{value} au moins", "at_most": "{value} au plus",
        "absent": "sans valeur", "true": "oui", "false": "non", "none": "aucune valeur",
        "below": "moins de {b}", "from_to": "de {a} à moins de {b}", "or_more": "{a} ou plus",
        "any": "toute valeur",
    },
}


# Each input as people name it, by proto path (a field without one keeps its path).
_FIELD_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "task_type": "task type", "goal": "goal", "domain": "domain",
        "quality_examples": "quality examples", "data_change_frequency": "data change frequency",
        "prompt_engineering.prompt_variations_tested": "prompt variations tested",
        "prompt_engineering.few_shot_tried": "few-shot tried",
        "prompt_engineering.more_capable_model_tried": "more capable model tried",
        "base_model_score": "base model score", "target_score": "target score",
        "base_model_meets_target": "base model meets the target",
        "dedicated_model": "model dedicated to the task", "planned_method": "planned method",
        "economics.requests_per_day": "requests/day",
        "economics.savings_per_request_usd": "savings per request ($)",
        "economics.investment_usd": "investment ($)",
        "economics.retraining_cost_usd": "cost of a retraining ($)",
        "symptoms": "symptoms", "prompt.system_prompt_tokens": "system prompt tokens",
        "prompt.prompt_is_repeated": "prompt repeated",
        "needs_external_actions": "needs external actions",
    },
    "fr": {
        "task_type": "type de tâche", "goal": "objectif", "domain": "domaine",
        "quality_examples": "exemples de qualité",
        "data_change_frequency": "fréquence de changement des données",
        "prompt_engineering.prompt_variations_tested": "variations de prompts testées",
        "prompt_engineering.few_shot_tried": "few-shot essayé",
        "prompt_engineering.more_capable_model_tried": "modèle plus capable testé",
        "base_model_score": "score du modèle de base", "target_score": "score visé",
        "base_model_meets_target": "le modèle de base atteint l'objectif",
        "dedicated_model": "modèle dédié à la tâche", "planned_method": "méthode prévue",
        "economics.requests_per_day": "requêtes/jour",
        "economics.savings_per_request_usd": "économie par requête ($)",
        "economics.investment_usd": "investissement ($)",
        "economics.retraining_cost_usd": "coût d'un réentraînement ($)",
        "symptoms": "symptômes", "prompt.system_prompt_tokens": "tokens du prompt système",
        "prompt.prompt_is_repeated": "prompt répété",
        "needs_external_actions": "actions externes nécessaires",
        # (the groups of the console's form)
        "name": "nom du projet", "economics": "économie du projet",
        "prompt_engineering": "prompt engineering", "prompt": "prompt",
    },
}


def field_name(path: str, lang: str) -> str:
    """An input as people name it: economics.requests_per_day → requests/day · requêtes/jour."""
    return _FIELD_NAMES[lang].get(path, path)


def field_names(lang: str) -> dict[str, str]:
    """Every input's name in `lang`, by proto path."""
    return dict(_FIELD_NAMES[lang])


def words(lang: str) -> dict[str, str]:
    """The words of the sentences, as written (for the tests that read every French text)."""
    return _WORDS[lang]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# The enum of each value a profile's enum fields may hold (no two share a name).
_ENUM_OF = {name: enum for enum in enums.PROFILE_FIELDS.values() for name in enum.names}


def in_sentence(text: str) -> str:
    """A label inside a sentence: its first letter in lower case, unless the first word is an
    acronym (Jamais (données statiques) → jamais (données statiques); SQL, RAG, LoRA stay)."""
    first = text.split(" ", 1)[0]
    return text if first[1:2].isupper() or len(first) == 1 else text[:1].lower() + text[1:]


_SAID_KEPT = 4096  # changes kept as written, per language


@functools.cache
def phrases(lang: str) -> Phrases:
    """The sentences of `lang` (one object per language, which keeps what it wrote)."""
    return Phrases(lang)


class Phrases:
    """The explanations' sentences in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._w = {k: in_language(v, lang) for k, v in _WORDS[lang].items()}
        self._n = numbers(lang)
        # Each change as written, by what it says: the changes of enums and bools (a goal, a
        # frequency, few-shot tried) recur from profile to profile.
        self._said: dict[tuple[Any, ...], str] = {}

    def value(self, value: Any, path: str = "") -> str:
        """A value as people read it; an enum value by its label."""
        if value is None:
            return self._w["absent"]
        if isinstance(value, bool):
            return self._w["true" if value else "false"]
        if _is_number(value):
            return self._n.number(value)
        if isinstance(value, list | tuple):
            return ", ".join(self.value(v, path) for v in value) or self._w["none"]
        enum = _ENUM_OF.get(value) if isinstance(value, str) else None
        return in_sentence(label(enum, value, self.lang)) if enum is not None else str(value)

    def _change(self, c: FieldChange) -> str:
        """requests/day: at least 20,834 (now 1,000)"""
        to, now = c.to_value, c.from_value
        if type(to) is list or type(now) is list or to == 0 or now == 0:
            return self._written(c)  # (unhashable; and 0.0 == -0.0, False == 0)
        # (True == 1.0: the types tell them apart)
        key = (c.field, type(now), now, type(to), to)
        said = self._said.get(key)
        if said is None:
            if len(self._said) >= _SAID_KEPT:
                self._said.clear()
            said = self._said[key] = self._written(c)
        return said

    def _written(self, c: FieldChange) -> str:
        w, to = self._w, c.to_value
        value = self.value(to, c.field)
        if _is_number(to) and _is_number(c.from_value):
            up = cast(float, to) > cast(float, c.from_value)
            value = w["at_least" if up else "at_most"].format(value=value)
        now = w["now_absent"] if c.from_value is None else \
            w["now"].format(value=self.value(c.from_value, c.field))
        return w["change"].format(name=field_name(c.field, self.lang), value=value, now=now)

    def counterfactual(self, changes: Sequence[FieldChange], verdict: str) -> str:
        """With requests/day: at least 20,834 (now 1,000), the verdict would be “Fine-tune”."""
        w = self._w
        parts = [self._change(c) for c in changes]
        joined = ", ".join(parts[:-1]) + w["and"] + parts[-1] if len(parts) > 1 else parts[0]
        return w["counterfactual"].format(changes=joined,
                                          verdict=label(enums.VERDICT, verdict, self.lang))

    def answer(self, verdict: str, outcome: str | None) -> str:
        """Do not fine-tune (Prompt engineering) · Fine-tune · Information needed."""
        said = label(enums.VERDICT, verdict, self.lang)
        if outcome is None or outcome == verdict:
            return said
        return f"{said} ({label(enums.OUTCOME, outcome, self.lang)})"

    def value_range(self, at_least: float | None, below: float | None) -> str:
        w, n = self._w, self._n
        if at_least is None and below is None:
            return w["any"]
        if at_least is None:
            return w["below"].format(b=n.number(below))
        if below is None:
            return w["or_more"].format(a=n.number(at_least))
        return w["from_to"].format(a=n.number(at_least), b=n.number(below))

    def values(self, values: Sequence[Any], verdict: str, outcome: str | None,
               path: str = "") -> str:
        return ", ".join(self.value(v, path) for v in values) + " → " + self.answer(verdict,
                                                                                    outcome)
