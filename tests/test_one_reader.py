"""The one input reader, in process: integers of any length and any YAML form, every problem in
one answer, paths as written, the parts of a description. The same mistakes at every door over
real sockets: tests/admission/test_doors_read_alike.py."""

from __future__ import annotations

import pickle

import pytest
from ftgate import bignum, describe
from ftgate.api import convert
from ftgate.profile_input import ProfileInputError, read_profile, read_request_profiles

COUNT = "a whole number from 0 to 1,000,000,000,000"


@pytest.mark.parametrize("digits", [1, 29, 30, 31, 4000, 4001, 5000, 20_000])
def test_digit_count_is_exact_without_converting_to_text(digits: int) -> None:
    for value in (10 ** (digits - 1), 10**digits - 1, -(10 ** (digits - 1))):
        assert bignum.digit_count(value) == digits


def test_integer_text_beyond_conversion_stays_huge() -> None:
    assert bignum.integer("1_000") == 1000
    assert bignum.integer("-" + "0" * 6000 + "7") == -7  # leading zeros are no digits
    assert bignum.integer("-1" + "0" * 5000) == bignum.HugeInteger(True, 5001)
    assert describe.shown(bignum.HugeInteger(False, 5001)) == "a number of 5,001 digits"
    assert describe.shown(16**5000) == "a number of 6,021 digits"


@pytest.mark.parametrize(("written", "digits"), [
    ("1" + "0" * 5000, "5,001"),  # decimal
    ("1_" + "0" * 5000, "5,001"),  # with a separator
    ("0x" + "f" * 5000, "6,021"),  # hexadecimal
    ("0b" + "1" * 20_000, "6,021"),  # binary
    ("0" + "7" * 5000, "4,516"),  # YAML 1.1 octal
    ("1" + "0" * 5000 + ":30", "5,003"),  # YAML 1.1 base 60, too long: the digits written
])
def test_yaml_integers_of_any_form_and_length_are_range_errors(written: str,
                                                               digits: str) -> None:
    with pytest.raises(ProfileInputError) as exc:
        read_profile(f"qualityExamples: {written}\n".encode(), "p.yaml")
    assert [str(p) for p in exc.value.problems] == [
        f"p.yaml:1: project.qualityExamples: expected {COUNT}; found a number of {digits} digits"]


def test_a_file_gets_every_problem_at_once_in_line_order() -> None:
    text = (b"name: x\nbaseModelScore: 3\ngoal: knowledge\ndomain: 99\n"
            b"prompt_engineering:\n  prompt_variations_tested: -1\n  fewShotTried: 1\n")
    with pytest.raises(ProfileInputError) as exc:
        read_profile(text, "p.yaml")
    assert [str(p) for p in exc.value.problems] == [
        "p.yaml:2: project.baseModelScore: expected a number from 0 to 1; found the number 3",
        "p.yaml:3: project.goal: expected one of GOAL_KNOWLEDGE, GOAL_STYLE, GOAL_FORMAT, "
        'GOAL_BEHAVIOR; found the text "knowledge"; did you mean GOAL_KNOWLEDGE?',
        "p.yaml:4: project.domain: expected one of DOMAIN_GENERAL, DOMAIN_CODE, DOMAIN_MEDICAL, "
        "DOMAIN_LEGAL, DOMAIN_FINANCE, DOMAIN_SQL; found the number 99",
        "p.yaml:6: project.prompt_engineering.prompt_variations_tested: expected a whole number "
        "from 0 to 1,000,000; found the number -1",
        "p.yaml:7: project.prompt_engineering.fewShotTried: expected true or false; found the "
        "number 1"]


def test_request_profiles_null_is_unknown_and_problems_name_each_project() -> None:
    profiles, problems, _ = read_request_profiles(
        {"projects": [{"goal": None, "targetScore": 0.5}, {"symptoms": [
            "SYMPTOM_HIGH_LATENCY", "SYMPTOM_HIGH_LATENCY"], "target_score": -1}]}, repeated=True)
    assert profiles[0].target_score == 0.5 and profiles[0].goal == 0
    assert [(p.file, p.line, p.field, p.description) for p in problems] == [
        (None, None, "projects[1].symptoms[1]", "SYMPTOM_HIGH_LATENCY is listed twice; list "
                                                "each symptom once"),
        (None, None, "projects[1].target_score", "expected a number from 0 to 1; found the "
                                                 "number -1")]


def test_request_profiles_of_the_wrong_shape() -> None:
    assert read_request_profiles({"projects": {"a": 1}}, repeated=True)[1][0].description == \
        "expected a list of project profiles; found a mapping"
    _, problems, _ = read_request_profiles({"project": [1]}, repeated=False)
    assert [str(p) for p in problems] == [
        "project: expected a mapping of profile fields; found a list"]


def test_a_description_keeps_its_parts_across_processes() -> None:
    said = describe.expected("true or false", "the number 1", "write true or false")
    again = pickle.loads(pickle.dumps(said))
    assert again == "expected true or false; found the number 1; write true or false"
    assert describe.parts(again) == {"expected": "true or false", "found": "the number 1",
                                     "suggestion": "write true or false"}
    assert describe.parts("a plain description") == {}


def test_a_profile_read_carries_it_as_the_contract_validated_it() -> None:
    # (the webhook hands it to the service, which does not check it again)
    read = read_profile(b"name: x\nqualityExamples: 1200\nbaseModelScore: 0.5\n", "p.yaml")
    assert read.validated is not None
    assert read.validated == convert.profile_from_proto(read.message)
