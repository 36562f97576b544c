"""`ftgate schema` and `ftgate init`: the schema agrees with the validator, the examples follow it,
the template reads back as the profile it was made from, and the committed copies are fresh."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from ftgate.api import convert
from ftgate.cli import main
from ftgate.cli.schema import render
from ftgate.errors import InvalidProfile
from ftgate.profile_input import ProfileInputError, read_profile
from ftgate.profile_input.fields import RANGES, FieldSpec, by_path, fields_of
from ftgate.profile_input.template import render_template
from ftgate.schema import profile_schema
from ftgate.v1 import advisor_pb2 as pb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serverproc import REPO

EXAMPLES = sorted((REPO / "examples").glob("*.yaml")) + sorted((REPO / "examples").glob("*.json"))
COMMITTED_SCHEMA = REPO / "examples" / "schema" / "ftgate-profile.schema.json"
VALIDATOR = jsonschema.Draft202012Validator(profile_schema())


def ftgate_accepts(document: Any) -> bool:
    """What `ftgate check` does with a document, up to the engine: read it, then the contract."""
    try:
        message = read_profile(json.dumps(document).encode(), "p.json").message
        convert.profile_from_proto(message)
    except (ProfileInputError, InvalidProfile):
        return False
    return True


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(profile_schema())


def test_committed_schema_is_fresh() -> None:
    assert COMMITTED_SCHEMA.read_text(encoding="utf-8") == render(), (
        "run: ftgate schema > examples/schema/ftgate-profile.schema.json")


def test_schema_command_prints_it(capsys) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == profile_schema()


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_every_example_follows_the_schema_and_names_it(example: Path) -> None:
    text = example.read_text(encoding="utf-8")
    document = json.loads(text) if example.suffix == ".json" else yaml.safe_load(text)
    VALIDATOR.validate(document)
    assert ftgate_accepts(document)
    if example.suffix == ".yaml":
        assert text.startswith("# yaml-language-server: $schema=schema/ftgate-profile.schema.json")
    else:
        assert document["$schema"] == "schema/ftgate-profile.schema.json"


def test_ranges_are_the_contracts() -> None:
    """Each range of the table is where api/convert.py starts refusing."""
    for path, (low, high) in RANGES.items():
        spec = by_path()[path]
        for value, ok in ((low, True), (high, True), (high * 2 + 1, False), (-1, False)):
            document = _nested(path, int(value) if spec.kind == "whole" else value)
            assert ftgate_accepts(document) is ok, (path, value)
            assert VALIDATOR.is_valid(document) is ok, (path, value)
    numbers = {p for p, s in by_path().items() if s.kind in ("whole", "number")}
    assert numbers == set(RANGES), "every number of the profile has a range"


def _nested(path: str, value: Any) -> dict[str, Any]:
    *parents, leaf = path.split(".")
    document: dict[str, Any] = {leaf: value}
    for parent in reversed(parents):
        document = {parent: document}
    return document


# --- the schema and the validator agree on random profiles --------------------------------------

def _valid(spec: FieldSpec) -> st.SearchStrategy[Any]:
    if spec.kind == "text":
        return st.text(max_size=256)
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind == "enum":
        assert spec.enum is not None
        return st.sampled_from([v.name for v in spec.enum.values]) | st.sampled_from(
            [v.number for v in spec.enum.values])
    if spec.kind == "enums":
        return st.lists(st.sampled_from(spec.allowed_names()), max_size=3, unique=True)
    if spec.kind == "message":
        return _fields(spec.path)
    low, high = spec.low or 0, spec.high or 0
    if spec.kind == "whole":
        return (st.integers(int(low), int(high)) | st.sampled_from([low, high])
                | st.integers(int(low), int(high)).map(str))
    return st.floats(low, high) | st.sampled_from([low, high]) | st.integers(int(low), 1)


def _invalid(spec: FieldSpec) -> st.SearchStrategy[Any]:
    wrong = st.none() | st.lists(st.integers(), max_size=2) | st.text(max_size=5) | st.booleans()
    if spec.kind == "text":
        return st.text(min_size=257, max_size=300) | st.integers() | st.none()
    if spec.kind == "bool":
        return st.integers(0, 1) | st.just("true") | st.none()
    if spec.kind == "enum":
        assert spec.enum is not None
        return st.sampled_from(["BOGUS", spec.enum.values[1].name.lower()]) \
            | st.integers(-1, 9).filter(lambda n: n not in spec.enum.values_by_number) | wrong
    if spec.kind == "enums":
        names = [*spec.allowed_names(), "SYMPTOM_UNSPECIFIED", "SLOW"]
        return st.lists(st.sampled_from(names), min_size=2, max_size=4) \
            | st.sampled_from(names) | st.none()
    if spec.kind == "message":
        return st.lists(st.integers(), max_size=1) | st.none() | st.just({"bogus": 1})
    high = spec.high or 0
    edges = st.sampled_from([-1, high + 1, high * 2, 10**40])
    if spec.kind == "whole":
        return (edges | st.integers(max_value=-1) | st.floats(0.1, 0.9) | wrong
                | st.sampled_from(["007", "-1", str(int(high) + 1), "1e3", " 5"]))
    return (edges | st.floats(max_value=-0.001) | st.floats(min_value=high * 1.001) | wrong
            | st.sampled_from(["0.5", "1", "NaN", "Infinity"]))


def _value(spec: FieldSpec) -> st.SearchStrategy[Any]:
    """Mostly valid (so that whole profiles are often valid too), sometimes not."""
    return st.integers(0, 19).flatmap(lambda i: _invalid(spec) if i == 0 else _valid(spec))


@st.composite
def _fields(draw: st.DrawFn, prefix: str) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for spec in fields_of(prefix):
        if draw(st.integers(0, 2)) == 0:
            key = draw(st.sampled_from([spec.json_name, spec.name]))
            document[key] = draw(_value(spec))
    if draw(st.integers(0, 19)) == 0:
        document[draw(st.sampled_from(["qualityExemples", "foo", "requests_per_day"]))] = 1
    return document


PROFILES = _fields("") | _fields("").map(lambda d: {"project": d}) \
    | _fields("").map(lambda d: {"$schema": "x.json", **d})


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROFILES)
def test_schema_and_validator_agree(document: dict[str, Any]) -> None:
    assert VALIDATOR.is_valid(document) is ftgate_accepts(document), document


# --- the template -------------------------------------------------------------------------------

def test_template_reads_and_follows_the_schema() -> None:
    text = render_template()
    profile = read_profile(text.encode(), "template.yaml")
    assert profile.message == pb.ProjectProfile(name="my-project")
    VALIDATOR.validate(yaml.safe_load(text))


def test_template_explains_every_field() -> None:
    text = render_template()
    for spec in by_path().values():
        assert spec.meaning(), f"{spec.path} has no comment in advisor.proto"
        assert f"{spec.json_name}:" in text
        assert " ".join(spec.meaning().split()[:4]) in " ".join(text.replace("#", " ").split())


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_init_from_an_example_is_that_profile(tmp_path: Path, capsys, example: Path) -> None:
    out = tmp_path / "profile.yaml"
    assert main(["init", "--example", example.stem, str(out)]) == 0
    written = read_profile(out.read_bytes(), str(out)).message
    assert written == read_profile(example.read_bytes(), example.name).message


def test_init_refuses_to_overwrite_and_names_examples(tmp_path: Path, capsys) -> None:
    out = tmp_path / "profile.yaml"
    out.write_text("mine\n")
    assert main(["init", str(out)]) == 2
    assert "exists; choose another FILE or add --force" in capsys.readouterr().err
    assert out.read_text() == "mine\n"
    assert main(["init", "--force", str(out)]) == 0
    assert out.read_text().startswith("# yaml-language-server: $schema=")
    assert main(["init", "--example", "nope"]) == 2
    assert "no example 'nope'; the examples are email-classifier-shared-model" in \
        capsys.readouterr().err


def test_init_to_standard_output(capsys) -> None:
    assert main(["init"]) == 0
    assert "# qualityExamples: 0" in capsys.readouterr().out
