"""The compiled, immutable form of the rule files."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

# A condition is kept as the validated mapping of the rule file ({fact, op: value} or
# {all|any: [...]}); ftgate.engine compiles it for durable-rules, ftgate.ruleset.conditions
# renders it as text.
Condition = dict[str, Any]


class RulePlace(enum.Enum):
    """Where a rule's finding stands in an answer."""

    TREE_STEP = "tree step"  # it belongs to a step of the decision tree (`Rule.step`)
    AFTER_TREE = "after the tree"  # a finding reported after the tree's (it blocks no step)
    ALTERNATIVE_TRIGGER = "alternative trigger"  # the condition of an alternative: no finding


@dataclass(frozen=True, slots=True)
class Rule:
    """A failure-mode rule, or the condition of an alternative's trigger (id ALT.<name>)."""

    id: str
    failure_mode: str | None
    severity: str | None
    place: RulePlace
    step: int | None  # the tree step, for a rule placed at one; else None
    title: str
    when: Condition
    message: str
    evidence: tuple[str, ...]
    recommendation: str
    citation: str
    source_file: str


@dataclass(frozen=True, slots=True)
class Requirement:
    """Inputs a tree step needs: one of `groups` complete (the first is the one reported when
    none is); with `when`, only while that condition holds on the fact (not while it cannot be
    told: the step that gives its facts asks for them)."""

    groups: tuple[tuple[str, ...], ...]
    when: Condition | None = None


@dataclass(frozen=True, slots=True)
class TreeStep:
    step: int
    question: str
    blocked_by: tuple[str, ...]
    answer_when_blocked: bool
    outcome: str
    requires: tuple[Requirement, ...]
    pass_reason: str
    citation: str


@dataclass(frozen=True, slots=True)
class Trigger:
    finding: str | None  # a failure-mode rule id
    rule_id: str | None  # the ALT.<name> rule for a condition trigger
    rationale: str


@dataclass(frozen=True, slots=True)
class AlternativeSpec:
    kind: str
    details: tuple[str, ...]
    details_by_domain: tuple[tuple[str, tuple[str, ...]], ...]
    leaf_outcomes: tuple[str, ...]
    triggers: tuple[Trigger, ...]
    citation: str


@dataclass(frozen=True, slots=True)
class PlanSpec:
    lora: dict[str, Any]
    validation_tasks: tuple[str, ...]
    metrics: tuple[str, ...]
    year_one_costs: tuple[tuple[str, float, float], ...]
    year_one_total: tuple[float, float]
    recommendations: tuple[str, ...]
    citation: str


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Everything the rule files say, validated. `version` is a hash of their content."""

    version: str
    thresholds: dict[str, Any]
    rules: tuple[Rule, ...]  # failure-mode rules then trigger rules, in file order
    steps: tuple[TreeStep, ...]
    final_outcome: str
    alternatives: tuple[AlternativeSpec, ...]
    plan: PlanSpec
    files: tuple[str, ...]
    # The same rules with the texts of each other language (ftgate.languages), by language.
    translations: dict[str, RuleSet] = field(default_factory=dict, compare=False, repr=False)

    @property
    def blocker_ids(self) -> frozenset[str]:
        """The ids of the BLOCKER rules: the only ones a waiver can name."""
        return frozenset(r.id for r in self.rules if r.severity == "BLOCKER")

    def in_language(self, lang: str) -> RuleSet:
        """This RuleSet with the texts of `lang` (itself for its own language)."""
        return self.translations.get(lang, self)
