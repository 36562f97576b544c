"""`ftgate rules replay` on a corpus recorded by a real server: exactly the decisions a
threshold edit changes are reported."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import grpc
import pytest
from fleettools import fine_tune_profile, small_profile, stored_ids, wait_until
from ftgate.engine.engine import default_rules_dir
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from serverproc import FTGATE, REPO, start_server

# Volumes around the tree's minimum of 10,000 requests a day, which the edit raises to 20,000.
VOLUMES = (2_000, 9_999, 10_000, 12_500, 15_000, 19_999, 20_000, 35_000, 120_000)


def _candidate(tmp_path: Path) -> Path:
    rules = tmp_path / "candidate"
    shutil.copytree(default_rules_dir(), rules)
    path = rules / "thresholds.yaml"
    text = path.read_text(encoding="utf-8")
    assert "minimum_requests_per_day: 10000" in text
    path.write_text(text.replace("minimum_requests_per_day: 10000",
                                 "minimum_requests_per_day: 20000"), encoding="utf-8")
    return rules


def _replay(db: str, rules: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FTGATE, "rules", "replay", "--rules", str(rules), "--audit-db", db,
                           *flags], cwd=REPO, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_replay_reports_exactly_the_decisions_a_threshold_edit_changes(
        tmp_path: Path, pg_url: str) -> None:
    server = start_server(tmp_path, "--audit-db", pg_url, "--audit-migrate", "--workers", "1")
    expected: set[str] = set()
    made: list[str] = []
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
            for i in range(3):
                for volume in VOLUMES:
                    reply = stub.Evaluate(pb.EvaluateRequest(
                        project=fine_tune_profile(f"v{volume}-{i}", requests_per_day=volume)),
                        timeout=30)
                    made.append(reply.assessment.decision_id)
                    if 10_000 <= volume < 20_000:
                        assert reply.assessment.verdict == pb.VERDICT_FINE_TUNE
                        expected.add(reply.assessment.decision_id)
                reply = stub.Evaluate(pb.EvaluateRequest(project=small_profile(i)), timeout=30)
                made.append(reply.assessment.decision_id)
        wait_until(lambda: set(made) <= stored_ids(pg_url), timeout=30, what="corpus stored")
    finally:
        server.stop()
    candidate = _candidate(tmp_path)

    out = _replay(pg_url, candidate, "--output", "json", "--fail-on-change")
    assert out.returncode == 1, out.stderr
    report = json.loads(out.stdout)
    assert report["replayed"] == len(made)
    assert {c["decision_id"] for c in report["changes"]} == expected and len(expected) == 12
    for change in report["changes"]:
        assert change["recorded"]["verdict"] == "VERDICT_FINE_TUNE"
        assert change["candidate"]["verdict"] == "VERDICT_DO_NOT_FINE_TUNE"
    moved = [t for t in report["transitions"] if t["recorded"] != t["candidate"]]
    assert sum(t["decisions"] for t in moved) == 12

    text = _replay(pg_url, candidate)
    assert text.returncode == 0 and "12 would change" in text.stdout
    same = _replay(pg_url, default_rules_dir(), "--fail-on-change")
    assert same.returncode == 0 and "0 would change" in same.stdout
    none_since = _replay(pg_url, candidate, "--since", "2100-01-01", "--fail-on-change")
    assert none_since.returncode == 0 and "replayed 0 decisions" in none_since.stdout


def test_replay_bad_input_is_named(tmp_path: Path) -> None:
    out = _replay(str(tmp_path / "missing.db"), default_rules_dir())
    assert out.returncode == 2 and "not an ftgate audit store (no such file)" in out.stderr
    out = _replay("mysql://x/y", default_rules_dir())
    assert out.returncode == 2 and "postgresql:// URL" in out.stderr
    broken = tmp_path / "broken"
    shutil.copytree(default_rules_dir(), broken)
    (broken / "thresholds.yaml").write_text("kind: thresholds\nthresholds: 3\n", encoding="utf-8")
    db = tmp_path / "audit.db"
    from ftgate.audit import DecisionStore

    DecisionStore(db).close()
    out = _replay(str(db), broken)
    assert out.returncode == 2 and "invalid rules" in out.stderr
