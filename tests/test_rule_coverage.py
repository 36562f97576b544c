"""`ftgate rules test --coverage`: which rules, tree branches and alternatives the test tables
exercise; `--min-coverage N` fails under N %."""

from __future__ import annotations

from pathlib import Path

from ftgate.engine import Engine
from ftgate.rulecoverage import measure
from ftgate.ruletest import Case
from test_cli import ftgate

ONE_CASE = ("cases:\n  - name: knowledge\n    profile: {goal: GOAL_KNOWLEDGE}\n"
            "    expect: {verdict: NEEDS_INFORMATION}\n")


def test_the_shipped_tables_cover_everything() -> None:
    run = ftgate("rules", "test", "--coverage")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "coverage: rules 22/22 · tree branches 12/12 · alternatives 6/6 · " \
           "total 40/40 (100.0 %)" in run.stdout
    assert ftgate("rules", "test", "--min-coverage", "100").returncode == 0


def test_a_thin_table_lists_what_it_misses_and_fails_the_threshold(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(ONE_CASE)
    run = ftgate("rules", "test", "--tests", str(tmp_path), "--min-coverage", "50")
    assert run.returncode == 1
    assert "1 passed, 0 failed" in run.stdout
    assert "  not covered: rule FM1.below-minimum" in run.stdout
    assert "  not covered: branch step 6 passed" in run.stdout
    assert "is under --min-coverage 50" in run.stderr
    # Under the threshold it names, it passes.
    assert ftgate("rules", "test", "--tests", str(tmp_path), "--min-coverage", "1").returncode == 0


def test_the_threshold_is_a_percentage() -> None:
    run = ftgate("rules", "test", "--min-coverage", "lots")
    assert run.returncode == 2
    assert "--min-coverage: expected a percentage (0 to 100), got 'lots'" in run.stderr


def test_what_one_case_covers(engine: Engine) -> None:
    covered = measure(engine, [Case("t.yaml", "k", {"goal": "GOAL_KNOWLEDGE"}, {})])
    names = {(i.kind, i.name) for i in covered.items if i.covered}
    # No step 1 inputs: the walk stops at step 1 for missing inputs, yet FM3 fired and RAG is
    # proposed.
    assert ("rule", "FM3.knowledge-goal") in names
    assert ("alternative", "RAG") in names
    assert not any(kind == "branch" for kind, _ in names)


def test_lint_warns_about_a_condition_that_cannot_be_inverted(tmp_path: Path) -> None:
    import shutil

    from serverproc import REPO

    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    path = rules / "failure_modes.yaml"
    text = path.read_text()
    old = "when: { fact: net_break_even_months, gt: { threshold: maximum_break_even_months } }"
    assert old in text
    path.write_text(text.replace(old, old.replace("net_break_even_months,",
                                                  "net_value_three_years_usd,")))
    run = ftgate("rules", "lint", "--rules", str(rules))
    assert run.returncode == 0, run.stderr
    assert ("ftgate: warning: failure_modes.yaml: rule FM6.slow-break-even: its condition on "
            "net_value_three_years_usd cannot be inverted") in run.stderr
    assert "warning" not in ftgate("rules", "lint").stderr
