"""The words of the texts a fact carries (labels of enum values, the ROI and retraining
arithmetic, the base model against its target, the checklist), in each language of the answers.
The rule files' templates read them (`{task_label}`, `{roi_text}`, ...).

Each text is a template of ftgate.present.templates: its figures are written as its language
writes them (`{saving:usd}`: $0.002 · 0,002 $; `{months:months}`: 6.25 months · 6,25 mois).
The French is French: the article's words (réentraînement, seuil de rentabilité, amorti en N
mois), its typography (ftgate.present.typography).
"""

from __future__ import annotations

import functools
from typing import Any

from ftgate.domain.text import label
from ftgate.present.templates import Template
from ftgate.present.typography import in_language

_EN_LABELS = {"STATIC": "rarely if ever (static data)", "UNPREDICTABLE": "unpredictably"}

_TEXTS: dict[str, dict[str, Any]] = {
    "en": {
        "task": {}, "goal": {}, "domain": {"SQL": "SQL"}, "frequency": _EN_LABELS,
        "unspecified": "an unspecified task type",
        "unplannable": "retraining needs cannot be planned, and neither can their cost",
        "runs": ("{runs} retraining run a year", "{runs} retraining runs a year"),
        "plural_from": 0,  # (but 1)
        "runs_cost": " × {cost:usd} = {annual:usd} a year",
        "impossible": " — retraining this often is impossible in practice",
        "savings": "{saving:usd} × {rpd} requests/day × {days} days = {monthly:usd}/month",
        "break_even": "{investment:usd} invested breaks even after {months:months}",
        "net": "net of {annual:usd} a year of retraining, {net:usd}/month",
        "net_break_even": ", breaking even after {months:months}",
        "net_never": "net of {annual:usd} a year of retraining, {short:usd}/month short: it "
                     "never breaks even",
        "net_arithmetic": "{monthly:usd} − {annual:usd} ÷ 12 = {net:usd}/month net of "
                          "retraining",
        "criteria": "meets the article's criteria for a clearly positive ROI: {answer} "
                    "({details})",
        "yes": "yes", "no": "no",
        "criteria_fails": ("{rpd} requests/day is not above {volume}",
                           "{saving:usd} saved per request is not above {minimum:usd}",
                           "the data changes {frequency}: frequent retraining"),
        "criteria_hold": "more than {volume} requests/day, more than {minimum:usd} saved per "
                         "request, no frequent retraining",
        "no_savings": "the savings are not known", "sep": "; ",
        "scores": "scores {score} against a target of {target}",
        "meets": "meets the target", "misses": "does not meet the target",
        "checklist": ("test {n}+ prompt variations", "try few-shot with your best examples",
                      "try a more capable model"),
    },
    "fr": {
        # "… pour la classification simple"
        "task": {"CLASSIFICATION": "la classification simple",
                 "TEXT_GENERATION": "la génération de texte",
                 "STYLE_TONE": "un style ou un ton spécifique",
                 "COMPLEX_REASONING": "le raisonnement complexe"},
        # "L'objectif porte sur le style, …"
        "goal": {"KNOWLEDGE": "des connaissances", "STYLE": "le style", "FORMAT": "le format",
                 "BEHAVIOR": "le comportement"},
        # "Un modèle déjà spécialisé en finance …"
        "domain": {"GENERAL": "généraliste", "CODE": "en code", "MEDICAL": "en médecine",
                   "LEGAL": "en droit", "FINANCE": "en finance", "SQL": "en SQL"},
        # "Vos données changent chaque trimestre : …"
        "frequency": {"STATIC": "rarement, voire jamais (données statiques)",
                      "YEARLY": "chaque année", "QUARTERLY": "chaque trimestre",
                      "MONTHLY": "chaque mois", "WEEKLY": "chaque semaine",
                      "DAILY": "chaque jour", "UNPREDICTABLE": "de façon imprévisible"},
        "unspecified": "un type de tâche non précisé",
        "unplannable": "impossible de planifier les réentraînements, donc d'en chiffrer le coût",
        "runs": ("{runs} réentraînement par an", "{runs} réentraînements par an"),
        "plural_from": 2,  # (0 et 1 : singulier)
        "runs_cost": " à {cost:usd}, soit {annual:usd} par an",
        "impossible": " — à ce rythme, réentraîner est impossible en pratique",
        "savings": "{saving:usd} × {rpd} requêtes/jour × {days} jours = {monthly:usd} "
                   "d'économie par mois",
        "break_even": "les {investment:usd} investis sont amortis en {months:months}",
        "net": "une fois payés les {annual:usd} annuels de réentraînement, il reste "
               "{net:usd} par mois",
        "net_break_even": ", de quoi amortir l'investissement en {months:months}",
        "net_never": "une fois payés les {annual:usd} annuels de réentraînement, il manque "
                     "{short:usd} par mois : l'investissement n'est jamais amorti",
        "net_arithmetic": "{monthly:usd} − {annual:usd} ÷ 12 = {net:usd} par mois, "
                          "réentraînement déduit",
        "criteria": "critères de l'article pour un ROI clairement positif {answer} "
                    "({details})",
        "yes": "réunis", "no": "non réunis",
        "criteria_fails": ("{rpd} requêtes/jour, pas au-delà de {volume}",
                           "{saving:usd} d'économie par requête, pas au-delà de {minimum:usd}",
                           "des données qui changent {frequency}, donc des réentraînements "
                           "fréquents"),
        "criteria_hold": "plus de {volume} requêtes/jour, plus de {minimum:usd} d'économie par "
                         "requête, pas de réentraînement fréquent",
        "no_savings": "l'économie par requête n'est pas connue", "sep": " ; ",
        "scores": "obtient un score de {score} pour un objectif de {target}",
        "meets": "atteint l'objectif", "misses": "n'atteint pas l'objectif",
        "checklist": ("tester {n}+ variations de prompts",
                      "essayer few-shot avec vos meilleurs exemples",
                      "tester un modèle plus capable"),
    },
}

# The texts whose figures are formatted (the others are inserted as they are).
_TEMPLATES = frozenset({"runs", "runs_cost", "savings", "break_even", "net", "net_break_even",
                        "net_never", "net_arithmetic", "criteria", "criteria_fails",
                        "criteria_hold", "scores", "checklist"})


def _prepared(lang: str, texts: dict[str, Any]) -> dict[str, Any]:
    """The texts of one language with its typography, the templates parsed."""
    def one(key: str, text: Any) -> Any:
        if isinstance(text, str):
            text = in_language(text, lang)
            return Template(text, lang) if key in _TEMPLATES else text
        if isinstance(text, tuple):
            return tuple(one(key, t) for t in text)
        if isinstance(text, dict):
            return {k: in_language(v, lang) for k, v in text.items()}
        return text
    return {key: one(key, text) for key, text in texts.items()}


WORDS: dict[str, dict[str, Any]] = {lang: _prepared(lang, texts) for lang, texts in _TEXTS.items()}


def texts(lang: str) -> dict[str, Any]:
    """The texts of `lang` as written (for the tests that read every French text)."""
    return _TEXTS[lang]


def enum_label(words: dict[str, Any], kind: str, value: str | None) -> str:
    """An enum value for people, in the words' language (English: TEXT_GENERATION → text
    generation)."""
    if value is None:
        return str(words["unspecified"])
    found: str | None = words[kind].get(value)
    return found if found is not None else _label(value)


_label = functools.lru_cache(maxsize=256)(label)  # (the enums' names: a few dozen)
