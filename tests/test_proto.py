"""The generated code matches proto/, and the contract keeps its public names and buf lint."""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
from pathlib import Path

from ftgate.v1 import advisor_pb2 as pb
from serverproc import REPO


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHON": sys.executable}
    subprocess.run(["bash", str(REPO / "scripts/gen_proto.sh"), str(tmp_path)], check=True,
                   env=env, timeout=120, capture_output=True)
    committed = REPO / "service/ftgate/v1"
    names = sorted(p.name for p in (tmp_path / "ftgate/v1").iterdir())
    assert names == sorted(p.name for p in committed.iterdir() if p.name != "__pycache__")
    stale = [n for n in names if not filecmp.cmp(tmp_path / "ftgate/v1" / n, committed / n,
                                                 shallow=False)]
    assert stale == [], "run `make proto` and commit the result"


def test_buf_lint() -> None:
    buf = Path(sys.executable).parent / "buf"
    run = subprocess.run([str(buf), "lint"], cwd=REPO / "proto", capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_spec_names() -> None:
    service = pb.DESCRIPTOR.services_by_name["FineTuningAdvisorService"]
    assert {m.name for m in service.methods} >= {"Evaluate", "EvaluateBatch", "CheckRegression",
                                                 "ListRules"}
    profile = pb.ProjectProfile.DESCRIPTOR.fields_by_name
    for name in ("name", "task_type", "goal", "domain", "quality_examples",
                 "data_change_frequency", "prompt_engineering", "base_model_score",
                 "target_score", "base_model_meets_target", "dedicated_model", "planned_method",
                 "economics", "symptoms", "prompt", "needs_external_actions"):
        assert name in profile
    for name in ("quality_examples", "base_model_score", "target_score",
                 "base_model_meets_target", "dedicated_model", "needs_external_actions"):
        assert profile[name].has_presence, name
    assessment = pb.Assessment.DESCRIPTOR.fields_by_name
    for name in ("decision_id", "verdict", "outcome", "decision_path", "findings",
                 "alternatives", "roi", "plan", "missing_fields", "ruleset_version"):
        assert name in assessment
    assert [v.name for v in pb.FailureMode.DESCRIPTOR.values][1:] == [
        "FAILURE_MODE_INSUFFICIENT_DATA", "FAILURE_MODE_CHANGING_DATA",
        "FAILURE_MODE_FACTUAL_KNOWLEDGE", "FAILURE_MODE_BASE_MODEL_SUFFICIENT",
        "FAILURE_MODE_CAPABILITY_LOSS", "FAILURE_MODE_NEGATIVE_ROI", "FAILURE_MODE_WRONG_PROBLEM"]
