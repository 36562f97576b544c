"""Bad profile files: exit 2 and one line per problem naming the file, the line and the field,
what was expected and what was found (and a suggestion); the server says the same words."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from ftgate.cli import main
from ftgate.errors import Violation
from ftgate.profile_input import ProfileFile
from ftgate.profile_input.located import looks_like_json, parse
from ftgate.profile_input.walker import Walker
from ftgate.v1 import advisor_pb2 as pb
from google.rpc import error_details_pb2
from grpc_status import rpc_status

GOALS = "one of GOAL_KNOWLEDGE, GOAL_STYLE, GOAL_FORMAT, GOAL_BEHAVIOR"
SYMPTOMS = ("SYMPTOM_OFF_TOPIC_ANSWERS, SYMPTOM_FACTUAL_HALLUCINATIONS, SYMPTOM_ANSWERS_TOO_LONG, "
            "SYMPTOM_INCONSISTENT_FORMAT, SYMPTOM_HIGH_LATENCY")
COUNT = "a whole number from 0 to 1,000,000,000,000"
MONEY = "a number from 0 to 1,000,000,000,000"

# (id, file name, content, the lines printed after "ftgate: bad input: ")
BAD_FILES: list[tuple[str, str, bytes, list[str]]] = [
    ("typo in a field name", "p.yaml", b"name: x\nquality_exemples: 5\n",
     ["p.yaml:2: project.quality_exemples: unknown field; did you mean quality_examples?"]),
    ("typo in a JSON field name", "p.json", b'{"name": "x",\n "qualityExemples": 5}',
     ["p.json:2: project.qualityExemples: unknown field; did you mean qualityExamples?"]),
    ("a field at the wrong level", "p.yaml", b"requestsPerDay: 5000\n",
     ["p.yaml:1: project.requestsPerDay: unknown field; it belongs under economics"]),
    ("unknown nested field", "p.yaml", b"economics:\n  requestPerDay: 5\n",
     ["p.yaml:2: project.economics.requestPerDay: unknown field in economics; "
      "did you mean requestsPerDay?"]),
    ("unknown enum value", "p.yaml", b"goal: GOAL_FACTS\n",
     [f'p.yaml:1: project.goal: expected {GOALS}; found the text "GOAL_FACTS"; '
      "did you mean GOAL_FORMAT or GOAL_STYLE?"]),
    ("enum value without its prefix", "p.yaml", b"goal: knowledge\n",
     [f'p.yaml:1: project.goal: expected {GOALS}; found the text "knowledge"; '
      "did you mean GOAL_KNOWLEDGE?"]),
    ("enum number unknown", "p.yaml", b"name: n\ngoal: 42\n",
     [f"p.yaml:2: project.goal: expected {GOALS}; found the number 42"]),
    ("text for a number", "p.yaml", b"qualityExamples: lots\n",
     [f'p.yaml:1: project.qualityExamples: expected {COUNT}; found the text "lots"']),
    ("fraction for a count", "p.yaml", b"qualityExamples: 2.5\n",
     [f"p.yaml:1: project.qualityExamples: expected {COUNT}; found the number 2.5"]),
    ("binary file", "p.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
     ["p.yaml: not a UTF-8 text file (a profile is YAML or JSON text; save it as UTF-8)"]),
    ("latin-1 text", "p.yaml", b"name: ok\ngoal: GOAL_STYLE\nname2: caf\xe9\n",
     ["p.yaml:3: not a UTF-8 text file (a profile is YAML or JSON text; save it as UTF-8)"]),
    ("broken YAML", "p.yaml", b"name: x\ngoal: [GOAL_STYLE\n",
     ["p.yaml:3: not valid YAML, column 1: expected ',' or ']', but got '<stream end>' "
      "(while parsing a flow sequence, line 2)"]),
    ("broken JSON", "p.json", b'{"name": "x",\n "goal": "GOAL_STYLE"\n "domain": 1}',
     ["p.json:3: not valid JSON, column 2: Expecting ',' delimiter"]),
    ("tab in YAML", "p.yaml", b"economics:\n\trequestsPerDay: 5\n",
     ["p.yaml:2: a tab character: YAML indents with spaces only; replace the tab with spaces"]),
    ("duplicate key", "p.yaml", b"goal: GOAL_STYLE\nname: x\ngoal: GOAL_FORMAT\n",
     ["p.yaml:3: project.goal: given twice, on lines 1 and 3; keep one"]),
    ("duplicate key, both names", "p.json", b'{"qualityExamples": 1,\n "quality_examples": 2}',
     ["p.json:2: project.quality_examples: given twice (as qualityExamples and "
      "quality_examples), on lines 1 and 2; keep one"]),
    ("list where a mapping is expected", "p.yaml", b"economics: [1, 2]\n",
     ["p.yaml:1: project.economics: expected a mapping of requestsPerDay, savingsPerRequestUsd, "
      "investmentUsd, retrainingCostUsd; found a list"]),
    ("mapping where a value is expected", "p.yaml", b"goal: {name: x}\n",
     [f"p.yaml:1: project.goal: expected {GOALS}; found a mapping"]),
    ("list where a number is expected", "p.yaml", b"qualityExamples: [1]\n",
     [f"p.yaml:1: project.qualityExamples: expected {COUNT}; found a list"]),
    ("YAML null", "p.yaml", b"name: x\ngoal:\n",
     [f"p.yaml:2: project.goal: expected {GOALS}; found nothing (null); "
      "remove the line to leave it unknown"]),
    ("JSON null in a mapping", "p.json", b'{"economics": {"investmentUsd": null}}',
     [f"p.json:1: project.economics.investmentUsd: expected {MONEY}; "
      "found nothing (null); remove the line to leave it unknown"]),
    ("null mapping", "p.yaml", b"promptEngineering: null\n",
     ["p.yaml:1: project.promptEngineering: expected a mapping of promptVariationsTested, "
      "fewShotTried, moreCapableModelTried; found nothing (null); "
      "remove the line to leave it unknown"]),
    ("huge whole number", "p.yaml", b"qualityExamples: 1" + b"0" * 40 + b"\n",
     [f"p.yaml:1: project.qualityExamples: expected {COUNT}; found a number of 41 digits"]),
    ("beyond int32", "p.yaml", b"promptEngineering: {promptVariationsTested: 3000000000}\n",
     ["p.yaml:1: project.promptEngineering.promptVariationsTested: expected a whole number "
      "from 0 to 1,000,000; found the number 3,000,000,000"]),
    ("huge real number", "p.json", b'{"economics": {"requestsPerDay": 1e400}}',
     ["p.json:1: project.economics.requestsPerDay: expected a finite number from 0 to "
      "1,000,000,000,000; found the number Infinity"]),
    ("NaN in JSON", "p.json", b'{"targetScore": NaN}',
     ["p.json:1: project.targetScore: expected a finite number from 0 to 1; "
      "found the number NaN"]),
    ("quoted number", "p.yaml", b'targetScore: "0.5"\n',
     ['p.yaml:1: project.targetScore: expected a number from 0 to 1; found the text "0.5"; '
      "write the number without quotes"]),
    ("score out of range", "p.yaml", b"name: r\nbaseModelScore: 1.5\n",
     ["p.yaml:2: project.baseModelScore: expected a number from 0 to 1; "
      "found the number 1.5"]),
    ("negative nested number", "p.yaml", b"economics:\n  requestsPerDay: -3\n",
     ["p.yaml:2: project.economics.requestsPerDay: expected a number from 0 to "
      "1,000,000,000,000; found the number -3"]),
    ("true for a number", "p.yaml", b"targetScore: true\n",
     ["p.yaml:1: project.targetScore: expected a number from 0 to 1; found true"]),
    ("number for true or false", "p.yaml", b"dedicatedModel: 1\n",
     ["p.yaml:1: project.dedicatedModel: expected true or false; found the number 1"]),
    ("quoted true", "p.json", b'{"dedicatedModel": "true"}',
     ['p.json:1: project.dedicatedModel: expected true or false; found the text "true"; '
      "write true or false without quotes"]),
    ("number for the name", "p.yaml", b"name: 123\n",
     ["p.yaml:1: project.name: expected text of at most 256 characters; found the number 123; "
      "put it in quotes"]),
    ("name too long", "p.yaml", b"name: " + b"x" * 300 + b"\n",
     ["p.yaml:1: project.name: expected text of at most 256 characters; found 300 characters"]),
    ("symptom not in a list", "p.yaml", b"symptoms: SYMPTOM_HIGH_LATENCY\n",
     [f"p.yaml:1: project.symptoms: expected a list drawn from {SYMPTOMS} (each at most once); "
      'found the text "SYMPTOM_HIGH_LATENCY"; write it as a list: [SYMPTOM_HIGH_LATENCY]']),
    ("unknown symptom", "p.yaml", b"symptoms:\n  - SYMPTOM_HIGH_LATENCY\n  - SLOW\n",
     [f"p.yaml:3: project.symptoms[1]: expected a list drawn from {SYMPTOMS} (each at most once);"
      ' found the text "SLOW"']),
    ("symptom listed twice", "p.yaml",
     b"symptoms:\n  - SYMPTOM_HIGH_LATENCY\n  - SYMPTOM_HIGH_LATENCY\n",
     ["p.yaml:3: project.symptoms[1]: SYMPTOM_HIGH_LATENCY is listed twice; "
      "list each symptom once"]),
    ("wrong value deep inside", "p.yaml", b"promptEngineering:\n  fewShotTried: maybe\n",
     ['p.yaml:2: project.promptEngineering.fewShotTried: expected true or false; '
      'found the text "maybe"']),
    ("a list, not a profile", "p.yaml", b"- a\n- b\n",
     ["p.yaml:1: expected a mapping of profile fields (name: value lines, or a JSON object); "
      "found a list"]),
    ("empty file", "p.yaml", b"",
     ["p.yaml:1: the file is empty; expected the fields of a project profile "
      "(`ftgate init` writes a template)"]),
    ("text, not a profile", "p.yaml", b"just some words\n",
     ["p.yaml:1: expected a mapping of profile fields (name: value lines, or a JSON object); "
      'found the text "just some words"']),
    ("next to project:", "p.yaml", b"project:\n  name: x\ngoal: GOAL_STYLE\n",
     ["p.yaml:3: goal: next to `project:` only `$schema` may appear; "
      "put the profile's fields under `project:`"]),
    ("self-referencing alias", "p.yaml", b"name: x\neconomics: &a {x: *a}\n",
     ["p.yaml:2: nested more than 32 levels deep"]),
    ("UTF-16 text", "p.yaml", "name: x\n".encode("utf-16"),
     ["p.yaml: not a UTF-8 text file (a profile is YAML or JSON text; save it as UTF-8)"]),
    ("a number as a field name", "p.yaml", b"name: x\n1: GOAL_STYLE\n",
     ["p.yaml:2: project: expected a field name; found the number 1"]),
    ("a date for the name", "p.yaml", b"name: 2024-01-01\n",
     ["p.yaml:1: project.name: expected text of at most 256 characters; found the date "
      "2024-01-01; put it in quotes"]),
    ("YAML merge key", "p.yaml", b"name: x\n<<: {goal: GOAL_STYLE}\n",
     ["p.yaml:2: a YAML merge key (<<): a profile writes its fields out, one per line"]),
    ("two YAML documents", "p.yaml", b"name: x\n---\nname: y\n",
     ["p.yaml:2: not valid YAML, column 1: but found another document (expected a single "
      "document in the stream, line 1)"]),
    ("deeply nested YAML", "p.yaml", b"name: " + b"[" * 5000 + b"]" * 5000 + b"\n",
     ["p.yaml: nested more than 32 levels deep"]),
    ("huge file", "p.yaml", b"# " + b"x" * (1024 * 1024) + b"\n",
     ["p.yaml: more than 1,048,576 bytes; a profile is a few kilobytes"]),
    ("several problems at once", "p.yaml",
     b"name: x\ngoal: GOAL_FACTS\nqualityExamples: lots\ndedicatedModel: 1\n",
     [f'p.yaml:2: project.goal: expected {GOALS}; found the text "GOAL_FACTS"; '
      "did you mean GOAL_FORMAT or GOAL_STYLE?",
      f'p.yaml:3: project.qualityExamples: expected {COUNT}; found the text "lots"',
      "p.yaml:4: project.dedicatedModel: expected true or false; found the number 1"]),
]


def _stderr_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line.removeprefix("ftgate: bad input: ")
            for line in capsys.readouterr().err.splitlines()]


@pytest.mark.parametrize(("what", "name", "content", "expected"), BAD_FILES,
                         ids=[b[0] for b in BAD_FILES])
def test_bad_file_exits_2_naming_file_line_and_field(tmp_path: Path, monkeypatch, capsys, what,
                                                     name, content, expected) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).write_bytes(content)
    assert main(["check", name]) == 2
    assert _stderr_lines(capsys) == expected


def test_missing_file_and_directory(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check", "nope.yaml"]) == 2
    assert _stderr_lines(capsys) == ["nope.yaml: cannot read the file: No such file or directory"]
    Path("dir.yaml").mkdir()
    assert main(["check", "dir.yaml"]) == 2
    assert _stderr_lines(capsys) == ["dir.yaml: a directory, not a profile file"]


def test_standard_input_is_named(monkeypatch, capsys) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"goal: GOAL_FACTS\n")))
    assert main(["check", "-"]) == 2
    assert _stderr_lines(capsys)[0].startswith("standard input:1: project.goal: expected one of")


def test_advise_policy_reports_bad_input_and_exits_0(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    Path("p.yaml").write_text("goal: GOAL_FACTS\n")
    assert main(["check", "p.yaml", "--policy", "advise"]) == 0
    assert "p.yaml:1: project.goal" in capsys.readouterr().err


# The files whose problems only the contract finds (ranges, enum numbers, repeats, lengths): they
# reach the server, whose BadRequest must say the same as the local check.
CONTRACT_CASES = [b for b in BAD_FILES if b[0] in {
    "enum number unknown", "score out of range", "negative nested number", "name too long",
    "symptom listed twice", "huge real number", "NaN in JSON"}]


def _violations(error: grpc.RpcError) -> list[tuple[str, str]]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    found = []
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            found += [(v.field, v.description) for v in bad.field_violations]
    return found


@pytest.mark.parametrize(("what", "name", "content", "expected"), CONTRACT_CASES,
                         ids=[b[0] for b in CONTRACT_CASES])
def test_server_badrequest_says_the_same(stub, what, name, content, expected) -> None:
    walker = Walker(name)
    message = walker.root(parse(content.decode(), looks_like_json(name, "")))
    assert not walker.problems  # only the contract's checks find these
    with pytest.raises(grpc.RpcError) as exc:
        stub.Evaluate(pb.EvaluateRequest(project=message), timeout=10)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    read = ProfileFile(name, message, walker.lines, walker.written)
    from_server = [str(p) for p in read.locate(
        [Violation(f, d) for f, d in _violations(exc.value)]).problems]
    assert from_server == expected


@pytest.mark.parametrize(("what", "name", "content", "expected"), CONTRACT_CASES[:3],
                         ids=[b[0] for b in CONTRACT_CASES[:3]])
def test_check_against_a_server_prints_the_same_lines(server, tmp_path: Path, monkeypatch,
                                                      capsys, what, name, content,
                                                      expected) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).write_bytes(content)
    assert main(["check", name, "--server", server.address]) == 2
    assert _stderr_lines(capsys) == expected
