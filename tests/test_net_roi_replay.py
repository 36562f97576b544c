"""What deciding step 5 on the break-even net of retraining changes for recorded decisions: a
real `ftgate serve` records a corpus under the rules as they were (the gross break-even, no
never-breaks-even rule, no retraining cost asked for), and `ftgate rules replay` of the shipped
rules reports exactly the decisions docs/rules.md says change."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import grpc
from boundary_cases import with_overrides
from ftgate.engine.engine import default_rules_dir
from ftgate.ruletest import profile_message
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from serverproc import FTGATE, REPO, start_server


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name}: {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _cut(path: Path, pattern: str) -> None:
    text = path.read_text(encoding="utf-8")
    cut, n = re.subn(pattern, "", text, flags=re.S)
    assert n == 1, f"{path.name}: {pattern!r}"
    path.write_text(cut, encoding="utf-8")


def old_rules(tmp_path: Path) -> Path:
    """The shipped rules as they were before step 5 was net of retraining."""
    rules = tmp_path / "old-rules"
    shutil.copytree(default_rules_dir(), rules, ignore=shutil.ignore_patterns("tests"))
    _replace(rules / "failure_modes.yaml",
             "when: { fact: net_break_even_months, gt: { threshold: maximum_break_even_months } }",
             "when: { fact: break_even_months, gt: { threshold: maximum_break_even_months } }")
    _cut(rules / "failure_modes.yaml", r"  - id: FM6\.never-breaks-even\n.*?(?=  - id: )")
    _cut(rules / "alternatives.yaml",
         r"      - finding: FM6\.never-breaks-even\n.*?(?=      - finding: )")
    _replace(rules / "tree.yaml",
             "blocked_by: [FM6.low-volume, FM6.never-breaks-even, FM6.slow-break-even]",
             "blocked_by: [FM6.low-volume, FM6.slow-break-even]")
    _cut(rules / "tree.yaml",
         r"      - \{ fact: retraining_cost_usd, when: \{[^\n]*\}\n(?=    pass_reason)")
    return rules


def _economics(frequency: str, rpd: float, saving: float, investment: float,
               retraining: float | None) -> dict[str, Any]:
    profile = with_overrides({"dataChangeFrequency": f"CHANGE_FREQUENCY_{frequency}"})
    profile["economics"] = {"requestsPerDay": rpd, "savingsPerRequestUsd": saving,
                            "investmentUsd": investment}
    if retraining is not None:
        profile["economics"]["retrainingCostUsd"] = retraining
    return profile


# name → (profile, the verdict recorded under the old rules, under the shipped ones)
CORPUS = {
    "static": (with_overrides({}), "FINE_TUNE", "FINE_TUNE"),
    "article-example": (_economics("STATIC", 1_000, 0.002, 15_000, None),
                        "DO_NOT_FINE_TUNE", "DO_NOT_FINE_TUNE"),
    "yearly-cheap-retraining": (_economics("YEARLY", 200_000, 0.02, 30_000, 400),
                                "FINE_TUNE", "FINE_TUNE"),
    "yearly-net-12-months": (_economics("YEARLY", 12_000, 0.0023, 8_736, 1_200),
                             "FINE_TUNE", "FINE_TUNE"),
    "monthly": (_economics("MONTHLY", 200_000, 0.02, 30_000, 400),
                "DO_NOT_FINE_TUNE", "DO_NOT_FINE_TUNE"),
    # Gross 9.8 months, net 96.8: now blocked at step 5.
    "yearly-slow-net": (_economics("YEARLY", 10_000, 0.0034, 10_000, 11_000),
                        "FINE_TUNE", "DO_NOT_FINE_TUNE"),
    # Gross 6 months, net never: now blocked at step 5.
    "yearly-never": (_economics("YEARLY", 12_000, 0.0023, 5_000, 20_000),
                     "FINE_TUNE", "DO_NOT_FINE_TUNE"),
    # Blocked at step 6 before; step 5 now blocks first, with its own outcome.
    "yearly-never-shared-model": ({**_economics("YEARLY", 12_000, 0.0023, 5_000, 20_000),
                                   "dedicatedModel": False},
                                  "DO_NOT_FINE_TUNE", "DO_NOT_FINE_TUNE"),
    # Retraining cost not given: was taken as nothing, now asked for.
    "yearly-cost-unknown": (_economics("YEARLY", 200_000, 0.02, 30_000, None),
                            "FINE_TUNE", "NEEDS_INFORMATION"),
}


def _record(tmp_path: Path, rules: Path) -> tuple[Path, dict[str, str]]:
    """The corpus decided by a live server under `rules`, recorded in an SQLite audit log:
    (the log, decision id → corpus name)."""
    db = tmp_path / "recorded.db"
    server = start_server(tmp_path, "--rules", str(rules), "--audit-db", str(db),
                          "--workers", "1")
    ids: dict[str, str] = {}
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
            for name, (profile, recorded, _) in CORPUS.items():
                a = stub.Evaluate(pb.EvaluateRequest(project=profile_message(profile)),
                                  timeout=30).assessment
                assert pb.Verdict.Name(a.verdict) == f"VERDICT_{recorded}", name
                ids[a.decision_id] = name
    finally:
        assert server.stop() == 0  # (a clean stop writes every answered decision)
    with sqlite3.connect(db) as conn:
        stored = {r[0] for r in conn.execute("SELECT decision_id FROM decisions")}
    assert stored == set(ids)
    return db, ids


def test_replay_of_the_net_rules_on_decisions_recorded_under_the_gross_ones(
        tmp_path: Path) -> None:
    db, ids = _record(tmp_path, old_rules(tmp_path))
    run = subprocess.run([*FTGATE, "rules", "replay", "--rules", str(default_rules_dir()),
                          "--audit-db", str(db), "--output", "json", "--fail-on-change"],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    assert report["replayed"] == len(CORPUS)
    changed = {ids[c["decision_id"]]: c for c in report["changes"]}
    assert set(changed) == {"yearly-slow-net", "yearly-never", "yearly-never-shared-model",
                            "yearly-cost-unknown"}
    for name, change in changed.items():
        _, old, new = CORPUS[name]
        assert change["recorded"]["verdict"] == f"VERDICT_{old}"
        assert change["candidate"]["verdict"] == f"VERDICT_{new}"
    assert changed["yearly-slow-net"]["candidate"]["outcome"] == "OUTCOME_PROMPT_ENGINEERING"
    assert changed["yearly-never"]["candidate"]["outcome"] == "OUTCOME_PROMPT_ENGINEERING"
    shared = changed["yearly-never-shared-model"]
    assert shared["recorded"]["outcome"] == "OUTCOME_FORGETTING_RISK"
    assert shared["candidate"]["outcome"] == "OUTCOME_PROMPT_ENGINEERING"
