"""The fixed mix of project profiles the benchmarks evaluate (proto3 JSON shape).

One profile per leaf of the decision tree, plus information-missing walks, with and without
findings; the mix is weighted so that every leaf counts, not only the cheap early exits.
"""

from __future__ import annotations

from typing import Any

_CHECKLIST = {"promptVariationsTested": 8, "fewShotTried": True, "moreCapableModelTried": True}
_FAILS = {"baseModelScore": 0.62, "targetScore": 0.85, "promptEngineering": _CHECKLIST}
_ECON = {"requestsPerDay": 250000, "savingsPerRequestUsd": 0.02, "investmentUsd": 30000,
         "retrainingCostUsd": 4000}

# name → profile; the name is also the expected leaf (or NEEDS_INFORMATION).
MIX: dict[str, dict[str, Any]] = {
    "optimize-prompt.target-met": {
        "taskType": "TASK_TYPE_CLASSIFICATION", "goal": "GOAL_FORMAT",
        "baseModelScore": 0.91, "targetScore": 0.9, "promptEngineering": _CHECKLIST,
        "qualityExamples": 3000, "dataChangeFrequency": "CHANGE_FREQUENCY_STATIC",
        "economics": _ECON, "dedicatedModel": True, "plannedMethod": "TUNING_METHOD_LORA",
    },
    "optimize-prompt.checklist": {
        "taskType": "TASK_TYPE_TEXT_GENERATION", "goal": "GOAL_STYLE",
        "baseModelMeetsTarget": False,
        "promptEngineering": {"promptVariationsTested": 2, "fewShotTried": False,
                              "moreCapableModelTried": True},
        "symptoms": ["SYMPTOM_ANSWERS_TOO_LONG", "SYMPTOM_HIGH_LATENCY"],
        "prompt": {"systemPromptTokens": 2400, "promptIsRepeated": True},
    },
    "use-rag": {
        "taskType": "TASK_TYPE_TEXT_GENERATION", "goal": "GOAL_KNOWLEDGE", "domain": "DOMAIN_MEDICAL",
        **_FAILS, "qualityExamples": 800, "dataChangeFrequency": "CHANGE_FREQUENCY_WEEKLY",
        "symptoms": ["SYMPTOM_FACTUAL_HALLUCINATIONS", "SYMPTOM_OFF_TOPIC_ANSWERS"],
        "economics": {"requestsPerDay": 1000, "savingsPerRequestUsd": 0.002,
                      "investmentUsd": 15000},
    },
    "few-shot": {
        "taskType": "TASK_TYPE_STYLE_TONE", "goal": "GOAL_STYLE", **_FAILS,
        "qualityExamples": 300, "dataChangeFrequency": "CHANGE_FREQUENCY_YEARLY",
        "economics": _ECON, "dedicatedModel": True,
    },
    "rag-or-dynamic-prompting": {
        "taskType": "TASK_TYPE_CLASSIFICATION", "goal": "GOAL_BEHAVIOR", "domain": "DOMAIN_FINANCE",
        **_FAILS, "qualityExamples": 2500, "dataChangeFrequency": "CHANGE_FREQUENCY_DAILY",
        "economics": _ECON, "dedicatedModel": False,
    },
    "prompt-engineering.low-volume": {
        "taskType": "TASK_TYPE_CLASSIFICATION", "goal": "GOAL_FORMAT", **_FAILS,
        "qualityExamples": 5000, "dataChangeFrequency": "CHANGE_FREQUENCY_STATIC",
        "economics": {"requestsPerDay": 1000, "savingsPerRequestUsd": 0.002,
                      "investmentUsd": 15000},
        "dedicatedModel": True,
    },
    "prompt-engineering.break-even": {
        "taskType": "TASK_TYPE_TEXT_GENERATION", "goal": "GOAL_FORMAT", **_FAILS,
        "qualityExamples": 4000, "dataChangeFrequency": "CHANGE_FREQUENCY_YEARLY",
        "economics": {"requestsPerDay": 20000, "savingsPerRequestUsd": 0.003,
                      "investmentUsd": 40000, "retrainingCostUsd": 4000},
        "dedicatedModel": True,
    },
    "forgetting-risk": {
        "taskType": "TASK_TYPE_CLASSIFICATION", "goal": "GOAL_BEHAVIOR", "domain": "DOMAIN_CODE",
        **_FAILS, "qualityExamples": 5000, "dataChangeFrequency": "CHANGE_FREQUENCY_STATIC",
        "economics": _ECON, "dedicatedModel": False, "plannedMethod": "TUNING_METHOD_FULL",
        "needsExternalActions": True,
    },
    "fine-tune.no-finding": {
        "name": "support-classifier", "taskType": "TASK_TYPE_CLASSIFICATION",
        "goal": "GOAL_FORMAT", "domain": "DOMAIN_GENERAL", **_FAILS, "qualityExamples": 5000,
        "dataChangeFrequency": "CHANGE_FREQUENCY_STATIC", "economics": _ECON,
        "dedicatedModel": True, "plannedMethod": "TUNING_METHOD_LORA",
    },
    "fine-tune.warnings": {
        "taskType": "TASK_TYPE_COMPLEX_REASONING", "goal": "GOAL_BEHAVIOR", "domain": "DOMAIN_SQL",
        **_FAILS, "qualityExamples": 6000, "dataChangeFrequency": "CHANGE_FREQUENCY_YEARLY",
        "economics": {"requestsPerDay": 40000, "savingsPerRequestUsd": 0.01,
                      "investmentUsd": 3000, "retrainingCostUsd": 2000},
        "dedicatedModel": True, "plannedMethod": "TUNING_METHOD_FULL",
        "symptoms": ["SYMPTOM_INCONSISTENT_FORMAT"],
    },
    "needs-information.empty": {},
    "needs-information.partial": {
        "taskType": "TASK_TYPE_TEXT_GENERATION", "goal": "GOAL_FORMAT", **_FAILS,
        "qualityExamples": 3000,
    },
}
