"""The facts a rule may test: profile fields (flattened) and the quantities derived from them."""

from __future__ import annotations

from dataclasses import dataclass

from ftgate.domain.profile import (
    CHANGE_FREQUENCIES,
    DOMAINS,
    GOALS,
    SYMPTOMS,
    TASK_TYPES,
    TUNING_METHODS,
)


@dataclass(frozen=True, slots=True)
class FactSpec:
    """kind is number, bool, enum, list (of enum values) or text (for messages only)."""

    kind: str
    path: str | None = None  # the proto field path of an input; None for a derived fact
    values: tuple[str, ...] = ()
    description: str = ""


def _in(path: str, kind: str, values: tuple[str, ...] = (), description: str = "") -> FactSpec:
    return FactSpec(kind, path, values, description)


def _derived(kind: str, description: str) -> FactSpec:
    return FactSpec(kind, None, (), description)


FACTS: dict[str, FactSpec] = {
    "task_type": _in("task_type", "enum", TASK_TYPES),
    "goal": _in("goal", "enum", GOALS),
    "domain": _in("domain", "enum", DOMAINS),
    "quality_examples": _in("quality_examples", "number"),
    "data_change_frequency": _in("data_change_frequency", "enum", CHANGE_FREQUENCIES),
    "prompt_variations_tested": _in("prompt_engineering.prompt_variations_tested", "number"),
    "few_shot_tried": _in("prompt_engineering.few_shot_tried", "bool"),
    "more_capable_model_tried": _in("prompt_engineering.more_capable_model_tried", "bool"),
    "base_model_score": _in("base_model_score", "number"),
    "target_score": _in("target_score", "number"),
    "base_model_meets_target": _in("base_model_meets_target", "bool"),
    "dedicated_model": _in("dedicated_model", "bool"),
    "planned_method": _in("planned_method", "enum", TUNING_METHODS),
    "requests_per_day": _in("economics.requests_per_day", "number"),
    "savings_per_request_usd": _in("economics.savings_per_request_usd", "number"),
    "investment_usd": _in("economics.investment_usd", "number"),
    "retraining_cost_usd": _in("economics.retraining_cost_usd", "number"),
    "symptoms": _in("symptoms", "list", SYMPTOMS),
    "system_prompt_tokens": _in("prompt.system_prompt_tokens", "number"),
    "prompt_is_repeated": _in("prompt.prompt_is_repeated", "bool"),
    "needs_external_actions": _in("needs_external_actions", "bool"),
    # Derived (engine/facts.py); present only when their inputs are.
    "minimum_viable_examples": _derived("number", "minimum viable examples of the task type"),
    "recommended_examples": _derived("number", "recommended examples of the task type"),
    "tree_minimum_examples": _derived(
        "number", "max(tree_minimum_examples_floor, minimum viable of the task type)"
    ),
    "frequent_change": _derived("bool", "data_change_frequency is in frequent_change"),
    "retraining_runs_per_year": _derived("number", "runs a year implied by the change frequency"),
    "annual_retraining_cost_usd": _derived("number", "retraining_cost_usd × runs a year"),
    "monthly_savings_usd": _derived(
        "number", "savings_per_request_usd × requests_per_day × days_per_month"
    ),
    "break_even_months": _derived("number", "investment_usd / monthly_savings_usd"),
    "net_monthly_savings_usd": _derived(
        "number", "monthly_savings_usd − annual_retraining_cost_usd / 12"
    ),
    "net_break_even_months": _derived(
        "number", "investment_usd / net_monthly_savings_usd (net > 0)"
    ),
    "net_value_one_year_usd": _derived(
        "number", "12 × net_monthly_savings_usd − investment_usd"
    ),
    "net_value_three_years_usd": _derived(
        "number", "36 × net_monthly_savings_usd − investment_usd"
    ),
    "never_breaks_even": _derived("bool", "net_monthly_savings_usd ≤ 0"),
    "target_met": _derived(
        "bool", "base_model_score ≥ target_score, else base_model_meets_target"
    ),
    "checklist_complete": _derived(
        "bool", "prompt variations ≥ threshold, few-shot tried, more capable model tried"
    ),
    "checklist_unchecked": _derived("text", "the unchecked items of the checklist"),
    "base_vs_target": _derived("text", "the base model's score against the target"),
    "task_label": _derived("text", "the task type, readable"),
    "goal_label": _derived("text", "the goal, readable"),
    "domain_label": _derived("text", "the domain, readable"),
    "frequency_label": _derived("text", "the change frequency, readable"),
    "retraining_text": _derived("text", "retraining runs and their yearly cost"),
    "roi_text": _derived("text", "the ROI arithmetic, readable"),
    "savings_text": _derived("text", "the monthly savings arithmetic, readable"),
    "positive_roi_criteria_text": _derived(
        "text", "whether the article's criteria for a clearly positive ROI hold, and which fails"
    ),
    "net_savings_text": _derived(
        "text", "the monthly savings net of retraining, with their arithmetic, readable"
    ),
}

# Inputs whose change redefines the problem rather than being something a team does: a
# counterfactual that changes one is not actionable.
REDEFINES_PROBLEM = frozenset({"task_type", "goal", "domain", "data_change_frequency",
                               "base_model_score", "target_score", "base_model_meets_target"})
