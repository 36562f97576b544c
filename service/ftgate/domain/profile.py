"""The project profile, as the engine sees it: enum values are short names, absent is None."""

from __future__ import annotations

from dataclasses import dataclass, field

# The names of SPEC §1, without their proto prefix. The proto layer checks numbers against them.
TASK_TYPES = ("CLASSIFICATION", "TEXT_GENERATION", "STYLE_TONE", "COMPLEX_REASONING")
GOALS = ("KNOWLEDGE", "STYLE", "FORMAT", "BEHAVIOR")
DOMAINS = ("GENERAL", "CODE", "MEDICAL", "LEGAL", "FINANCE", "SQL")
CHANGE_FREQUENCIES = (
    "STATIC", "YEARLY", "QUARTERLY", "MONTHLY", "WEEKLY", "DAILY", "UNPREDICTABLE",
)
TUNING_METHODS = ("FULL", "LORA")
SYMPTOMS = (
    "OFF_TOPIC_ANSWERS", "FACTUAL_HALLUCINATIONS", "ANSWERS_TOO_LONG",
    "INCONSISTENT_FORMAT", "HIGH_LATENCY",
)


@dataclass(frozen=True, slots=True)
class PromptEngineering:
    prompt_variations_tested: int | None = None
    few_shot_tried: bool | None = None
    more_capable_model_tried: bool | None = None


@dataclass(frozen=True, slots=True)
class Economics:
    requests_per_day: float | None = None
    savings_per_request_usd: float | None = None
    investment_usd: float | None = None
    retraining_cost_usd: float | None = None


@dataclass(frozen=True, slots=True)
class PromptInfo:
    system_prompt_tokens: int | None = None
    prompt_is_repeated: bool | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    """An LLM project; every field may be unknown (None)."""

    name: str = ""
    task_type: str | None = None
    goal: str | None = None
    domain: str | None = None
    quality_examples: int | None = None
    data_change_frequency: str | None = None
    prompt_engineering: PromptEngineering = field(default_factory=PromptEngineering)
    base_model_score: float | None = None
    target_score: float | None = None
    base_model_meets_target: bool | None = None
    dedicated_model: bool | None = None
    planned_method: str | None = None
    economics: Economics = field(default_factory=Economics)
    symptoms: tuple[str, ...] = ()
    prompt: PromptInfo = field(default_factory=PromptInfo)
    needs_external_actions: bool | None = None
