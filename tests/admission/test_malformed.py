"""Bodies that are no AdmissionReview v1 the webhook can answer: a 4xx in the HTTP API's JSON
error shape naming what is wrong, never a 500, and the server keeps answering."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Webhook
from ftgate.server.http.admission import api_server_timeout
from k8s import job, review


def valid() -> dict[str, Any]:
    return review(job(labels={"ftgate.dev/gate": "enforce"}))


def changed(path: str, value: Any) -> bytes:
    document = valid()
    node = document
    *parents, last = path.split(".")
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return json.dumps(document).encode()


CASES = [
    ("not JSON", b"{\"apiVersion\": ", 400, "malformed JSON"),
    ("not UTF-8", b"\xff\xfe{}", 400, "not UTF-8"),
    ("an array", b"[]", 400, "got a JSON array"),
    ("v1beta1", changed("apiVersion", "admission.k8s.io/v1beta1"), 400,
     "expected admission.k8s.io/v1 AdmissionReview"),
    ("another kind", changed("kind", "TokenReview"), 400, "'TokenReview'"),
    ("no request", changed("request", ...), 400, "request: expected a JSON object"),
    ("no uid", changed("request.uid", ...), 400, "request.uid"),
    ("empty uid", changed("request.uid", ""), 400, "request.uid"),
    ("bad operation", changed("request.operation", "PATCH"), 400, "request.operation"),
    ("kind a string", changed("request.kind", "Job"), 400, "request.kind"),
    ("dryRun a string", changed("request.dryRun", "yes"), 400, "request.dryRun"),
    ("object a list", changed("request.object", []), 400, "request.object"),
    ("labels a list", changed("request.object.metadata.labels", ["a"]), 400,
     "request.object.metadata.labels"),
    ("annotation a number", changed("request.object.metadata.annotations",
                                    {"ftgate.dev/profile": 3}), 400,
     "request.object.metadata.annotations['ftgate.dev/profile']: expected a string"),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, 400, "malformed JSON"),
]


@pytest.mark.parametrize("body, status, words", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_malformed_reviews_are_4xx_naming_the_problem(webhook: Webhook, body: bytes, status: int,
                                                     words: str) -> None:
    reply = webhook.post(raw=body, headers={"Content-Type": "application/json"})
    assert reply.status == status, reply.body
    error = reply.json["error"]
    assert error["code"] == status
    assert words in error["message"], error["message"]


def test_wrong_content_type_is_415(webhook: Webhook) -> None:
    reply = webhook.post(raw=json.dumps(valid()).encode(), headers={"Content-Type": "text/yaml"})
    assert reply.status == 415 and "application/json" in reply.json["error"]["message"]


def test_an_oversized_body_is_413(webhook: Webhook) -> None:
    body = json.dumps(valid()).encode()
    big = body[:-1] + b', "padding": "' + b"x" * (4 * 1024 * 1024) + b'"}'
    reply = webhook.post(raw=big, headers={"Content-Type": "application/json"})
    assert reply.status == 413 and "bytes" in reply.json["error"]["message"]


def test_only_post(webhook: Webhook) -> None:
    from httpcall import call

    reply = call(webhook.server.http_port or 0, "GET", "/k8s/validate", context=webhook.tls)
    assert reply.status == 405


def test_the_server_still_answers_after_the_malformed_ones(webhook: Webhook) -> None:
    assert webhook.admit(valid())["allowed"] is False  # (labelled, no profile)
    assert "Traceback" not in webhook.server.log()


def test_the_api_server_timeout_parameter() -> None:
    assert api_server_timeout("10s") == 10
    assert api_server_timeout("1m30s") == 90
    assert api_server_timeout("500ms") == 0.5
    assert api_server_timeout("soon") is None
    assert api_server_timeout(None) is None


def test_the_api_server_timeout_is_accepted(webhook: Webhook) -> None:
    reply = webhook.post(valid(), query="?timeout=10s")
    assert reply.status == 200 and reply.json["response"]["allowed"] is False
