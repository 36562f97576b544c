"""Check one result of clients/cases.json against its `expect` (the format is in the file)."""

from __future__ import annotations

import math
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

from ftgate_client import FtgateError, InvalidArgument, v1

REL = 1e-6


def _close(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or not isinstance(expected, (int, float)):
        return bool(actual == expected)
    return math.isclose(float(actual), float(expected), rel_tol=REL, abs_tol=1e-12)


def _json(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=False)


def check_error(name: str, expect: dict[str, Any], error: FtgateError) -> None:
    assert "code" in expect, f"{name}: unexpected error {error}"
    assert error.code is not None and error.code.name == expect["code"], f"{name}: {error}"
    if expect["code"] == "INVALID_ARGUMENT":
        assert isinstance(error, InvalidArgument), f"{name}: {type(error).__name__}"
        for field in expect.get("fieldViolations", []):
            assert field in error.fields, f"{name}: {field} not in {error.fields} ({error})"
        assert error.violations, f"{name}: INVALID_ARGUMENT without a BadRequest field violation"


def check_assessment(name: str, expect: dict[str, Any], a: v1.Assessment) -> None:
    if "verdict" in expect:
        assert v1.Verdict.Name(a.verdict) == expect["verdict"], f"{name}: {_json(a)}"
    if "outcome" in expect:
        assert v1.Outcome.Name(a.outcome) == expect["outcome"], f"{name}: {_json(a)}"
    if "hasPlan" in expect:
        assert a.HasField("plan") == expect["hasPlan"], f"{name}: plan {a.HasField('plan')}"
    assert a.decision_id, f"{name}: no decision_id"
    assert a.ruleset_version, f"{name}: no ruleset_version"
    findings = [_json(f) for f in a.findings]
    summary = [(f.get("ruleId"), f.get("failureMode"), f.get("severity")) for f in findings]
    for wanted in expect.get("findings", []):
        assert any(all(f.get(k) == v for k, v in wanted.items()) for f in findings), (
            f"{name}: no finding {wanted} in {summary}"
        )
    rule_ids = {f.rule_id for f in a.findings}
    for rule_id in expect.get("findingRuleIds", []):
        assert rule_id in rule_ids, f"{name}: {rule_id} not in {sorted(rule_ids)}"
    kinds = {v1.AlternativeKind.Name(alt.kind) for alt in a.alternatives}
    for kind in expect.get("alternativeKinds", []):
        assert kind in kinds, f"{name}: {kind} not in {sorted(kinds)}"
    for field in expect.get("missingFields", []):
        assert field in a.missing_fields, f"{name}: {field} not in {list(a.missing_fields)}"
    roi = _json(a.roi)
    for key, value in expect.get("roi", {}).items():
        assert key in roi, f"{name}: roi.{key} unset in {roi}"
        assert _close(roi[key], value), f"{name}: roi.{key} = {roi[key]}, want {value}"


def check_result(case: dict[str, Any], result: Any) -> None:
    """``result`` is what the SDK method returned (Assessment, list, response message)."""
    name, expect, method = case["name"], case["expect"], case["method"]
    assert "code" not in expect, f"{name}: expected {expect['code']}, got a result"
    if method == "Evaluate":
        check_assessment(name, expect, result)
    elif method == "EvaluateBatch":
        assert len(result) == len(case["request"]["projects"]), name
        if "verdicts" in expect:
            assert [v1.Verdict.Name(a.verdict) for a in result] == expect["verdicts"], name
        if "outcomes" in expect:
            assert [v1.Outcome.Name(a.outcome) for a in result] == expect["outcomes"], name
        assert len({a.decision_id for a in result}) == len(result), (
            f"{name}: decision ids not unique"
        )
    elif method == "CheckRegression":
        if "passed" in expect:
            assert result.passed == expect["passed"], f"{name}: {_json(result)}"
        if "tolerance" in expect:
            assert _close(result.tolerance, expect["tolerance"]), f"{name}: {result.tolerance}"
        baseline_tasks = [s["task"] for s in case["request"]["baseline"]]
        assert [d.task for d in result.deltas] == baseline_tasks, (
            f"{name}: deltas not in baseline order"
        )
        if "degradedTasks" in expect:
            assert [d.task for d in result.deltas if d.degraded] == expect["degradedTasks"], (
                f"{name}: {_json(result)}"
            )
    elif method == "ListRules":
        assert len(result.rules) >= expect.get("minRules", 0), name
        if expect.get("rulesetVersionNonEmpty"):
            assert result.ruleset_version, name
        modes = {v1.FailureMode.Name(r.failure_mode) for r in result.rules}
        for mode in expect.get("ruleFailureModes", []):
            assert mode in modes, f"{name}: no rule for {mode} in {sorted(modes)}"
    else:
        raise AssertionError(f"{name}: unknown method {method}")
