"""The words of the texts a fact carries (labels of enum values, the ROI and retraining
arithmetic, the base model against its target, the checklist), in each language of the answers.
The rule files' templates read them (`{task_label}`, `{roi_text}`, ...)."""

from __future__ import annotations

from typing import Any

from ftgate.domain.text import label

_EN_LABELS = {"STATIC": "never (static data)", "UNPREDICTABLE": "unpredictably"}

WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "task": {}, "goal": {}, "domain": {}, "frequency": _EN_LABELS,
        "unspecified": "an unspecified task type",
        "unplannable": "retraining needs cannot be planned, and neither can their cost",
        "runs": ("{runs} retraining run a year", "{runs} retraining runs a year"),
        "plural_from": 0,  # (but 1)
        "runs_cost": " × {cost} = {annual} a year",
        "impossible": " — retraining this often is impossible in practice",
        "savings": "{saving} × {rpd:,.0f} requests/day × {days} days = {monthly}/month",
        "break_even": "{investment} invested breaks even after {months:,.1f} months",
        "net": "net of {annual} a year of retraining, {net}/month",
        "net_break_even": ", breaking even after {months:,.1f} months",
        "net_never": "net of {annual} a year of retraining, {short}/month short: it never "
                     "breaks even",
        "net_arithmetic": "{monthly} − {annual} ÷ 12 = {net}/month net of retraining",
        "criteria": "meets the article's criteria for a clearly positive ROI: {answer} "
                    "({details})",
        "yes": "yes", "no": "no",
        "criteria_fails": ("{rpd:,.0f} requests/day is not above {volume:,}",
                           "{saving} saved per request is not above {minimum}",
                           "the data changes {frequency}: frequent retraining"),
        "criteria_hold": "more than {volume:,} requests/day, more than {minimum} saved per "
                         "request, no frequent retraining",
        "no_savings": "the savings are not known", "sep": "; ",
        "scores": "scores {score:g} against a target of {target:g}",
        "meets": "meets the target", "misses": "does not meet the target",
        "checklist": ("test {n}+ prompt variations", "try few-shot with your best examples",
                      "try a more capable model"),
    },
    "fr": {
        "task": {"CLASSIFICATION": "la classification simple",
                 "TEXT_GENERATION": "la génération de texte",
                 "STYLE_TONE": "un style/ton spécifique",
                 "COMPLEX_REASONING": "le raisonnement complexe"},
        "goal": {"KNOWLEDGE": "les connaissances", "STYLE": "le style", "FORMAT": "le format",
                 "BEHAVIOR": "le comportement"},
        "domain": {"GENERAL": "général", "CODE": "du code", "MEDICAL": "médical",
                   "LEGAL": "juridique", "FINANCE": "de la finance", "SQL": "SQL"},
        # "Des données qui changent {frequency_label}"
        "frequency": {"STATIC": "peu ou pas (données statiques)",
                      "YEARLY": "chaque année",
                      "QUARTERLY": "chaque trimestre", "MONTHLY": "chaque mois",
                      "WEEKLY": "chaque semaine", "DAILY": "chaque jour",
                      "UNPREDICTABLE": "de façon imprévisible"},
        "unspecified": "un type de tâche non précisé",
        "unplannable": "les réentraînements ne peuvent pas être planifiés, ni leur coût",
        "runs": ("{runs} réentraînement par an", "{runs} réentraînements par an"),
        "plural_from": 2,  # (0 et 1 : singulier)
        "runs_cost": " × {cost} = {annual} par an",
        "impossible": " — réentraîner aussi souvent est impossible en pratique",
        "savings": "{saving} × {rpd:,.0f} requêtes/jour × {days} jours = {monthly}/mois",
        "break_even": "{investment} investis atteignent le seuil de rentabilité après "
                      "{months:,.1f} mois",
        "net": "net de {annual} par an de réentraînement, {net}/mois",
        "net_break_even": ", seuil de rentabilité après {months:,.1f} mois",
        "net_never": "net de {annual} par an de réentraînement, il manque {short}/mois : le "
                     "seuil de rentabilité n'est jamais atteint",
        "net_arithmetic": "{monthly} − {annual} ÷ 12 = {net}/mois net du réentraînement",
        "criteria": "remplit les critères de l'article d'un ROI clairement positif : {answer} "
                    "({details})",
        "yes": "oui", "no": "non",
        "criteria_fails": ("{rpd:,.0f} requêtes/jour, pas plus de {volume:,}",
                           "{saving} d'économie par requête, pas plus de {minimum}",
                           "des données qui changent {frequency} : réentraînement fréquent"),
        "criteria_hold": "plus de {volume:,} requêtes/jour, plus de {minimum} d'économie par "
                         "requête, pas de réentraînement fréquent",
        "no_savings": "l'économie par requête n'est pas connue", "sep": " ; ",
        "scores": "obtient {score:g} pour un objectif de {target:g}",
        "meets": "atteint l'objectif", "misses": "n'atteint pas l'objectif",
        "checklist": ("tester {n}+ variations de prompts",
                      "essayer few-shot avec vos meilleurs exemples",
                      "tester un modèle plus capable"),
    },
}


def enum_label(words: dict[str, Any], kind: str, value: str | None) -> str:
    """An enum value for people, in the words' language (English: TEXT_GENERATION → text
    generation)."""
    if value is None:
        return str(words["unspecified"])
    found: str | None = words[kind].get(value)
    return found if found is not None else label(value)
