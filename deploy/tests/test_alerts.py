"""deploy/prometheus: promtool check rules, promtool test rules, and coverage of the unit tests."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml
from conftest import ALERTS, ALERTS_TEST, KNOWN_METRICS, LABELS, find, load_yaml, prometheus_tool, rendered

REQUIRED_ALERTS = {  # what the issue asks for, by alert
    "FtgateHighErrorRatio",  # error ratio
    "FtgateHighLatencyP99",  # p99 latency
    "FtgateRulesReloadFailed",  # rule reload failures
    "FtgateNoDecisions",  # no decisions
}


def alerts() -> list[dict[str, object]]:
    return [r for g in load_yaml(ALERTS)["groups"] for r in g["rules"] if "alert" in r]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([prometheus_tool("promtool"), *args], capture_output=True, text=True,
                          timeout=60, check=False, cwd=ALERTS.parent)


def test_promtool_check_rules() -> None:
    result = promtool("check", "rules", ALERTS.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in result.stdout


def test_promtool_check_rules_on_the_prometheusrule_object(tmp_path: Path) -> None:
    """What the operator would load, extracted from the rendered PrometheusRule."""
    spec = find(rendered("production"), "PrometheusRule", "ftgate")["spec"]
    path = tmp_path / "operator-rules.yml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    result = promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass() -> None:
    result = promtool("test", "rules", ALERTS_TEST.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_can_fail(tmp_path: Path) -> None:
    """A wrong expectation makes promtool fail (the unit tests do test something)."""
    tests = load_yaml(ALERTS_TEST)
    tests["rule_files"] = [str(ALERTS)]
    firing = tests["tests"][0]["alert_rule_test"][-1]
    firing["exp_alerts"][0]["exp_labels"]["severity"] = "info"
    path = tmp_path / "broken_test.yml"
    path.write_text(yaml.safe_dump(tests), encoding="utf-8")
    result = promtool("test", "rules", str(path))
    assert result.returncode != 0


def test_required_alerts_exist_with_severity_and_runbook() -> None:
    names = {str(a["alert"]) for a in alerts()}
    assert names >= REQUIRED_ALERTS
    for alert in alerts():
        assert alert["labels"]["severity"] in {"critical", "warning", "info"}  # type: ignore[index]
        annotations = alert["annotations"]
        assert {"summary", "description", "runbook"} <= set(annotations)  # type: ignore[arg-type]


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    cases: dict[str, list[list[object]]] = {}
    for group in load_yaml(ALERTS_TEST)["tests"]:
        for case in group.get("alert_rule_test", []):
            cases.setdefault(case["alertname"], []).append(case["exp_alerts"])
    for alert in alerts():
        name = str(alert["alert"])
        assert name in cases, f"{name} has no promtool unit test"
        assert any(c for c in cases[name]), f"{name}: no case where it fires"
        assert any(not c for c in cases[name]), f"{name}: no case where it stays quiet"


def test_alerts_use_only_series_ftgate_exports() -> None:
    for alert in alerts():
        expr = str(alert["expr"])
        names = set(re.findall(r"\b(?:ftgate|grpc)_[a-z_]+|\bup(?=\{)", expr)) - LABELS
        assert names, expr
        assert names <= KNOWN_METRICS, f"{alert['alert']}: unknown series {names - KNOWN_METRICS}"
        assert "grpc_server" not in expr or 'grpc_service="ftgate.v1.FineTuningAdvisorService"' in expr, (
            f"{alert['alert']}: health checks must not count")
