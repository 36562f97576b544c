"""Rule files → validated, immutable RuleSet (its content hash is the ruleset version)."""

from ftgate.ruleset.loader import DEFAULT_MAX_FILE_BYTES, load_ruleset
from ftgate.ruleset.model import (
    AlternativeSpec,
    Condition,
    PlanSpec,
    Rule,
    RulePlace,
    RuleSet,
    TreeStep,
    Trigger,
)

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "AlternativeSpec",
    "Condition",
    "PlanSpec",
    "Rule",
    "RulePlace",
    "RuleSet",
    "TreeStep",
    "Trigger",
    "load_ruleset",
]
