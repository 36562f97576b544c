"""One input reader for every door: the same mistakes get the same problems (field as written,
expected, found, suggestion), all of them in one answer, and never a 500 or INTERNAL — from
`ftgate check` on a file, POST /v1/evaluate, the webhook's annotation (POST /k8s/validate over
HTTPS) and gRPC Evaluate, the last three against one live `ftgate serve`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from conftest import Webhook
from ftgate.cli import main
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from k8s import job, review
from pki import ServerCert

GOALS = "one of GOAL_KNOWLEDGE, GOAL_STYLE, GOAL_FORMAT, GOAL_BEHAVIOR"
COUNT = "a whole number from 0 to 1,000,000,000,000"
MONEY = "a number from 0 to 1,000,000,000,000"
SCORE = "a number from 0 to 1"
DIGITS_5000 = "1" + "0" * 5000  # 5,001 digits: more than Python converts to an int by default


@dataclass(frozen=True)
class Case:
    """A profile as text (JSON unless `yaml`), the problems every door must name, and whether
    it can travel as a proto message at all (gRPC: enum numbers, in-type numbers only)."""

    what: str
    text: str
    problems: list[tuple[str, str]]
    yaml: bool = False
    grpc: bool = False


def _json(profile: object) -> str:
    return json.dumps(profile)


CASES = [
    Case("unknown enum name, with a suggestion", _json({"goal": "GOAL_TONE"}),
         [("project.goal", f'expected {GOALS}; found the text "GOAL_TONE"; '
                           "did you mean GOAL_STYLE or GOAL_KNOWLEDGE?")]),
    Case("wrong type", _json({"qualityExamples": "many"}),
         [("project.qualityExamples", f'expected {COUNT}; found the text "many"')]),
    Case("out of range", _json({"target_score": 1.5}),
         [("project.target_score", f"expected {SCORE}; found the number 1.5")], grpc=True),
    Case("negative", _json({"economics": {"requests_per_day": -3}}),
         [("project.economics.requests_per_day", f"expected {MONEY}; found the number -3")],
         grpc=True),
    Case("unknown enum number", _json({"goal": 42}),
         [("project.goal", f"expected {GOALS}; found the number 42")], grpc=True),
    Case("5,000-digit integer", '{"qualityExamples": ' + DIGITS_5000 + "}",
         [("project.qualityExamples", f"expected {COUNT}; found a number of 5,001 digits")]),
    Case("5,000-digit negative money", '{"economics": {"investmentUsd": -' + DIGITS_5000 + "}}",
         [("project.economics.investmentUsd",
           f"expected {MONEY}; found a number of 5,001 digits")]),
    Case("hexadecimal integer in YAML", "qualityExamples: 0x" + "f" * 5000 + "\n",
         [("project.qualityExamples", f"expected {COUNT}; found a number of 6,021 digits")],
         yaml=True),
    Case("camelCase path in camelCase input",
         _json({"promptEngineering": {"promptVariationsTested": 2_000_000}}),
         [("project.promptEngineering.promptVariationsTested",
           "expected a whole number from 0 to 1,000,000; found the number 2,000,000")]),
    Case("several mistakes at once: structure, names, types and ranges together",
         _json({"goal": "GOAL_TONE", "qualityExamples": "many", "targetScore": 1.5,
                "economics": {"requestsPerDay": -1}, "dedicatedModel": "yes",
                "qualityExampels": 3}),
         [("project.goal", f'expected {GOALS}; found the text "GOAL_TONE"; '
                           "did you mean GOAL_STYLE or GOAL_KNOWLEDGE?"),
          ("project.qualityExamples", f'expected {COUNT}; found the text "many"'),
          ("project.targetScore", f"expected {SCORE}; found the number 1.5"),
          ("project.economics.requestsPerDay", f"expected {MONEY}; found the number -1"),
          ("project.dedicatedModel", 'expected true or false; found the text "yes"; '
                                     "write true or false without quotes"),
          ("project.qualityExampels", "unknown field; did you mean qualityExamples?")]),
]


def _field_and_description(line: str) -> tuple[str, str]:
    """`FILE:LINE: FIELD: DESCRIPTION` → (FIELD, DESCRIPTION)."""
    _, field, description = line.split(": ", 2)
    return field, description


def cli_problems(tmp_path: Path, case: Case, capsys: pytest.CaptureFixture[str],
                 ) -> list[tuple[str, str]]:
    path = tmp_path / ("p.yaml" if case.yaml else "p.json")
    path.write_text(case.text, encoding="utf-8")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "internal error" not in err
    return [_field_and_description(line.removeprefix("ftgate: bad input: "))
            for line in err.splitlines()]


def http_problems(hook: Webhook, case: Case) -> list[tuple[str, str]]:
    reply = hook.post_api(b'{"project": ' + case.text.encode() + b', "explain": true}')
    assert reply.status == 400, reply.body
    assert reply.json["error"]["status"] == "INVALID_ARGUMENT"
    return reply.violations


def webhook_problems(hook: Webhook, case: Case) -> list[tuple[str, str]]:
    answer = hook.admit(review(job(labels={"ftgate.dev/gate": "enforce"},
                                   annotations={"ftgate.dev/profile": case.text})))
    assert answer["allowed"] is False and answer["status"]["code"] == 422
    lines = answer["status"]["message"].splitlines()[1:]
    return [_field_and_description(line.strip()) for line in lines]


def grpc_problems(stub: pb_grpc.FineTuningAdvisorServiceStub, case: Case,
                  ) -> list[tuple[str, str]]:
    request = pb.EvaluateRequest(project=json_format.Parse(case.text, pb.ProjectProfile()))
    with pytest.raises(grpc.RpcError) as exc:
        stub.Evaluate(request, timeout=30)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(exc.value)  # type: ignore[arg-type]
    assert status is not None
    bad = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad)
    return [(v.field, v.description) for v in bad.field_violations]


@pytest.fixture(scope="module")
def stub(webhook: Webhook, cert: ServerCert) -> Iterator[pb_grpc.FineTuningAdvisorServiceStub]:
    with grpc.secure_channel(webhook.server.address,
                             grpc.ssl_channel_credentials(cert.pem())) as channel:
        yield pb_grpc.FineTuningAdvisorServiceStub(channel)


def _doors(case: Case) -> list[str]:
    return ["ftgate check", "webhook"] + ([] if case.yaml else ["http"]) + \
        (["grpc"] if case.grpc else [])


CASES_BY_DOOR = [(case, door) for case in CASES for door in _doors(case)]


@pytest.mark.parametrize(("case", "door"), CASES_BY_DOOR,
                         ids=[f"{door}: {case.what}" for case, door in CASES_BY_DOOR])
def test_every_door_names_the_same_problems(webhook: Webhook, stub, tmp_path: Path, capsys,
                                            case: Case, door: str) -> None:
    found = (cli_problems(tmp_path, case, capsys) if door == "ftgate check"
             else webhook_problems(webhook, case) if door == "webhook"
             else http_problems(webhook, case) if door == "http"
             else grpc_problems(stub, case))
    assert sorted(found) == sorted(case.problems)


def test_http_gives_expected_found_and_suggestion_apart(webhook: Webhook) -> None:
    reply = webhook.post_api(b'{"project": {"goal": "GOAL_TONE", "targetScore": 7}}')
    assert reply.status == 400
    violations = reply.json["error"]["details"][0]["fieldViolations"]
    assert violations == [
        {"field": "project.goal",
         "description": f'expected {GOALS}; found the text "GOAL_TONE"; '
                        "did you mean GOAL_STYLE or GOAL_KNOWLEDGE?",
         "expected": GOALS, "found": 'the text "GOAL_TONE"',
         "suggestion": "did you mean GOAL_STYLE or GOAL_KNOWLEDGE?"},
        {"field": "project.targetScore",
         "description": f"expected {SCORE}; found the number 7",
         "expected": SCORE, "found": "the number 7"}]


def test_batch_names_each_project_in_one_answer(webhook: Webhook) -> None:
    body = ('{"projects": [{"goal": "GOAL_STYLE"}, {"quality_examples": ' + DIGITS_5000
            + '}, {"goal": "style"}]}').encode()
    reply = webhook.post_api(body, path="/v1/evaluate:batch")
    assert reply.status == 400, reply.body
    assert reply.violations == [
        ("projects[1].quality_examples", f"expected {COUNT}; found a number of 5,001 digits"),
        ("projects[2].goal", f'expected {GOALS}; found the text "style"; '
                             "did you mean GOAL_STYLE?")]


def test_a_review_with_a_huge_integer_anywhere_is_answered(webhook: Webhook) -> None:
    document = review(job(labels={"ftgate.dev/gate": "enforce"},
                          annotations={"ftgate.dev/profile": '{"name": "x"}'}))
    raw = json.dumps(document).replace('"dryRun": false', '"dryRun": ' + DIGITS_5000)
    assert DIGITS_5000 in raw
    reply = webhook.post(raw=raw.encode(), headers={"Content-Type": "application/json"})
    assert reply.status == 400, reply.body
    message = reply.json["error"]["message"]
    assert message == "request.dryRun: expected true or false, got a JSON number"
