"""ftgate.admission without a transport: the answers for what a live server cannot be made to do
on demand (a decision stopped by its deadline), and the warn mode's transformation."""

from __future__ import annotations

import json
from dataclasses import replace

from ftgate.admission import Admission, AdmissionRequest, parse_review
from ftgate.admission import answer as answers
from ftgate.api.answer import Answer
from ftgate.api.errors import DeadlineExceeded
from ftgate.domain.profile import Profile
from ftgate.engine import Engine
from ftgate.errors import InvalidProfile, Violation
from ftgate.profile_input import ProfileFile
from k8s import job, review

PROFILE = "name: x\nqualityExamples: 3000\n"
GATED = {"ftgate.dev/gate": "enforce"}


def request(annotations: dict[str, str] | None = None) -> AdmissionRequest:
    document = review(job(labels=GATED, annotations=annotations or {"ftgate.dev/profile": PROFILE}))
    return parse_review(json.dumps(document).encode())


def stopped(profile: ProfileFile, audit: bool) -> Answer:
    raise DeadlineExceeded("deadline exceeded")


def test_a_decision_stopped_by_its_deadline_refuses_504() -> None:
    result = Admission.of().answer(request(), stopped)
    assert not result.allowed and result.code == 504
    assert "could not decide" in result.message


def test_the_contracts_violations_are_placed_on_the_annotations_lines() -> None:
    def invalid(profile: ProfileFile, audit: bool) -> Answer:
        raise InvalidProfile([Violation("project.quality_examples", "must be at most 10")])

    result = Admission.of().answer(request(), invalid)
    assert not result.allowed and result.code == 422
    # Named as the annotation writes it (camelCase there).
    assert "ftgate.dev/profile:2: project.qualityExamples: must be at most 10" in result.message


def test_dry_run_asks_for_no_audit() -> None:
    asked: list[bool] = []

    engine = Engine()
    admitted = replace(engine.decide(Profile(name="x")), verdict="FINE_TUNE")

    def decide(profile: ProfileFile, audit: bool) -> Answer:
        asked.append(audit)
        return Answer("d", admitted, engine.policy, "en", False)

    document = review(job(labels=GATED, annotations={"ftgate.dev/profile": PROFILE}),
                      dry_run=True)
    assert Admission.of().answer(parse_review(json.dumps(document).encode()), decide).allowed
    assert Admission.of().answer(request(), decide).allowed
    assert asked == [False, True]


def test_warn_mode_turns_every_refusal_into_warnings() -> None:
    result = Admission.of(mode="warn").answer(request(), stopped)
    assert result.allowed and result.code == 200 and not result.message
    assert result.warnings[0].startswith("ftgate (--admission-mode warn) would refuse")
    document = answers.review("u", result)
    assert document["response"] == {"uid": "u", "allowed": True,
                                     "warnings": list(result.warnings)}


def test_long_warnings_are_cut_where_the_api_server_would() -> None:
    document = answers.review("u", answers.Answer(True, warnings=("x" * 1000,)))
    (warning,) = document["response"]["warnings"]
    assert len(warning) == answers.MAX_WARNING and warning.endswith("…")
