"""The project profile, as the engine sees it: enum values are short names, absent is None."""

from __future__ import annotations

from dataclasses import dataclass, field

from ftgate import enums

# The short names of each enum (ftgate.enums: derived from the proto).
TASK_TYPES = enums.TASK_TYPE.names
GOALS = enums.GOAL.names
DOMAINS = enums.DOMAIN.names
CHANGE_FREQUENCIES = enums.CHANGE_FREQUENCY.names
TUNING_METHODS = enums.TUNING_METHOD.names
SYMPTOMS = enums.SYMPTOM.names


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
