"""The policy's default thresholds and plan live in the shipped rule files, with the values the
policy states (docs/rules.md, the README's generated table); Python repeats none of them."""

from __future__ import annotations

import pytest
from ftgate.engine import Engine

DEFAULT_THRESHOLDS = [
    ("examples.CLASSIFICATION.minimum_viable", 100),
    ("examples.CLASSIFICATION.recommended", 500),
    ("examples.TEXT_GENERATION.minimum_viable", 500),
    ("examples.TEXT_GENERATION.recommended", 2000),
    ("examples.STYLE_TONE.minimum_viable", 1000),
    ("examples.STYLE_TONE.recommended", 5000),
    ("examples.COMPLEX_REASONING.minimum_viable", 5000),
    ("examples.COMPLEX_REASONING.recommended", 20000),
    ("tree_minimum_examples_floor", 500),
    ("frequent_change", ["QUARTERLY", "MONTHLY", "WEEKLY", "DAILY", "UNPREDICTABLE"]),
    ("minimum_requests_per_day", 10000),
    ("rarely_positive_requests_per_day", 50000),
    ("maximum_break_even_months", 12),
    ("roi_positive_requests_per_day", 100000),
    ("roi_positive_savings_per_request_usd", 0.01),
    ("checklist_prompt_variations", 5),
    ("degradation_tolerance", 0.9),
    ("prompt_caching_min_tokens", 1024),
    ("retraining_runs_per_year.YEARLY", 1),
    ("retraining_runs_per_year.QUARTERLY", 4),
    ("retraining_runs_per_year.MONTHLY", 12),
    ("retraining_runs_per_year.WEEKLY", 52),
    ("retraining_runs_per_year.DAILY", 365),
]


@pytest.mark.parametrize(("path", "value"), DEFAULT_THRESHOLDS)
def test_threshold(engine: Engine, path: str, value: object) -> None:
    node: object = engine.ruleset.thresholds
    for key in path.split("."):
        assert isinstance(node, dict)
        node = node[key]
    assert node == value


def test_plan_defaults(engine: Engine) -> None:
    plan = engine.ruleset.plan
    assert plan.lora == {"r": 16, "lora_alpha": 32, "target_modules": ["q_proj", "v_proj"],
                         "lora_dropout": 0.05}
    assert plan.year_one_total == (10000.0, 50000.0)
    assert len(plan.validation_tasks) >= 3
    assert {c[0] for c in plan.year_one_costs} >= {"data annotation", "data-scientist time",
                                                   "training compute", "validation and tests",
                                                   "maintenance (retraining)"}


def test_no_policy_number_is_repeated_in_python() -> None:
    """Thresholds live only in rules/: the engine's Python holds none of the policy's figures."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parent.parent / "service" / "ftgate"
    figures = re.compile(
        r"(?<![\w.])(100|500|2000|5000|20000|10000|50000|100000|1024|365|52|0\.9|0\.01)(?![\w.])")
    offenders = []
    for path in (root / "engine").glob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#")[0]
            if figures.search(code) and not code.strip().startswith(('"', "'")):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert offenders == []
