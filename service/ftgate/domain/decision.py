"""What the engine decides about one profile: plain frozen data, no wire format.

Enum-valued fields hold short names (`"FINE_TUNE"`, `"INSUFFICIENT_DATA"`: ftgate.enums); the API
layer alone turns a Decision into the `ftgate.v1.Assessment` message or its bytes (api/wire.py).
Objects that do not depend on the profile (a finding whose texts are fixed, a passed step with a
fixed reason, the plan) are built once per ruleset and shared by every decision that has them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ftgate.domain.waiver import Waiver


@dataclass(frozen=True, slots=True)
class Evidence:
    """A figure a finding rests on: a fact or threshold name and its value as text."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Finding:
    """A failure-mode rule that fired, with its texts rendered for the profile."""

    rule_id: str
    failure_mode: str
    severity: str
    title: str
    evidence: tuple[Evidence, ...]
    recommendation: str
    citation: str
    message: str
    waiver_id: str = ""  # the waiver that keeps this BLOCKER finding from blocking, if any


@dataclass(frozen=True, slots=True)
class StepTaken:
    """A step of the decision tree that was walked: passed, or the one that blocked."""

    step: int
    question: str
    answer: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Alternative:
    """Something to do instead of (or before) fine-tuning, with why it fits this profile."""

    kind: str
    rationale: str
    details: tuple[str, ...]
    rule_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Roi:
    """The ROI arithmetic: each figure when its inputs are known, else None."""

    monthly_savings_usd: float | None = None
    break_even_months: float | None = None
    annual_retraining_cost_usd: float | None = None
    likely_positive: bool | None = None
    retraining_runs_per_year: int | None = None
    # Net of retraining (the yearly retraining cost spread over twelve months).
    net_monthly_savings_usd: float | None = None
    net_break_even_months: float | None = None  # only when the net is positive
    net_value_one_year_usd: float | None = None
    net_value_three_years_usd: float | None = None
    never_breaks_even: bool | None = None  # with the net figure: net ≤ 0
    positive_roi_criteria: str = ""  # likely_positive in words, with what fails


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
    """The safe fine-tuning plan, given only with a FINE_TUNE verdict."""

    lora: LoraConfig
    validation_tasks: tuple[str, ...]
    degradation_tolerance: float
    metrics: tuple[str, ...]
    year_one_costs: tuple[CostItem, ...]
    year_one_cost_low_usd: float
    year_one_cost_high_usd: float
    recommendations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One input a counterfactual changes: its proto path, the profile's value (None when
    absent) and the value that passes (a number, an enum's short name, a bool, a list)."""

    field: str
    from_value: object
    to_value: object


@dataclass(frozen=True, slots=True)
class Counterfactual:
    """Input changes that turn the verdict into `verdict`/`outcome` (checked by deciding the
    changed profile again)."""

    changes: tuple[FieldChange, ...]
    verdict: str
    outcome: str | None
    summary: str
    actionable: bool


@dataclass(frozen=True, slots=True)
class ValueOutcome:
    """Values of a missing field and the answer they lead to: `values` for an enum or a bool,
    the range [at_least, below) for a number (None: open on that side)."""

    values: tuple[object, ...]
    at_least: float | None
    below: float | None
    verdict: str
    outcome: str | None
    description: str


@dataclass(frozen=True, slots=True)
class MissingFieldOutcome:
    """The answers a missing field's possible values lead to (the others still missing)."""

    field: str
    outcomes: tuple[ValueOutcome, ...]


@dataclass(frozen=True, slots=True)
class Explanations:
    """What a caller gets on asking for explanations: counterfactuals (verdicts other than
    FINE_TUNE), whether nothing reaches FINE_TUNE, and what each missing field's values lead
    to (NEEDS_INFORMATION)."""

    counterfactuals: tuple[Counterfactual, ...] = ()
    fine_tune_unreachable: bool = False
    missing_field_outcomes: tuple[MissingFieldOutcome, ...] = ()


NO_EXPLANATIONS = Explanations()


@dataclass(frozen=True, slots=True)
class Decision:
    """The explained answer for one profile, but its decision id (given when it is recorded).

    `outcome` is None, and `missing_fields` lists the inputs needed, when the tree could not be
    finished (verdict NEEDS_INFORMATION).
    """

    verdict: str
    outcome: str | None
    path: tuple[StepTaken, ...]
    findings: tuple[Finding, ...]
    alternatives: tuple[Alternative, ...]
    roi: Roi
    plan: Plan | None
    missing_fields: tuple[str, ...]
    ruleset_version: str
    project_name: str
    explanations: Explanations = NO_EXPLANATIONS
    waivers_applied: tuple[Waiver, ...] = ()  # those that kept a finding from blocking
