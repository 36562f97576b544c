"""Which missing figure matters: for NEEDS_INFORMATION, each missing field comes with the answers
its possible values lead to (the other missing fields still unknown); a field that cannot change
the verdict is not asked for."""

from __future__ import annotations

import dataclasses

import pytest
from counterfactual_check import value_of
from ftgate import enums
from ftgate.assessment import to_message
from ftgate.domain.profile import Economics, Profile, PromptEngineering
from ftgate.engine import Engine
from ftgate.v1 import advisor_pb2 as pb

BASE = Profile(
    task_type="CLASSIFICATION", goal="FORMAT", domain="GENERAL", quality_examples=3_000,
    data_change_frequency="STATIC", prompt_engineering=PromptEngineering(8, True, True),
    base_model_score=0.78, target_score=0.9, dedicated_model=True, planned_method="LORA",
    economics=Economics(200_000, 0.02, 30_000, 400))


def _outcomes(engine: Engine, profile: Profile) -> dict[str, list[tuple[object, ...]]]:
    a = to_message(engine.decide(profile, explain=True), "")
    assert a.verdict == pb.VERDICT_NEEDS_INFORMATION
    assert [m.field for m in a.missing_field_outcomes] == list(a.missing_fields)
    out = {}
    for m in a.missing_field_outcomes:
        out[m.field] = [(
            [value_of(v) for v in o.values] if o.values else (
                o.at_least if o.HasField("at_least") else None,
                o.below if o.HasField("below") else None),
            enums.VERDICT.short(o.verdict), enums.OUTCOME.short_or_none(o.outcome),
            o.description) for o in m.outcomes]
    return out


TABLE = [
    ("the issue's example: the volume decides",
     dataclasses.replace(BASE, economics=Economics(None, 0.02, 30_000, 400)),
     {"economics.requests_per_day": [
         ((None, 10_000.0), "DO_NOT_FINE_TUNE", "PROMPT_ENGINEERING",
          "below 10,000 → Do not fine-tune (Prompt engineering)"),
         ((10_000.0, None), "FINE_TUNE", "FINE_TUNE", "10,000 or more → Fine-tune")]}),
    ("the break-even moves the volume that passes",
     dataclasses.replace(BASE, economics=Economics(None, 0.002, 30_000, 400)),
     {"economics.requests_per_day": [
         ((None, 41_667.0), "DO_NOT_FINE_TUNE", "PROMPT_ENGINEERING",
          "below 41,667 → Do not fine-tune (Prompt engineering)"),
         ((41_667.0, None), "FINE_TUNE", "FINE_TUNE", "41,667 or more → Fine-tune")]}),
    ("a bool", dataclasses.replace(BASE, dedicated_model=None),
     {"dedicated_model": [
         ([True], "FINE_TUNE", "FINE_TUNE", "yes → Fine-tune"),
         ([False], "DO_NOT_FINE_TUNE", "FORGETTING_RISK",
          "no → Do not fine-tune (Risk of catastrophic forgetting)")]}),
    ("an enum", dataclasses.replace(BASE, goal=None),
     {"goal": [
         (["KNOWLEDGE"], "DO_NOT_FINE_TUNE", "USE_RAG", "factual knowledge → Do not fine-tune (Use RAG)"),
         (["STYLE", "FORMAT", "BEHAVIOR"], "FINE_TUNE", "FINE_TUNE",
          "style, format, behaviour → Fine-tune")]}),
    ("the examples against the task type's minimum",
     dataclasses.replace(BASE, quality_examples=None, task_type="STYLE_TONE"),
     {"quality_examples": [
         ((None, 1_000.0), "DO_NOT_FINE_TUNE", "FEW_SHOT",
          "below 1,000 → Do not fine-tune (Few-shot prompting)"),
         ((1_000.0, None), "FINE_TUNE", "FINE_TUNE", "1,000 or more → Fine-tune")]}),
    ("two missing: each alone still needs the other",
     dataclasses.replace(BASE, goal=None, dedicated_model=None),
     {"goal": [
         (["KNOWLEDGE"], "DO_NOT_FINE_TUNE", "USE_RAG", "factual knowledge → Do not fine-tune (Use RAG)"),
         (["STYLE", "FORMAT", "BEHAVIOR"], "NEEDS_INFORMATION", None,
          "style, format, behaviour → Information needed")],
      "dedicated_model": [
          ([True, False], "NEEDS_INFORMATION", None, "yes, no → Information needed")]}),
]


@pytest.mark.parametrize(("name", "profile", "want"), TABLE, ids=[row[0] for row in TABLE])
def test_missing_field_outcomes(engine: Engine, name: str, profile: Profile,
                                want: dict[str, list[tuple[object, ...]]]) -> None:
    assert _outcomes(engine, profile) == want


def test_a_field_that_cannot_change_the_verdict_is_not_asked_for(engine: Engine) -> None:
    # Step 2 blocks (the goal is knowledge) whatever step 1 says: the inputs of steps 3 to 6
    # cannot change the verdict.
    profile = dataclasses.replace(BASE, goal="KNOWLEDGE", base_model_score=None,
                                  quality_examples=None, dedicated_model=None)
    a = to_message(engine.decide(profile, explain=True), "")
    assert list(a.missing_fields) == ["base_model_score"]
    (m,) = a.missing_field_outcomes
    assert {enums.OUTCOME.short_or_none(o.outcome) for o in m.outcomes} == {
        "OPTIMIZE_PROMPT", "USE_RAG"}


def test_only_with_needs_information(engine: Engine) -> None:
    a = to_message(engine.decide(dataclasses.replace(BASE, dedicated_model=False),
                                      explain=True), "")
    assert not a.missing_field_outcomes
