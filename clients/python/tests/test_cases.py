"""The shared cases of clients/cases.json, through Client, with dicts and with messages."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import json_format

from ftgate_client import Client, FtgateError, v1

from _cases import check_error, check_result
from conftest import load_cases

CASES = load_cases()


def call(client: Client, case: dict[str, Any], as_messages: bool) -> Any:
    """Run a case through the SDK method of its `method`, with dict or message arguments."""
    request, method = case["request"], case["method"]
    if method == "Evaluate":
        project = request["project"]
        if as_messages:
            project = json_format.ParseDict(project, v1.ProjectProfile())
        return client.evaluate(project)
    if method == "EvaluateBatch":
        projects = request["projects"]
        if as_messages:
            projects = [json_format.ParseDict(p, v1.ProjectProfile()) for p in projects]
        return client.evaluate_batch(projects)
    if method == "CheckRegression":
        baseline, candidate = request["baseline"], request["candidate"]
        if as_messages:
            baseline = [json_format.ParseDict(s, v1.TaskScore()) for s in baseline]
            candidate = [json_format.ParseDict(s, v1.TaskScore()) for s in candidate]
        return client.check_regression(baseline, candidate, request.get("tolerance"))
    if method == "ListRules":
        return client.list_rules()
    raise AssertionError(f"unknown method {method}")


def run(client: Client, case: dict[str, Any], as_messages: bool) -> None:
    try:
        result = call(client, case, as_messages)
    except FtgateError as error:
        check_error(case["name"], case["expect"], error)
    else:
        check_result(case, result)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_with_dicts(client: Client, case: dict[str, Any]) -> None:
    run(client, case, as_messages=False)


MESSAGE_CASES = [
    c for c in CASES if c["method"] in ("Evaluate", "EvaluateBatch", "CheckRegression")
]


@pytest.mark.parametrize("case", MESSAGE_CASES, ids=[c["name"] for c in MESSAGE_CASES])
def test_case_with_messages(client: Client, case: dict[str, Any]) -> None:
    run(client, case, as_messages=True)


def test_cases_file_is_well_formed() -> None:
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    for case in CASES:
        assert case["method"] in ("Evaluate", "EvaluateBatch", "CheckRegression", "ListRules")
        request_type = {
            "Evaluate": v1.EvaluateRequest,
            "EvaluateBatch": v1.EvaluateBatchRequest,
            "CheckRegression": v1.CheckRegressionRequest,
            "ListRules": v1.ListRulesRequest,
        }[case["method"]]
        json_format.ParseDict(case["request"], request_type())  # valid proto3 JSON
