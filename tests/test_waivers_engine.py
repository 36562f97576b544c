"""The one check of waivers, in the engine's decision: what a waiver changes and what it never
does (a WARNING, another project, an expired or revoked waiver, a blocker it does not name), and
the answer's bytes still those of the message API."""

from __future__ import annotations

import dataclasses

import pytest
from ftgate.api import convert, wire
from ftgate.domain.profile import Profile
from ftgate.domain.waiver import Waiver
from ftgate.engine import Engine
from ftgate.v1 import advisor_pb2 as pb

NOW = 1_800_000_000_000_000  # µs: the decision's clock, given to the engine
DAY = 86_400_000_000


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def _profile(name: str = "team-a", requests_per_day: float = 2_000,
             goal: int = pb.GOAL_STYLE, **extra: object) -> Profile:
    p = pb.ProjectProfile(
        name=name, task_type=pb.TASK_TYPE_CLASSIFICATION, goal=goal,
        quality_examples=5000, data_change_frequency=pb.CHANGE_FREQUENCY_STATIC,
        base_model_score=0.5, target_score=0.9, dedicated_model=True,
        planned_method=pb.TUNING_METHOD_LORA,
        prompt_engineering=pb.PromptEngineering(prompt_variations_tested=6, few_shot_tried=True,
                                                more_capable_model_tried=True),
        economics=pb.Economics(requests_per_day=requests_per_day, savings_per_request_usd=0.05,
                               investment_usd=1000), **extra)
    return convert.profile_from_proto(p)


def _waiver(rule_ids: tuple[str, ...], project: str = "team-a", **kw: object) -> Waiver:
    fields: dict[str, object] = {"id": "w-1", "project_name": project, "rule_ids": rule_ids,
                                 "reason": "r", "ticket": "", "approved_by": "me",
                                 "created_at_us": NOW - DAY, "expires_at_us": NOW + DAY}
    return Waiver(**{**fields, **kw})


def _blockers(engine: Engine) -> tuple[str, ...]:
    d = engine.decide(_profile(), now_us=NOW)
    assert d.verdict == "DO_NOT_FINE_TUNE"
    return tuple(f.rule_id for f in d.findings if f.severity == "BLOCKER")


def test_a_waiver_keeps_the_finding_marked_and_lets_the_walk_go_on(engine: Engine) -> None:
    waiver = _waiver(_blockers(engine))
    d = engine.decide(_profile(), waivers=(waiver,), now_us=NOW)
    assert (d.verdict, d.outcome) == ("FINE_TUNE", "FINE_TUNE")
    assert d.plan is not None and d.waivers_applied == (waiver,)
    assert {f.rule_id for f in d.findings if f.waiver_id == "w-1"} == set(waiver.rule_ids)
    # The bytes the server writes are still exactly the message API's.
    writer = wire.writer_for(engine.policy)
    assert wire.assessment("id", writer.body(d)) == \
        wire.to_message(d, "id").SerializeToString(deterministic=True)
    message = wire.to_message(d, "id")
    assert [w.id for w in message.waivers_applied] == ["w-1"]


@pytest.mark.parametrize("change", [
    {"project_name": "team-b"},  # another project (exact match only)
    {"project_name": "team-a "},
    {"expires_at_us": NOW},  # expired at the decision's time
    {"revoked_at_us": NOW - 1},  # revoked
])
def test_a_waiver_that_does_not_apply_changes_nothing(engine: Engine,
                                                      change: dict[str, object]) -> None:
    plain = engine.decide(_profile(), now_us=NOW)
    waiver = dataclasses.replace(_waiver(_blockers(engine)), **change)
    assert engine.decide(_profile(), waivers=(waiver,), now_us=NOW) == plain


def test_a_waiver_never_hides_a_warning_nor_passes_on_its_own(engine: Engine) -> None:
    warnings = tuple(r.id for r in engine.ruleset.rules if r.severity == "WARNING")
    profile = _profile(requests_per_day=20_000, symptoms=[pb.SYMPTOM_OFF_TOPIC_ANSWERS])
    plain = engine.decide(profile, now_us=NOW)
    fired = [f.rule_id for f in plain.findings if f.severity == "WARNING"]
    assert fired  # a WARNING fired, and the waiver names it
    assert engine.decide(profile, waivers=(_waiver(warnings),), now_us=NOW) == plain


def test_a_blocker_left_unwaived_still_blocks(engine: Engine) -> None:
    """A knowledge goal (blocked at step 2) with too few requests (blocked at step 5): a waiver
    of one leaves the other blocking; of both, FINE_TUNE."""
    profile = _profile(goal=pb.GOAL_KNOWLEDGE)
    plain = engine.decide(profile, now_us=NOW)
    blockers = [f.rule_id for f in plain.findings if f.severity == "BLOCKER"]
    assert "FM3.knowledge-goal" in blockers and "FM6.low-volume" in blockers
    assert plain.outcome == "USE_RAG"
    d = engine.decide(profile, waivers=(_waiver(("FM3.knowledge-goal",)),), now_us=NOW)
    assert (d.verdict, d.outcome) == ("DO_NOT_FINE_TUNE", "PROMPT_ENGINEERING")
    assert [f.rule_id for f in d.findings if f.waiver_id] == ["FM3.knowledge-goal"]
    d = engine.decide(profile, waivers=(_waiver(("FM6.low-volume",)),), now_us=NOW)
    assert (d.verdict, d.outcome) == ("DO_NOT_FINE_TUNE", "USE_RAG")
    assert d.findings != plain.findings  # FM6 marked, though it is not what blocks here
    both = (_waiver(("FM3.knowledge-goal",)),
            _waiver(tuple(b for b in blockers if b != "FM3.knowledge-goal"), id="w-2"))
    d = engine.decide(profile, waivers=both, now_us=NOW)
    assert d.verdict == "FINE_TUNE"
    assert {w.id for w in d.waivers_applied} == {"w-1", "w-2"}
