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
        "with": "With", "and": "and", "then": "the verdict would be", "colon": ": ",
        "at_least": "at least", "at_most": "at most", "now": "now", "absent": "not given",
        "true": "yes", "false": "no", "none": "no value",
        "below": "below {b}", "from_to": "{a} to below {b}", "or_more": "{a} or more",
        "any": "any value",
    },
    "fr": {
        "with": "Avec", "and": "et", "then": "le verdict serait", "colon": " : ",
        "at_least": "au moins", "at_most": "au plus", "now": "actuellement",
        "absent": "non renseigné", "true": "oui", "false": "non", "none": "aucune valeur",
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
        """requests/day: at least 10,000 (now 5,000)"""
        w, to = self._w, c.to_value
        name = _FIELD_NAMES[self.lang].get(c.field, c.field) + w["colon"]
        now = f"({w['now']} {self.value(c.from_value)})"
        if isinstance(to, int | float) and not isinstance(to, bool) and isinstance(
                c.from_value, int | float) and not isinstance(c.from_value, bool):
            direction = w["at_least"] if to > c.from_value else w["at_most"]
            return f"{name}{direction} {self.value(to)} {now}"
        return f"{name}{self.value(to)} {now}"

    def counterfactual(self, changes: Sequence[FieldChange], verdict: str) -> str:
        """"With requests/day: at least 10,000 (now 5,000), the verdict would be FINE_TUNE."."""
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
