"""docs/gate/: every provisioning-gate example, run for real where the tool is here.

- ftgate check: exit codes and decision id, against the live server.
- github-actions.yml: schema-checked (check-jsonschema's vendored GitHub workflow schema) and its
  gate step's shell script run with bash, as the runner would, against the live server.
- kubernetes-job.yaml: validated with kubernetes-validate --strict (offline schemas), and the
  init container's args (with $(VAR) expanded as the kubelet does) run against the live server.
  No cluster here: the Job itself is not scheduled.
- terraform/ (external + null_resource): `terraform fmt -check` for syntax only (the external and
  null providers cannot be downloaded here); its external program is run with Terraform's
  stdin/stdout protocol against the live server.
- terraform-local-exec/ (built-in terraform_data): `terraform init` + `terraform apply` for real.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
from typing import Any

import pytest
import yaml

from _server import REPO, FtgateServer, ftgate_bin

GATE = REPO / "docs" / "gate"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BIN = pathlib.Path(sys.executable).parent

ALLOWED: dict[str, Any] = yaml.safe_load((GATE / "profile.yaml").read_text())
PROFILES: dict[str, tuple[dict[str, Any], int]] = {
    "allowed": (ALLOWED, 0),
    "not-allowed": ({**ALLOWED, "goal": "GOAL_KNOWLEDGE"}, 3),
    "information-missing": ({"name": "half-done", "taskType": "TASK_TYPE_CLASSIFICATION"}, 4),
    "bad-input": ({**ALLOWED, "targetScore": 1.5}, 2),
}


def env_with_ftgate(**extra: str) -> dict[str, str]:
    path = f"{ftgate_bin().parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, "CHECKPOINT_DISABLE": "1", **extra}


def write_profile(tmp_path: pathlib.Path, name: str) -> pathlib.Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(PROFILES[name][0], sort_keys=False))
    return path


def run(cmd: list[str], timeout: float = 60, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)


# --- ftgate check itself --------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PROFILES))
def test_check_exit_codes_and_decision_id(
    server: FtgateServer, tmp_path: pathlib.Path, name: str
) -> None:
    profile, code = PROFILES[name]
    path = write_profile(tmp_path, name)
    text = run(
        [str(ftgate_bin()), "check", str(path), "--server", server.address, "--policy", "enforce"]
    )
    assert text.returncode == code, text.stdout + text.stderr
    if code == 2:
        assert "project.targetScore" in text.stderr
        return
    assert UUID.search(text.stdout), f"no decision id in the report:\n{text.stdout}"
    as_json = run(
        [str(ftgate_bin()), "check", "-", "--server", server.address, "--output", "json"],
        input=json.dumps(profile),
    )
    assert as_json.returncode == code, as_json.stderr
    assert UUID.fullmatch(json.loads(as_json.stdout)["decisionId"])


@pytest.mark.parametrize("name", ["not-allowed", "information-missing"])
def test_advise_policy_reports_and_exits_zero(
    server: FtgateServer, tmp_path: pathlib.Path, name: str
) -> None:
    path = write_profile(tmp_path, name)
    done = run(
        [str(ftgate_bin()), "check", str(path), "--server", server.address, "--policy", "advise"]
    )
    assert done.returncode == 0, done.stderr
    assert UUID.search(done.stdout) and "VERDICT" in done.stdout


# --- GitHub Actions ---------------------------------------------------------------------------


def workflow() -> dict[Any, Any]:
    doc: dict[Any, Any] = yaml.safe_load((GATE / "github-actions.yml").read_text())
    return doc


def test_github_actions_workflow_is_valid() -> None:
    doc = workflow()
    assert True in doc or "on" in doc  # YAML 1.1 reads the `on:` key as True
    assert doc["jobs"]["train"]["needs"] == "ftgate"
    done = run(
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(GATE / "github-actions.yml"),
        ]
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("name", list(PROFILES))
def test_github_actions_gate_step(server: FtgateServer, tmp_path: pathlib.Path, name: str) -> None:
    step = next(s for s in workflow()["jobs"]["ftgate"]["steps"] if s.get("id") == "gate")
    assert step["shell"] == "bash"
    outputs, summary = tmp_path / "github_output", tmp_path / "step_summary"
    env = env_with_ftgate(
        FTGATE_SERVER=server.address,
        FTGATE_PROFILE=str(write_profile(tmp_path, name)),
        GITHUB_OUTPUT=str(outputs),
        GITHUB_STEP_SUMMARY=str(summary),
    )
    # The runner runs `bash -e {0}` on the script (shell: bash).
    script = tmp_path / "step.sh"
    script.write_text(step["run"])
    done = run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], env=env, cwd=tmp_path
    )
    expected = PROFILES[name][1]
    assert done.returncode == expected, done.stdout + done.stderr
    decision = re.fullmatch(r"decision_id=(.*)\n", outputs.read_text())
    assert decision, outputs.read_text()
    if expected == 2:
        assert decision.group(1) == ""
    else:
        assert UUID.fullmatch(decision.group(1))
        assert decision.group(1) in summary.read_text()


# --- Kubernetes --------------------------------------------------------------------------------


def manifests() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((GATE / "kubernetes-job.yaml").read_text()) if d]


def test_kubernetes_job_is_valid(tmp_path: pathlib.Path) -> None:
    validator = str(BIN / "kubernetes-validate")
    done = run([validator, "--strict", str(GATE / "kubernetes-job.yaml")])
    assert done.returncode == 0, done.stdout + done.stderr
    # The validator is real: a misspelt field fails.
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        (GATE / "kubernetes-job.yaml").read_text().replace("initContainers:", "initContainer:")
    )
    assert run([validator, "--strict", str(broken)]).returncode != 0


def expand(arg: str, env: dict[str, str]) -> str:
    """$(VAR) in container args, as the kubelet expands it from the container's env."""
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), arg)


@pytest.mark.parametrize("name", ["allowed", "not-allowed", "information-missing"])
def test_kubernetes_init_container_gate(
    server: FtgateServer, tmp_path: pathlib.Path, name: str
) -> None:
    config_map, job = manifests()
    pod = job["spec"]["template"]["spec"]
    assert job["spec"]["backoffLimit"] == 0 and pod["restartPolicy"] == "Never"
    init = pod["initContainers"][0]
    assert init["image"].startswith("ghcr.io/ftgate/ftgate:")  # whose entrypoint is `ftgate`
    mount = next(m["mountPath"] for m in init["volumeMounts"] if m["name"] == "profile")
    profile_dir = tmp_path / "profile"
    profile_dir.mkdir()
    (profile_dir / "profile.yaml").write_text(config_map["data"]["profile.yaml"])
    if name != "allowed":  # the shipped ConfigMap is the allowed profile; swap in another
        assert yaml.safe_load(config_map["data"]["profile.yaml"]) == ALLOWED
        write_profile(tmp_path, name).replace(profile_dir / "profile.yaml")
    env = {e["name"]: e["value"] for e in init["env"]}
    env["FTGATE_SERVER"] = server.address  # the cluster's Service address, here the live server
    args = [expand(a, env).replace(mount, str(profile_dir)) for a in init["args"]]
    done = run([str(ftgate_bin()), *args])
    assert done.returncode == PROFILES[name][1], done.stdout + done.stderr
    assert UUID.search(done.stdout)


# --- Terraform ---------------------------------------------------------------------------------

needs_terraform = pytest.mark.skipif(
    shutil.which("terraform") is None, reason="terraform not installed"
)


@needs_terraform
def test_terraform_examples_parse() -> None:
    # Syntax only: `fmt` parses HCL without providers (validate would need them downloaded).
    done = run(
        ["terraform", "fmt", "-check", "-diff", "-recursive", str(GATE)], env=env_with_ftgate()
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq not installed")
@pytest.mark.parametrize("name", list(PROFILES))
def test_terraform_external_program(
    server: FtgateServer, tmp_path: pathlib.Path, name: str
) -> None:
    main_tf = (GATE / "terraform" / "main.tf").read_text()
    assert 'program = ["sh", "${path.module}/ftgate-external.sh"]' in main_tf
    query = {"profile": str(write_profile(tmp_path, name)), "server": server.address}
    done = run(
        ["sh", str(GATE / "terraform" / "ftgate-external.sh")],
        input=json.dumps(query),
        env=env_with_ftgate(),
    )
    code = PROFILES[name][1]
    if code == 2:
        assert done.returncode == 2 and "project.targetScore" in done.stderr
        return
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert all(isinstance(v, str) for v in result.values()), result  # the external protocol
    assert result["allowed"] == ("true" if code == 0 else "false")
    assert result["exit_code"] == str(code)
    assert UUID.fullmatch(result["decision_id"]) and result["verdict"].startswith("VERDICT_")
    if code == 4:
        assert result["missing_fields"]


def terraform(
    workdir: pathlib.Path, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return run(["terraform", f"-chdir={workdir}", *args], timeout=120, env=env)


@needs_terraform
@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", ["allowed", "not-allowed"])
def test_terraform_local_exec_apply(
    server: FtgateServer, tmp_path: pathlib.Path, name: str
) -> None:
    workdir = tmp_path / "tf"
    shutil.copytree(GATE / "terraform-local-exec", workdir)
    env = env_with_ftgate(TF_IN_AUTOMATION="1")
    init = terraform(workdir, "init", "-input=false", "-no-color", env=env)
    assert init.returncode == 0, init.stdout + init.stderr
    apply = terraform(
        workdir,
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        f"-var=ftgate_server={server.address}",
        f"-var=profile_file={write_profile(tmp_path, name)}",
        env=env,
    )
    state = terraform(workdir, "state", "list", env=env).stdout.split()
    if PROFILES[name][1] == 0:
        assert apply.returncode == 0, apply.stdout + apply.stderr
        assert "terraform_data.fine_tuning_job" in state
    else:
        assert apply.returncode != 0
        assert "exit status 3" in apply.stdout + apply.stderr
        assert "terraform_data.fine_tuning_job" not in state


def test_gate_md_shows_every_example() -> None:
    doc = (REPO / "docs" / "gate.md").read_text()
    for path in sorted(GATE.rglob("*")):
        if path.is_file():
            assert str(path.relative_to(REPO / "docs")) in doc, f"docs/gate.md does not name {path}"
            assert path.read_text().rstrip() in doc, f"docs/gate.md shows an old copy of {path}"
