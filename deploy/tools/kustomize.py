#!/usr/bin/env python3
"""A small kustomize renderer for the subset of kustomize that deploy/kubernetes uses.

    python deploy/tools/kustomize.py deploy/kubernetes/overlays/production > rendered.yaml

Where `kubectl kustomize` (or `kustomize build`) exists, use it: this renderer exists so that CI can
render and validate the manifests on machines without the kustomize binary, and
deploy/tests/test_kustomize.py checks that both produce the same objects when both are present.

Supported kustomization fields (anything else is an error, never silently ignored):
- `resources`: YAML files (one or more documents) and directories holding a kustomization;
- `namespace`: set on every namespaced object;
- `images`: `name` with `newName`, `newTag` and/or `digest`, applied to containers and initContainers;
- `configMapGenerator` (+ `generatorOptions`): `files` (`key=path` or `path`) and `literals`,
  only with `disableNameSuffixHash: true` (ftgate's rules ConfigMap is updated in place);
- `patches`: RFC 6902 JSON patches (inline `patch` or `path`) with a `target` (kind, name,
  optional group/version/namespace); strategic-merge patches are not supported.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import yaml

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SUPPORTED_FIELDS = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "images",
    "configMapGenerator",
    "generatorOptions",
    "patches",
}
# Kinds that have no namespace (the subset that could ever appear here).
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "StorageClass",
    "PersistentVolume",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "IngressClass",
    "RuntimeClass",
}
POD_SPEC_PATHS = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}


class KustomizeError(Exception):
    """The kustomization uses something this renderer does not support, or is invalid."""


def _kustomization_file(directory: Path) -> Path:
    for name in KUSTOMIZATION_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    raise KustomizeError(f"no kustomization file in {directory}")


def _load_documents(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        docs = [d for d in yaml.safe_load_all(handle) if d is not None]
    for doc in docs:
        if not isinstance(doc, dict) or "kind" not in doc or "metadata" not in doc:
            raise KustomizeError(f"{path}: not a Kubernetes object: {doc!r:.80}")
    return docs


def _inside(root: Path, path: Path) -> Path:
    """kustomize's default load restrictor: files must sit under the kustomization root."""
    resolved = path.resolve()
    if resolved != root.resolve() and root.resolve() not in resolved.parents:
        raise KustomizeError(f"{path} is outside the kustomization root {root}")
    return resolved


def _generate_configmaps(root: Path, kustomization: dict[str, Any]) -> list[dict[str, Any]]:
    options = kustomization.get("generatorOptions") or {}
    unknown = set(options) - {"disableNameSuffixHash", "labels", "annotations"}
    if unknown:
        raise KustomizeError(f"unsupported generatorOptions: {sorted(unknown)}")
    out = []
    for spec in kustomization.get("configMapGenerator") or []:
        unknown = set(spec) - {"name", "files", "literals", "options"}
        if unknown:
            raise KustomizeError(f"unsupported configMapGenerator fields: {sorted(unknown)}")
        merged = {**options, **(spec.get("options") or {})}
        if not merged.get("disableNameSuffixHash"):
            raise KustomizeError("configMapGenerator without disableNameSuffixHash is not supported")
        data: dict[str, str] = {}
        for entry in spec.get("files") or []:
            key, rel = entry.split("=", 1) if "=" in entry else ("", entry)
            path = _inside(root, root / rel)
            if not path.is_file():
                raise KustomizeError(f"configMapGenerator {spec['name']}: no file {rel}")
            data[key or Path(rel).name] = path.read_text(encoding="utf-8")
        for literal in spec.get("literals") or []:
            key, sep, value = literal.partition("=")
            if not sep:
                raise KustomizeError(f"literal without '=': {literal}")
            data[key] = value
        metadata: dict[str, Any] = {"name": spec["name"]}
        for field in ("labels", "annotations"):
            values = {**(options.get(field) or {}), **((spec.get("options") or {}).get(field) or {})}
            if values:
                metadata[field] = values
        cm: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata}
        if data:
            cm["data"] = data
        out.append(cm)
    return out


def _split_image(image: str) -> tuple[str, str]:
    """Return (name, suffix) where suffix is ':tag', '@digest' or ''."""
    if "@" in image:
        name, digest = image.split("@", 1)
        return name, "@" + digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon:]
    return image, ""


def _apply_images(objects: list[dict[str, Any]], images: list[dict[str, Any]]) -> None:
    for rule in images:
        unknown = set(rule) - {"name", "newName", "newTag", "digest"}
        if unknown:
            raise KustomizeError(f"unsupported images fields: {sorted(unknown)}")
    for obj in objects:
        path = POD_SPEC_PATHS.get(obj["kind"])
        if path is None:
            continue
        pod_spec: Any = obj
        for part in path:
            pod_spec = (pod_spec or {}).get(part)
        if not pod_spec:
            continue
        for key in ("initContainers", "containers"):
            for container in pod_spec.get(key) or []:
                name, suffix = _split_image(container.get("image", ""))
                for rule in images:
                    if rule["name"] != name:
                        continue
                    new_name = rule.get("newName", name)
                    if "digest" in rule:
                        suffix = "@" + rule["digest"]
                    elif "newTag" in rule:
                        suffix = ":" + str(rule["newTag"])
                    container["image"] = new_name + suffix
                    break


def _pointer_tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise KustomizeError(f"bad JSON pointer {pointer!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _resolve_parent(doc: Any, tokens: list[str], pointer: str) -> tuple[Any, str]:
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, list):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            raise KustomizeError(f"path {pointer} does not exist")
    return node, tokens[-1]


def apply_json6902(doc: dict[str, Any], operations: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply RFC 6902 operations (add, remove, replace, move, copy, test) to a copy of doc."""
    doc = copy.deepcopy(doc)
    for op in operations:
        kind = op.get("op")
        pointer = op.get("path", "")
        tokens = _pointer_tokens(pointer)
        if not tokens:
            raise KustomizeError("patching the document root is not supported")
        if kind in ("move", "copy"):
            src_parent, src_key = _resolve_parent(doc, _pointer_tokens(op["from"]), op["from"])
            value = src_parent[int(src_key) if isinstance(src_parent, list) else src_key]
            if kind == "move":
                del src_parent[int(src_key) if isinstance(src_parent, list) else src_key]
            op = {"op": "add", "path": pointer, "value": copy.deepcopy(value)}
            kind = "add"
        parent, key = _resolve_parent(doc, tokens, pointer)
        if kind == "add":
            if isinstance(parent, list):
                if key == "-":
                    parent.append(copy.deepcopy(op["value"]))
                else:
                    index = int(key)
                    if not 0 <= index <= len(parent):
                        raise KustomizeError(f"index out of range in {pointer}")
                    parent.insert(index, copy.deepcopy(op["value"]))
            else:
                parent[key] = copy.deepcopy(op["value"])
        elif kind in ("replace", "remove", "test"):
            if isinstance(parent, list):
                index = int(key)
                if not 0 <= index < len(parent):
                    raise KustomizeError(f"path {pointer} does not exist")
                slot: Any = index
            else:
                if key not in parent:
                    raise KustomizeError(f"path {pointer} does not exist")
                slot = key
            if kind == "replace":
                parent[slot] = copy.deepcopy(op["value"])
            elif kind == "remove":
                del parent[slot]
            elif parent[slot] != op["value"]:
                raise KustomizeError(f"test failed at {pointer}")
        else:
            raise KustomizeError(f"unsupported JSON patch op {kind!r}")
    return doc


def _group_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


def _matches(obj: dict[str, Any], target: dict[str, Any]) -> bool:
    unknown = set(target) - {"group", "version", "kind", "name", "namespace"}
    if unknown:
        raise KustomizeError(f"unsupported patch target fields: {sorted(unknown)}")
    group, version = _group_version(obj.get("apiVersion", ""))
    checks = {
        "group": group,
        "version": version,
        "kind": obj.get("kind"),
        "name": obj["metadata"].get("name"),
        "namespace": obj["metadata"].get("namespace"),
    }
    return all(checks[field] == value for field, value in target.items())


def _apply_patches(root: Path, objects: list[dict[str, Any]], patches: list[dict[str, Any]]) -> None:
    for patch in patches:
        unknown = set(patch) - {"path", "patch", "target"}
        if unknown:
            raise KustomizeError(f"unsupported patch fields: {sorted(unknown)}")
        if "target" not in patch:
            raise KustomizeError("only JSON 6902 patches with a target are supported")
        if "path" in patch:
            text = _inside(root, root / patch["path"]).read_text(encoding="utf-8")
        else:
            text = patch["patch"]
        operations = yaml.safe_load(text)
        if not isinstance(operations, list):
            raise KustomizeError("strategic-merge patches are not supported; use JSON 6902 ops")
        hits = [i for i, obj in enumerate(objects) if _matches(obj, patch["target"])]
        if not hits:
            raise KustomizeError(f"patch target {patch['target']} matches no object")
        for i in hits:
            objects[i] = apply_json6902(objects[i], operations)


def build(directory: str | Path) -> list[dict[str, Any]]:
    """Render the kustomization in `directory` into a list of objects."""
    root = Path(directory)
    kustomization = yaml.safe_load(_kustomization_file(root).read_text(encoding="utf-8")) or {}
    unknown = set(kustomization) - SUPPORTED_FIELDS
    if unknown:
        raise KustomizeError(f"{root}: unsupported kustomization fields: {sorted(unknown)}")
    objects: list[dict[str, Any]] = []
    for entry in kustomization.get("resources") or []:
        path = root / entry
        if path.is_dir():  # another kustomization: may live anywhere (../../base)
            objects.extend(build(path))
        elif path.is_file():  # a plain file: must sit under this root
            objects.extend(_load_documents(_inside(root, path)))
        else:
            raise KustomizeError(f"{root}: resource {entry} not found")
    objects.extend(_generate_configmaps(root, kustomization))
    namespace = kustomization.get("namespace")
    if namespace:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = namespace
    _apply_images(objects, kustomization.get("images") or [])
    _apply_patches(root, objects, kustomization.get("patches") or [])
    seen: set[tuple[str, str, str | None, str]] = set()
    for obj in objects:
        key = (obj["apiVersion"], obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])
        if key in seen:
            raise KustomizeError(f"{root}: duplicate object {key}")
        seen.add(key)
    return objects


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        objects = build(argv[1])
    except KustomizeError as exc:
        print(f"kustomize.py: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(yaml.safe_dump_all(objects, sort_keys=False, default_flow_style=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
