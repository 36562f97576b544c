"""`ftgate check`, `ftgate rules` and `ftgate health`: exit codes for gates, reports, lint."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from serverproc import REPO

EXAMPLES = REPO / "examples"
# (example, exit code, verdict, outcome) — `ftgate check` exit codes: 0 allowed, 3 not, 4 missing info.
EXPECTED = [
    ("support-ticket-classifier.yaml", 0, "VERDICT_FINE_TUNE", "OUTCOME_FINE_TUNE"),
    ("translation-prompt-first.yaml", 3, "VERDICT_DO_NOT_FINE_TUNE", "OUTCOME_OPTIMIZE_PROMPT"),
    ("product-catalogue-prices.yaml", 3, "VERDICT_DO_NOT_FINE_TUNE", "OUTCOME_USE_RAG"),
    ("hr-policies-assistant.yaml", 3, "VERDICT_DO_NOT_FINE_TUNE",
     "OUTCOME_RAG_OR_DYNAMIC_PROMPTING"),
    ("low-volume-roi.yaml", 3, "VERDICT_DO_NOT_FINE_TUNE", "OUTCOME_PROMPT_ENGINEERING"),
    ("email-classifier-shared-model.yaml", 3, "VERDICT_DO_NOT_FINE_TUNE",
     "OUTCOME_FORGETTING_RISK"),
    ("sql-assistant-incomplete.json", 4, "VERDICT_NEEDS_INFORMATION", "OUTCOME_UNSPECIFIED"),
]


def ftgate(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ftgate.cli", *args], input=stdin,
                          capture_output=True, text=True, timeout=60, cwd=REPO)


@pytest.mark.parametrize(("example", "code", "verdict", "outcome"), EXPECTED,
                         ids=[e[0] for e in EXPECTED])
def test_check_in_process(example, code, verdict, outcome) -> None:
    run = ftgate("check", str(EXAMPLES / example), "--output", "json")
    assert run.returncode == code, run.stderr
    out = json.loads(run.stdout)
    assert out["verdict"] == verdict
    assert out.get("outcome") == outcome
    assert out["decisionId"]


@pytest.mark.parametrize(("example", "code", "verdict", "outcome"), EXPECTED,
                         ids=[e[0] for e in EXPECTED])
def test_check_against_server(server, example, code, verdict, outcome) -> None:
    run = ftgate("check", str(EXAMPLES / example), "--server", server.address)
    assert run.returncode == code, run.stderr
    assert verdict.removeprefix("VERDICT_").replace("_", " ") in run.stdout
    assert "decision id" in run.stdout


def test_report_is_readable() -> None:
    run = ftgate("check", str(EXAMPLES / "support-ticket-classifier.yaml"))
    for text in ("VERDICT: FINE TUNE", "Decision path:", "Fine-tuning plan:", "LoRA r=16",
                 "lora_alpha=32", "q_proj", "$10,000–$50,000"):
        assert text in run.stdout


def test_stdin_and_project_wrapper() -> None:
    body = json.dumps({"project": {"goal": "GOAL_KNOWLEDGE", "baseModelMeetsTarget": False,
                                   "promptEngineering": {"promptVariationsTested": 5,
                                                         "fewShotTried": True,
                                                         "moreCapableModelTried": True}}})
    run = ftgate("check", "-", "--output", "json", stdin=body)
    assert run.returncode == 3
    assert json.loads(run.stdout)["outcome"] == "OUTCOME_USE_RAG"


def test_advise_policy_exits_zero_on_a_negative_verdict() -> None:
    run = ftgate("check", str(EXAMPLES / "low-volume-roi.yaml"), "--policy", "advise")
    assert run.returncode == 0
    assert "DO NOT FINE TUNE" in run.stdout


@pytest.mark.parametrize(("body", "field"), [
    ('{"baseModelScore": 1.5}', "project.baseModelScore"),
    ('{"economics": {"requestsPerDay": -3}}', "project.economics.requestsPerDay"),
    ('{"taskType": "TASK_TYPE_POETRY"}', "standard input:1: project.taskType"),
    ('{"qualityExamples": "many"}', "standard input:1: project.qualityExamples"),
    ("[1, 2]", "mapping"),
    ("{unclosed", "standard input:1: not valid JSON"),
])
def test_bad_input_exits_2_naming_the_field(body, field) -> None:
    run = ftgate("check", "-", stdin=body)
    assert run.returncode == 2
    assert field in run.stderr
    assert "Traceback" not in run.stderr


def test_bad_input_against_server_exits_2(server) -> None:
    run = ftgate("check", "-", "--server", server.address, stdin='{"targetScore": 7}')
    assert run.returncode == 2
    assert "project.targetScore" in run.stderr


def test_unreachable_server_exits_1() -> None:
    from serverproc import free_port

    run = ftgate("check", str(EXAMPLES / "low-volume-roi.yaml"), "--server",
                 f"127.0.0.1:{free_port()}", "--timeout", "2")
    assert run.returncode == 1
    assert "UNAVAILABLE" in run.stderr or "DEADLINE_EXCEEDED" in run.stderr


def test_rules_lint_ok() -> None:
    run = ftgate("rules", "lint")
    assert run.returncode == 0
    assert "ok:" in run.stdout


def test_rules_lint_refuses_a_broken_file(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    path = rules / "failure_modes.yaml"
    path.write_text(path.read_text().replace("severity: WARNING", "severity: LOUD", 1))
    run = ftgate("rules", "lint", "--rules", str(rules))
    assert run.returncode == 2
    assert "failure_modes.yaml: rule FM1.below-recommended: field severity" in run.stderr


def test_rules_test_runs_the_tables() -> None:
    run = ftgate("rules", "test")
    assert run.returncode == 0, run.stdout
    assert " passed, 0 failed" in run.stdout


def test_rules_test_fails_on_a_wrong_table(tmp_path: Path) -> None:
    tests = tmp_path / "tables"
    tests.mkdir()
    (tests / "wrong.yaml").write_text(
        "cases:\n  - name: wrong\n    profile: {goal: GOAL_KNOWLEDGE}\n"
        "    expect: {verdict: FINE_TUNE}\n")
    run = ftgate("rules", "test", "--tests", str(tests))
    assert run.returncode == 1
    assert "FAIL wrong.yaml::wrong" in run.stdout


def test_rules_list_shows_conditions() -> None:
    run = ftgate("rules", "list")
    assert run.returncode == 0
    assert "FM6.low-volume" in run.stdout
    assert "requests_per_day < minimum_requests_per_day (10000)" in run.stdout


def test_health_command(server) -> None:
    assert ftgate("health", "--address", server.address).returncode == 0
    from serverproc import free_port

    assert ftgate("health", "--address", f"127.0.0.1:{free_port()}",
                  "--timeout", "1").returncode == 1


def test_generated_docs_are_fresh() -> None:
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "docgen.py"), "--check"],
                         capture_output=True, text=True, timeout=120, cwd=REPO)
    assert run.returncode == 0, run.stdout


def test_advise_policy_exits_zero_even_on_bad_input() -> None:
    run = ftgate("check", "-", "--policy", "advise", stdin='{"targetScore": 9}')
    assert run.returncode == 0
    assert "project.targetScore" in run.stderr


def test_closed_stdout_keeps_the_verdict_exit_code() -> None:
    run = subprocess.run(
        f"{sys.executable} -m ftgate.cli check {EXAMPLES / 'low-volume-roi.yaml'} | head -1",
        shell=True, capture_output=True, text=True, timeout=60, cwd=REPO,
        executable="/bin/bash")
    assert "internal error" not in run.stderr


@pytest.mark.slow
def test_check_and_health_with_a_bearer_token(tmp_path: Path) -> None:
    from serverproc import start_server

    tokens = tmp_path / "tokens"
    tokens.write_text("gate-token-1\n")
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-token\n")
    server = start_server(tmp_path, "--auth-tokens", str(tokens))
    try:
        example = str(EXAMPLES / "low-volume-roi.yaml")
        ok = ftgate("check", example, "--server", server.address, "--token-file", str(tokens))
        assert ok.returncode == 3, ok.stderr
        refused = ftgate("check", example, "--server", server.address, "--token-file", str(wrong))
        assert refused.returncode == 1
        assert "UNAUTHENTICATED" in refused.stderr
        assert ftgate("health", "--address", server.address).returncode == 0
    finally:
        assert server.stop() == 0


def test_serve_refuses_broken_rules_naming_the_file(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    (rules / "tree.yaml").write_text("kind: tree\nsteps: []\nfinal_outcome: FINE_TUNE\n")
    run = ftgate("serve", "--rules", str(rules), "--listen", "127.0.0.1:0", "--metrics-listen", "")
    assert run.returncode == 2
    assert "tree.yaml" in run.stderr and "internal error" not in run.stderr
