"""Every route of the HTTP/JSON API over a real socket, against a real `ftgate serve`: the same
answers as gRPC, and each kind of bad request refused with a 4xx naming the problem."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest
import yaml
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from httpcall import call
from opstools import metric, scrape, wait_until
from serverproc import REPO, ServerProcess

EXAMPLES = sorted([*REPO.glob("examples/*.yaml"), *REPO.glob("examples/*.json")])


def load(path: Path) -> dict[str, object]:
    data = dict(yaml.safe_load(path.read_text(encoding="utf-8")))
    data.pop("$schema", None)  # the JSON examples name their schema; not a profile field
    return data


def grpc_assessment(server: ServerProcess, profile: dict[str, object]) -> pb.Assessment:
    with grpc.insecure_channel(server.address) as channel:
        request = json_format.ParseDict({"project": profile}, pb.EvaluateRequest())
        stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
        return stub.Evaluate(request, timeout=30).assessment


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_evaluate_answers_as_grpc_does(http_server: ServerProcess, example: Path) -> None:
    profile = load(example)
    reply = call(http_server.http_port, "POST", "/v1/evaluate", {"project": profile})
    assert reply.status == 200, reply.body
    assert reply.headers["content-type"] == "application/json"
    got = json_format.ParseDict(reply.json, pb.EvaluateResponse()).assessment
    want = grpc_assessment(http_server, profile)
    assert got.decision_id != want.decision_id
    got.decision_id = want.decision_id = ""
    assert got == want
    assert reply.json["assessment"]["verdict"].startswith("VERDICT_")  # enum names


def test_original_field_names_are_accepted_too(http_server: ServerProcess) -> None:
    camel = load(REPO / "examples/low-volume-roi.yaml")
    snake = json_format.MessageToDict(json_format.ParseDict(camel, pb.ProjectProfile()),
                                      preserving_proto_field_name=True)
    assert "requests_per_day" in snake["economics"]
    answers = [call(http_server.http_port, "POST", "/v1/evaluate", {"project": p}).json
               for p in (camel, snake)]
    assert [a["assessment"]["outcome"] for a in answers] == ["OUTCOME_PROMPT_ENGINEERING"] * 2


def test_batch_regression_and_rules(http_server: ServerProcess) -> None:
    port = http_server.http_port
    profiles = [load(p) for p in EXAMPLES]
    batch = call(port, "POST", "/v1/evaluate:batch", {"projects": profiles})
    assert batch.status == 200
    assert [a["projectName"] for a in batch.json["assessments"]] == [p["name"] for p in profiles]
    check = call(port, "POST", "/v1/regression:check", {
        "baseline": [{"task": "target", "score": 0.8}, {"task": "summary", "score": 0.9}],
        "candidate": [{"task": "target", "score": 0.9}, {"task": "summary", "score": 0.5}]})
    assert check.status == 200
    assert check.json["passed"] is False
    assert [d["degraded"] for d in check.json["deltas"]] == [False, True]
    rules = call(port, "GET", "/v1/rules")
    assert rules.status == 200
    assert rules.json["rulesetVersion"].startswith("sha256:")
    assert {"FM1.below-minimum", "FM6.low-volume"} <= {r["id"] for r in rules.json["rules"]}


def test_decisions_by_id_and_by_query(http_server: ServerProcess) -> None:
    port = http_server.http_port
    answer = call(port, "POST", "/v1/evaluate",
                  {"project": load(REPO / "examples/support-ticket-classifier.yaml")}).json
    decision_id = answer["assessment"]["decisionId"]

    def recorded() -> dict[str, object] | None:  # the audit log is written in the background
        reply = call(port, "GET", f"/v1/decisions/{decision_id}")
        return reply.json if reply.status == 200 else None

    record = wait_until(recorded, what="the decision in the audit log")["decision"]
    assert record["assessment"]["verdict"] == "VERDICT_FINE_TUNE"
    assert record["project"]["name"] == "support-ticket-classifier"
    listed = call(port, "GET", "/v1/decisions?verdict=VERDICT_FINE_TUNE&pageSize=500"
                               "&since=2000-01-01T00:00:00Z")
    assert listed.status == 200
    assert decision_id in [d["decisionId"] for d in listed.json["decisions"]]
    assert {d["assessment"]["verdict"] for d in listed.json["decisions"]} == {"VERDICT_FINE_TUNE"}
    snake = call(port, "GET", "/v1/decisions?verdict=VERDICT_FINE_TUNE&page_size=1")
    assert snake.status == 200 and len(snake.json["decisions"]) == 1


def test_probes_and_console(http_server: ServerProcess) -> None:
    port = http_server.http_port
    assert call(port, "GET", "/healthz").json == {"status": "SERVING"}
    ready = call(port, "GET", "/readyz")
    assert ready.status == 200 and ready.json["rulesetVersion"].startswith("sha256:")
    page = call(port, "GET", "/")
    assert page.status == 200 and b'id="verdict"' in page.body
    assert page.headers["content-type"].startswith("text/html")
    for asset in ("/console/console.js", "/console/console.css", "/console/examples.json",
                  "/console/form.json"):
        assert call(port, "GET", asset).status == 200, asset
    assert call(port, "GET", "/decisions/0f8fad5b-d9cb-469f-a165-70867728950e").status == 200


def grpc_violations(server: ServerProcess, request: pb.EvaluateRequest) -> list[tuple[str, str]]:
    with grpc.insecure_channel(server.address) as channel, pytest.raises(grpc.RpcError) as info:
        pb_grpc.FineTuningAdvisorServiceStub(channel).Evaluate(request, timeout=30)
    status = rpc_status.from_call(info.value)  # type: ignore[arg-type]
    detail = error_details_pb2.BadRequest()
    assert status is not None and status.details[0].Unpack(detail)
    return [(v.field, v.description) for v in detail.field_violations]


def test_invalid_profile_is_400_with_the_grpc_field_violations(http_server: ServerProcess) -> None:
    profile = {"target_score": 1.5, "economics": {"requests_per_day": -3}, "symptoms":
               ["SYMPTOM_HIGH_LATENCY", "SYMPTOM_HIGH_LATENCY"]}
    reply = call(http_server.http_port, "POST", "/v1/evaluate", {"project": profile})
    assert reply.status == 400
    error = reply.json["error"]
    assert error["status"] == "INVALID_ARGUMENT" and error["code"] == 400
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    request = json_format.ParseDict({"project": profile}, pb.EvaluateRequest())
    assert sorted(reply.violations) == sorted(grpc_violations(http_server, request))
    assert {f for f, _ in reply.violations} >= {"project.target_score",
                                                 "project.economics.requests_per_day"}


def test_fields_are_named_as_the_body_writes_them(http_server: ServerProcess) -> None:
    camel = {"targetScore": 1.5, "economics": {"requestsPerDay": -3}}
    reply = call(http_server.http_port, "POST", "/v1/evaluate", {"project": camel})
    assert reply.status == 400
    assert sorted(f for f, _ in reply.violations) == ["project.economics.requestsPerDay",
                                                      "project.targetScore"]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "says"), [
    ("POST", "/v1/evaluate", {"raw": b'{"project": {', "headers": {
        "Content-Type": "application/json"}}, 400, "malformed JSON"),
    ("POST", "/v1/evaluate", {"raw": b'[1, 2]', "headers": {
        "Content-Type": "application/json"}}, 400, "must be a JSON object"),
    ("POST", "/v1/evaluate", {"raw": b'\xff\xfe{}', "headers": {
        "Content-Type": "application/json"}}, 400, "UTF-8"),
    ("POST", "/v1/evaluate", {"raw": b'[' * 100_000 + b']' * 100_000, "headers": {
        "Content-Type": "application/json"}}, 400, "nested too deeply"),
    ("POST", "/v1/evaluate", {"raw": b'{"project": {"qualityExamples": 1' + b'0' * 5000 + b'}}',
                              "headers": {"Content-Type": "application/json"}}, 400,
     "project.qualityExamples: expected a whole number from 0 to 1,000,000,000,000; found a "
     "number of 5,001 digits"),
    # 20 digits: beyond 64 bits, still named whole (not read as a float)
    ("POST", "/v1/evaluate", {"raw": b'{"project": {"qualityExamples": 18446744073709551616}}',
                              "headers": {"Content-Type": "application/json"}}, 400,
     "project.qualityExamples: expected a whole number from 0 to 1,000,000,000,000; found the "
     "number 18446744073709551616"),
    ("POST", "/v1/evaluate", {"body": {"project": {"economics": {"requestsPerDay": [1]}}}}, 400,
     "requestsPerDay"),
    ("POST", "/v1/evaluate", {"body": {"project": {"symptoms": "SYMPTOM_HIGH_LATENCY"}}}, 400,
     "symptoms"),
    ("POST", "/v1/evaluate", {"raw": b'{}', "headers": {"Content-Type": "text/plain"}}, 415,
     "application/json"),
    ("POST", "/v1/evaluate", {"raw": b'{}'}, 415, "application/json"),
    ("POST", "/v1/evaluate", {"body": {"project": {"colour": "red"}}}, 400, "colour"),
    ("POST", "/v1/evaluate", {"body": {"project": {"goal": "GOAL_WORLD_PEACE"}}}, 400,
     "GOAL_WORLD_PEACE"),
    ("POST", "/v1/evaluate", {"body": {"project": {"qualityExamples": "many"}}}, 400,
     "qualityExamples"),
    ("GET", "/v1/evaluate", {}, 405, "GET is not allowed"),
    ("DELETE", "/v1/rules", {}, 405, "DELETE is not allowed"),
    ("GET", "/v1/nothing-here", {}, 404, "no route"),
    ("GET", "/v1/decisions/not-a-uuid", {}, 400, "decision id"),
    ("GET", "/v1/decisions/0f8fad5b-d9cb-469f-a165-70867728950e", {}, 404, "0f8fad5b"),
    ("GET", "/v1/decisions?colour=red", {}, 400, "colour"),
    ("GET", "/v1/decisions?verdict=VERDICT_MAYBE", {}, 400, "VERDICT_MAYBE"),
    ("GET", "/v1/decisions?pageSize=ten", {}, 400, "page_size"),
    ("POST", "/v1/evaluate", {"body": {"project": {}}, "headers": {"Request-Timeout": "soon"}},
     400, "Request-Timeout"),
])
def test_bad_requests_are_4xx_naming_the_problem(http_server: ServerProcess, method: str,
                                                 path: str, kwargs: dict[str, object],
                                                 status: int, says: str) -> None:
    reply = call(http_server.http_port, method, path, **kwargs)  # type: ignore[arg-type]
    assert reply.status == status, reply.body
    error = reply.json["error"]
    assert error["code"] == status
    assert says in error["message"] + json.dumps(error.get("details", []))
    if status == 405:
        assert reply.headers["allow"]


def test_bad_field_is_named_by_its_path_as_written(http_server: ServerProcess) -> None:
    reply = call(http_server.http_port, "POST", "/v1/evaluate:batch",
                 {"projects": [{}, {"economics": {"investmentUsd": "a lot"}}]})
    assert reply.status == 400
    assert [f for f, _ in reply.violations] == ["projects[1].economics.investmentUsd"]


def test_http_calls_are_counted_and_logged(http_server: ServerProcess) -> None:
    port = http_server.http_port
    before = metric(scrape(http_server), "ftgate_http_requests_total", code="200", method="POST",
                    route="/v1/evaluate")
    reply = call(port, "POST", "/v1/evaluate", {"project": {"name": "counted"}})
    decision_id = reply.json["assessment"]["decisionId"]
    # Counted once the response is sent: the scrape may come first.
    text = wait_until(lambda: (t := scrape(http_server)) and metric(
        t, "ftgate_http_requests_total", code="200", method="POST", route="/v1/evaluate",
        ) == before + 1 and t, what="the HTTP request counted")
    assert "ftgate_http_request_duration_seconds_bucket" in text
    assert "ftgate_decisions_total" in text  # the engine's own series count HTTP decisions
    wait_until(lambda: decision_id in http_server.log(), what="the decision log line")


def test_accept_language_chooses_the_texts_as_grpc_metadata_does(
        http_server: ServerProcess) -> None:
    profile = load(REPO / "examples" / "low-volume-roi.yaml")
    french = call(http_server.http_port, "POST", "/v1/evaluate", {"project": profile},
                  headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}).json
    english = call(http_server.http_port, "POST", "/v1/evaluate", {"project": profile}).json
    with grpc.insecure_channel(http_server.address) as channel:
        by_grpc = pb_grpc.FineTuningAdvisorServiceStub(channel).Evaluate(
            json_format.ParseDict({"project": profile}, pb.EvaluateRequest()),
            metadata=[("accept-language", "fr")], timeout=30).assessment
    assert french["assessment"]["findings"][0]["message"] == by_grpc.findings[0].message
    assert french["assessment"]["findings"][0]["message"] != \
        english["assessment"]["findings"][0]["message"]
    assert french["assessment"]["verdict"] == english["assessment"]["verdict"]


@pytest.mark.parametrize(("method", "path", "body", "violations"), [
    ("GET", "/v1/decisions?pageSize=ten", None,
     [("page_size", 'expected a whole number; found the text "ten"')]),
    ("GET", "/v1/decisions?verdict=VERDICT_MAYBE", None,
     [("verdict", "expected one of VERDICT_FINE_TUNE, VERDICT_DO_NOT_FINE_TUNE, "
                  'VERDICT_NEEDS_INFORMATION; found the text "VERDICT_MAYBE"; '
                  "did you mean VERDICT_FINE_TUNE?")]),
    ("POST", "/v1/regression:check", {"tolerance": "x"},
     [("tolerance", 'expected a number; found the text "x"')]),
    ("POST", "/v1/regression:check", {"baseline": [{"task": "a", "scor": 1}]},
     [("baseline[0].scor", "unknown field; did you mean score?")]),
    ("POST", "/v1/regression:check", {"baseline": {"task": "a"}},
     [("baseline", "expected a list (each item a JSON object); found a mapping")]),
    ("POST", "/v1/evaluate", {"project": {}, "explain": 3},
     [("explain", "expected true or false; found the number 3")]),
])
def test_requests_without_a_profile_are_worded_like_profiles(
        http_server: ServerProcess, method: str, path: str, body: object,
        violations: list[tuple[str, str]]) -> None:
    """No Python or protobuf wording (`invalid literal for int()`, `Invalid enum value`)."""
    reply = call(http_server.http_port, method, path, body)
    assert reply.status == 400, reply.body
    assert reply.violations == violations


def test_a_5000_digit_number_in_any_request_is_named_by_its_digits(
        http_server: ServerProcess) -> None:
    reply = call(http_server.http_port, "POST", "/v1/regression:check",
                 raw=b'{"tolerance": 1' + b"0" * 5000 + b"}",
                 headers={"Content-Type": "application/json"})
    assert reply.status == 400, reply.body
    assert reply.violations == [
        ("tolerance", "expected a number the field holds; found a number of 5,001 digits")]
