"""The name people read for every enum value, in each language ftgate answers in: one table,
keyed by the enum names of ftgate.enums (tests/test_present.py checks that every value of every
enum has a label in every language, and no label names a value the enum does not have).

A label stands alone (a heading, a drop-down, a badge): `DO_NOT_FINE_TUNE` → "Do not fine-tune"
· "Ne pas fine-tuner". The words the rule texts put inside a sentence ("for text generation",
"pour la génération de texte") are ftgate.engine.fact_texts'.
"""

from __future__ import annotations

from ftgate import enums

LABELS: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "TaskType": {"CLASSIFICATION": "Simple classification",
                     "TEXT_GENERATION": "Text generation",
                     "STYLE_TONE": "Specific style or tone",
                     "COMPLEX_REASONING": "Complex reasoning"},
        "Goal": {"KNOWLEDGE": "Factual knowledge", "STYLE": "Style", "FORMAT": "Format",
                 "BEHAVIOR": "Behaviour"},
        "Domain": {"GENERAL": "General", "CODE": "Code", "MEDICAL": "Medical",
                   "LEGAL": "Legal", "FINANCE": "Finance", "SQL": "SQL"},
        "ChangeFrequency": {"STATIC": "Never (static data)", "YEARLY": "Yearly",
                            "QUARTERLY": "Quarterly", "MONTHLY": "Monthly", "WEEKLY": "Weekly",
                            "DAILY": "Daily", "UNPREDICTABLE": "Unpredictably"},
        "TuningMethod": {"FULL": "Full fine-tuning", "LORA": "LoRA adapters"},
        "Symptom": {"OFF_TOPIC_ANSWERS": "Off-topic answers",
                    "FACTUAL_HALLUCINATIONS": "Factual hallucinations",
                    "ANSWERS_TOO_LONG": "Answers too long",
                    "INCONSISTENT_FORMAT": "Inconsistent format",
                    "HIGH_LATENCY": "High latency"},
        "Verdict": {"FINE_TUNE": "Fine-tune", "DO_NOT_FINE_TUNE": "Do not fine-tune",
                    "NEEDS_INFORMATION": "Information needed"},
        "Outcome": {"OPTIMIZE_PROMPT": "Optimise the prompt", "USE_RAG": "Use RAG",
                    "FEW_SHOT": "Few-shot prompting",
                    "RAG_OR_DYNAMIC_PROMPTING": "RAG or dynamic prompting",
                    "PROMPT_ENGINEERING": "Prompt engineering",
                    "FORGETTING_RISK": "Risk of catastrophic forgetting",
                    "FINE_TUNE": "Fine-tuning may be worthwhile"},
        "FailureMode": {"INSUFFICIENT_DATA": "Not enough quality data",
                        "CHANGING_DATA": "Data that changes often",
                        "FACTUAL_KNOWLEDGE": "Factual knowledge",
                        "BASE_MODEL_SUFFICIENT": "The base model already does the job",
                        "CAPABILITY_LOSS": "Loss of general capabilities",
                        "NEGATIVE_ROI": "No return on investment",
                        "WRONG_PROBLEM": "The wrong problem"},
        "Severity": {"BLOCKER": "Blocker", "WARNING": "Warning", "INFO": "Note"},
        "AlternativeKind": {"PROMPT_ENGINEERING": "Advanced prompt engineering",
                            "FEW_SHOT": "Few-shot prompting", "RAG": "RAG",
                            "AGENT_TOOLS": "Agents and tools",
                            "SPECIALIZED_MODEL": "Existing specialised models",
                            "PROMPT_CACHING": "Prompt caching"},
    },
    "fr": {
        "TaskType": {"CLASSIFICATION": "Classification simple",
                     "TEXT_GENERATION": "Génération de texte",
                     "STYLE_TONE": "Style ou ton spécifique",
                     "COMPLEX_REASONING": "Raisonnement complexe"},
        "Goal": {"KNOWLEDGE": "Connaissances factuelles", "STYLE": "Style", "FORMAT": "Format",
                 "BEHAVIOR": "Comportement"},
        "Domain": {"GENERAL": "Généraliste", "CODE": "Code", "MEDICAL": "Médical",
                   "LEGAL": "Juridique", "FINANCE": "Finance", "SQL": "SQL"},
        "ChangeFrequency": {"STATIC": "Jamais (données statiques)", "YEARLY": "Chaque année",
                            "QUARTERLY": "Chaque trimestre", "MONTHLY": "Chaque mois",
                            "WEEKLY": "Chaque semaine", "DAILY": "Chaque jour",
                            "UNPREDICTABLE": "De façon imprévisible"},
        "TuningMethod": {"FULL": "Fine-tuning complet", "LORA": "Adaptateurs LoRA"},
        "Symptom": {"OFF_TOPIC_ANSWERS": "Réponses hors sujet",
                    "FACTUAL_HALLUCINATIONS": "Hallucinations factuelles",
                    "ANSWERS_TOO_LONG": "Réponses trop longues",
                    "INCONSISTENT_FORMAT": "Format incohérent",
                    "HIGH_LATENCY": "Latence élevée"},
        "Verdict": {"FINE_TUNE": "Fine-tuner", "DO_NOT_FINE_TUNE": "Ne pas fine-tuner",
                    "NEEDS_INFORMATION": "Informations manquantes"},
        "Outcome": {"OPTIMIZE_PROMPT": "Optimisez le prompt", "USE_RAG": "Utilisez RAG",
                    "FEW_SHOT": "Few-shot prompting",
                    "RAG_OR_DYNAMIC_PROMPTING": "RAG ou prompting dynamique",
                    "PROMPT_ENGINEERING": "Prompt engineering",
                    "FORGETTING_RISK": "Risque de catastrophic forgetting",
                    "FINE_TUNE": "Le fine-tuning peut être pertinent"},
        "FailureMode": {"INSUFFICIENT_DATA": "Pas assez de données de qualité",
                        "CHANGING_DATA": "Des données qui changent souvent",
                        "FACTUAL_KNOWLEDGE": "Des connaissances factuelles",
                        "BASE_MODEL_SUFFICIENT": "Le modèle de base fait déjà le travail",
                        "CAPABILITY_LOSS": "Perte des capacités générales",
                        "NEGATIVE_ROI": "ROI pas au rendez-vous",
                        "WRONG_PROBLEM": "Le mauvais problème"},
        "Severity": {"BLOCKER": "Bloquant", "WARNING": "Avertissement", "INFO": "Remarque"},
        "AlternativeKind": {"PROMPT_ENGINEERING": "Prompt engineering avancé",
                            "FEW_SHOT": "Few-shot prompting", "RAG": "RAG optimisé",
                            "AGENT_TOOLS": "Agents et outils",
                            "SPECIALIZED_MODEL": "Modèles spécialisés existants",
                            "PROMPT_CACHING": "Prompt caching"},
    },
}

# The enums of ftgate.enums that have labels, by the name LABELS knows them by.
ENUMS = {e.name: e for e in (enums.TASK_TYPE, enums.GOAL, enums.DOMAIN, enums.CHANGE_FREQUENCY,
                             enums.TUNING_METHOD, enums.SYMPTOM, enums.VERDICT, enums.OUTCOME,
                             enums.FAILURE_MODE, enums.SEVERITY, enums.ALTERNATIVE_KIND)}


def label(enum: enums.EnumNames, short: str, lang: str) -> str:
    """The label of one value: label(enums.VERDICT, "FINE_TUNE", "fr") == "Fine-tuner"."""
    return LABELS[lang][enum.name][short]


def table(lang: str) -> dict[str, dict[str, str]]:
    """Every label of `lang`, by enum then short name (what the console's drop-downs show)."""
    return LABELS[lang]
