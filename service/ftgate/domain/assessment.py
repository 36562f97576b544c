"""The explained answer: verdict, tree path, findings, alternatives, ROI and plan."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class DecisionStep:
    step: int
    question: str
    answer: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Evidence:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    failure_mode: str  # short name, e.g. "INSUFFICIENT_DATA"
    severity: str  # "BLOCKER" | "WARNING" | "INFO"
    title: str
    message: str
    evidence: tuple[Evidence, ...]
    recommendation: str
    citation: str


@dataclass(frozen=True, slots=True)
class Alternative:
    kind: str  # short name, e.g. "RAG"
    rationale: str
    details: tuple[str, ...]
    rule_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Roi:
    """ROI arithmetic; a field is None when it cannot be computed."""

    monthly_savings_usd: float | None = None
    break_even_months: float | None = None
    annual_retraining_cost_usd: float | None = None
    likely_positive: bool | None = None
    retraining_runs_per_year: int | None = None


@dataclass(frozen=True, slots=True)
class CostItem:
    item: str
    low_usd: float
    high_usd: float


@dataclass(frozen=True, slots=True)
class LoraConfig:
    r: int
    lora_alpha: int
    target_modules: tuple[str, ...]
    lora_dropout: float


@dataclass(frozen=True, slots=True)
class Plan:
    lora: LoraConfig
    validation_tasks: tuple[str, ...]
    degradation_tolerance: float
    metrics: tuple[str, ...]
    year_one_costs: tuple[CostItem, ...]
    year_one_cost_low_usd: float
    year_one_cost_high_usd: float
    recommendations: tuple[str, ...]


VERDICT_FINE_TUNE = "FINE_TUNE"
VERDICT_DO_NOT_FINE_TUNE = "DO_NOT_FINE_TUNE"
VERDICT_NEEDS_INFORMATION = "NEEDS_INFORMATION"


@dataclass(frozen=True, slots=True)
class Assessment:
    decision_id: str
    project_name: str
    verdict: str
    outcome: str | None
    decision_path: tuple[DecisionStep, ...]
    findings: tuple[Finding, ...]
    alternatives: tuple[Alternative, ...]
    roi: Roi
    plan: Plan | None
    missing_fields: tuple[str, ...]
    ruleset_version: str
    fired_rules: tuple[str, ...] = field(default=())
