"""The OpenAPI document: generated from the proto (routes, schemas, comments), valid OpenAPI 3.1,
served as generated, and fresh against proto/ (a comment edited without `make proto` fails)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ftgate.server.http.openapi import document
from ftgate.server.http.protodoc import bindings
from ftgate.v1 import advisor_pb2 as pb
from httpcall import call
from openapi_spec_validator import validate
from serverproc import REPO, ServerProcess


def test_the_document_is_valid_openapi_31() -> None:
    doc = document()
    assert doc["openapi"] == "3.1.0"
    validate(doc)  # type: ignore[arg-type]


def test_every_annotated_method_is_a_path_with_its_comment() -> None:
    doc = document()
    service = pb.DESCRIPTOR.services_by_name["FineTuningAdvisorService"]
    assert {b.method.name for b in bindings()} == {m.name for m in service.methods}
    for b in bindings():
        operation = doc["paths"][b.path][b.verb.lower()]
        assert operation["operationId"] == b.method.name
        assert operation["description"]  # the rpc's comment in the proto
    profile = doc["components"]["schemas"]["ProjectProfile"]["properties"]
    assert profile["baseModelScore"]["description"].startswith("Measured quality of the base model")
    assert "GOAL_KNOWLEDGE: Teach the model facts" in doc["components"]["schemas"]["Goal"][
        "description"]
    listing = doc["paths"]["/v1/decisions"]["get"]["parameters"]
    assert {p["name"] for p in listing} >= {"since", "until", "verdict", "page_size", "page_token"}


def test_the_served_document_is_the_generated_one(http_server: ServerProcess) -> None:
    reply = call(http_server.http_port, "GET", "/openapi.json")
    assert reply.status == 200
    assert reply.json == document()


def test_the_descriptor_set_it_is_made_from_is_fresh(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHON": sys.executable}
    subprocess.run(["bash", str(REPO / "scripts/gen_proto.sh"), str(tmp_path)], check=True,
                   env=env, timeout=120, capture_output=True)
    shipped = REPO / "service/ftgate/v1/advisor.binpb"
    assert (tmp_path / "ftgate/v1/advisor.binpb").read_bytes() == shipped.read_bytes(), \
        "the proto changed: run `make proto` and commit the result"
