"""What a new user reads: --version, the decision tree, the NEEDS_INFORMATION report, JSON."""

from __future__ import annotations

import json
import subprocess
import sys

from ftgate.cli import main
from ftgate.engine.engine import default_rules_dir
from ftgate.ruleset import load_ruleset
from serverproc import REPO

EXAMPLES = REPO / "examples"


def test_version_names_package_rules_and_proto() -> None:
    run = subprocess.run([sys.executable, "-m", "ftgate.cli", "--version"], capture_output=True,
                         text=True, timeout=60, cwd=REPO)
    assert run.returncode == 0, run.stderr
    from importlib.metadata import version

    assert run.stdout.splitlines() == [
        f"ftgate {version('ftgate')}",
        f"ruleset {load_ruleset(default_rules_dir()).version} (shipped rules)",
        "proto package ftgate.v1"]


def test_rules_list_tree_shows_every_step(capsys) -> None:
    assert main(["rules", "list", "--tree"]) == 0
    out = capsys.readouterr().out
    rs = load_ruleset(default_rules_dir())
    assert len(rs.steps) == 6
    for step in rs.steps:
        assert f"{step.step}. {step.question}" in out
        for rule_id in step.blocked_by:
            assert rule_id in out
        answer = "yes" if step.answer_when_blocked else "no"
        assert f"answer {answer} → stop: DO NOT FINE TUNE, outcome {step.outcome}" in out
    assert "requests_per_day < minimum_requests_per_day (10000)" in out
    assert "(base_model_score and target_score) or base_model_meets_target" in out
    assert out.rstrip().endswith(f"No step blocked → FINE TUNE, outcome {rs.final_outcome}")


def test_needs_information_report_explains_missing_fields(capsys) -> None:
    assert main(["check", str(EXAMPLES / "sql-assistant-incomplete.json")]) == 4
    out = " ".join(capsys.readouterr().out.split())
    assert ("- economics.requests_per_day: Requests served per day by the model in production. "
            "in the file: economics.requestsPerDay: a number from 0 to 1,000,000,000,000 "
            "(requests a day)") in out
    assert "in the file: dedicatedModel: true or false" in out
    assert "dataChangeFrequency: one of CHANGE_FREQUENCY_STATIC, CHANGE_FREQUENCY_YEARLY" in out


def test_json_output_keeps_no_answers_and_zeros(capsys) -> None:
    assert main(["check", str(EXAMPLES / "translation-prompt-first.yaml"),
                 "--output", "json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["decisionPath"], "the walk stops at step 1"
    assert all("answer" in step for step in out["decisionPath"])
    assert out["decisionPath"][0]["answer"] is False
    assert out["missingFields"] == []
