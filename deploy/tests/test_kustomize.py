"""deploy/tools/kustomize.py: the Python renderer for the kustomize subset deploy/kubernetes uses.

Unit tests of each feature, strictness (anything unsupported is an error), and, where a real
kustomize exists (`kubectl kustomize` or `kustomize build`), the same objects from both.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kustomize
import pytest
import yaml
from conftest import DEPLOY, OVERLAYS, REPO
from kustomize import KustomizeError, apply_json6902, build


def write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else yaml.safe_dump_all(data if isinstance(data, list) else [data])
    path.write_text(text, encoding="utf-8")


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {"template": {"spec": {
        "initContainers": [{"name": "init", "image": "busybox:1.36"}],
        "containers": [{"name": "app", "image": "app", "args": ["a"]},
                       {"name": "side", "image": "registry.io:5000/team/side:2"}]}}},
}


def test_resources_namespace_and_images(tmp_path: Path) -> None:
    base = tmp_path / "base"
    write(base / "deploy.yaml", DEPLOYMENT)
    write(base / "ns.yaml", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}})
    write(base / "kustomization.yaml", {"resources": ["deploy.yaml", "ns.yaml"]})
    overlay = tmp_path / "overlay"
    write(overlay / "kustomization.yaml", {
        "resources": ["../base"],
        "namespace": "prod",
        "images": [{"name": "app", "newName": "reg/app", "newTag": "1.2"},
                   {"name": "registry.io:5000/team/side", "digest": "sha256:" + "a" * 64},
                   {"name": "busybox", "newTag": "1.37"}],
    })
    deploy, ns = build(overlay)
    assert deploy["metadata"]["namespace"] == "prod"
    assert "namespace" not in ns["metadata"], "cluster-scoped objects get no namespace"
    pod = deploy["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == "reg/app:1.2"
    assert pod["containers"][1]["image"] == "registry.io:5000/team/side@sha256:" + "a" * 64
    assert pod["initContainers"][0]["image"] == "busybox:1.37"


def test_configmap_generator(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "x: 1\n")
    write(tmp_path / "b.txt", "hello\n")
    write(tmp_path / "kustomization.yaml", {
        "generatorOptions": {"disableNameSuffixHash": True, "labels": {"l": "v"}},
        "configMapGenerator": [{"name": "cm", "files": ["a.yaml", "renamed=b.txt"],
                                "literals": ["k=v=w"]}],
    })
    (cm,) = build(tmp_path)
    assert cm == {"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": "cm", "labels": {"l": "v"}},
                  "data": {"a.yaml": "x: 1\n", "renamed": "hello\n", "k": "v=w"}}


def test_json6902_operations() -> None:
    doc = {"a": {"b": [1, 2, 3]}, "c": "x"}
    out = apply_json6902(doc, [
        {"op": "add", "path": "/a/b/-", "value": 4},
        {"op": "add", "path": "/a/b/0", "value": 0},
        {"op": "replace", "path": "/c", "value": "y"},
        {"op": "remove", "path": "/a/b/1"},
        {"op": "add", "path": "/a/new~1key", "value": {"k": 1}},
        {"op": "copy", "from": "/c", "path": "/d"},
        {"op": "move", "from": "/d", "path": "/e"},
        {"op": "test", "path": "/e", "value": "y"},
    ])
    assert out == {"a": {"b": [0, 2, 3, 4], "new/key": {"k": 1}}, "c": "y", "e": "y"}
    assert doc == {"a": {"b": [1, 2, 3]}, "c": "x"}, "the input is not modified"
    with pytest.raises(KustomizeError):
        apply_json6902(doc, [{"op": "replace", "path": "/missing", "value": 1}])
    with pytest.raises(KustomizeError):
        apply_json6902(doc, [{"op": "test", "path": "/c", "value": "nope"}])


def test_patches_need_a_matching_target(tmp_path: Path) -> None:
    write(tmp_path / "deploy.yaml", DEPLOYMENT)
    write(tmp_path / "p.yaml", [[{"op": "replace", "path": "/metadata/name", "value": "web2"}]])
    write(tmp_path / "kustomization.yaml", {
        "resources": ["deploy.yaml"],
        "patches": [{"path": "p.yaml", "target": {"kind": "Deployment", "name": "web"}},
                    {"patch": "- {op: add, path: /metadata/labels, value: {a: b}}",
                     "target": {"group": "apps", "version": "v1", "kind": "Deployment"}}],
    })
    (deploy,) = build(tmp_path)
    assert deploy["metadata"] == {"name": "web2", "labels": {"a": "b"}}
    write(tmp_path / "kustomization.yaml", {
        "resources": ["deploy.yaml"],
        "patches": [{"path": "p.yaml", "target": {"kind": "Service", "name": "web"}}]})
    with pytest.raises(KustomizeError, match="matches no object"):
        build(tmp_path)


@pytest.mark.parametrize("kustomization, message", [
    ({"commonLabels": {"a": "b"}}, "unsupported kustomization fields"),
    ({"configMapGenerator": [{"name": "c", "literals": ["a=b"]}]}, "disableNameSuffixHash"),
    ({"resources": ["missing.yaml"]}, "not found"),
    ({"resources": ["../outside.yaml"]}, "outside the kustomization root"),
    ({"resources": ["d.yaml"], "patches": [{"patch": "kind: Deployment",
                                            "target": {"kind": "Deployment"}}]},
     "strategic-merge"),
    ({"resources": ["d.yaml", "d.yaml"]}, "duplicate object"),
])
def test_unsupported_or_invalid_input_is_an_error(tmp_path: Path, kustomization: dict[str, Any],
                                                   message: str) -> None:
    root = tmp_path / "k"
    write(root / "d.yaml", DEPLOYMENT)
    write(tmp_path / "outside.yaml", DEPLOYMENT)
    write(root / "kustomization.yaml", kustomization)
    with pytest.raises(KustomizeError, match=message):
        build(root)


def test_command_line_prints_multi_document_yaml() -> None:
    result = subprocess.run([sys.executable, str(DEPLOY / "tools" / "kustomize.py"),
                             str(OVERLAYS["production"])], capture_output=True, text=True,
                            timeout=60, check=True)
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert {d["kind"] for d in docs} >= {"Deployment", "Service", "ConfigMap"}


def real_kustomize() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    kubectl = shutil.which("kubectl")
    if kubectl:
        probe = subprocess.run([kubectl, "kustomize", "--help"], capture_output=True, timeout=30,
                               check=False)
        if probe.returncode == 0:
            return [kubectl, "kustomize"]
    return None


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_same_objects_as_real_kustomize(overlay: str) -> None:
    command = real_kustomize()
    if command is None:
        pytest.skip("no kustomize binary here (neither `kustomize` nor `kubectl kustomize`): "
                    "the renderer is covered by the unit tests above only")
    result = subprocess.run([*command, str(OVERLAYS[overlay])], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr

    def key(o: dict[str, Any]) -> tuple[str, str, str, str]:
        return (o["apiVersion"], o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])

    theirs = {key(o): o for o in yaml.safe_load_all(result.stdout) if o}
    ours = {key(o): o for o in kustomize.build(OVERLAYS[overlay])}
    assert sorted(ours) == sorted(theirs)
    for k in ours:
        assert ours[k] == theirs[k], f"{k} differs from kustomize's rendering"


def test_generated_files_are_in_sync() -> None:
    """prometheusrule.yaml comes from alerts.yml and base/rules/ from rules/ (deploy/tools/sync.py)."""
    result = subprocess.run([sys.executable, str(DEPLOY / "tools" / "sync.py"), "--check"],
                            capture_output=True, text=True, timeout=60, check=False, cwd=REPO)
    assert result.returncode == 0, (
        "generated deploy files are stale; run `python deploy/tools/sync.py` and commit:\n"
        + result.stderr)
