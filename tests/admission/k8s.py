"""AdmissionReview v1 requests as the API server sends them, built from objects that pass the
Kubernetes schemas, and the check of every answer against the AdmissionReview schema."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
from referencing import Registry, Resource

KUBERNETES = "1.37.0"
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "admissionreview-admission.k8s.io-v1.json")
                    .read_text(encoding="utf-8"))


def _definitions() -> dict[str, Any]:
    """kubernetes-validate's strict definitions of the newest version it ships."""
    from importlib.resources import files

    version = kubernetes_validate.utils.latest_version()
    path = files("kubernetes_validate") / "kubernetes-json-schema" / f"v{version}-local-strict" \
        / "_definitions.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


_DEFINITIONS = _definitions()
_REGISTRY = Registry().with_resources([
    (SCHEMA["$id"], Resource.from_contents(SCHEMA)),
    (_DEFINITIONS["$id"], Resource.from_contents(_DEFINITIONS))])
REVIEW = jsonschema.Draft202012Validator(SCHEMA, registry=_REGISTRY)
JOB_TEMPLATE = jsonschema.Draft202012Validator(
    {"$ref": _DEFINITIONS["$id"] + "#/$defs/io.k8s.api.batch.v1.JobTemplateSpec"},
    registry=_REGISTRY)
OBJECT_META = jsonschema.Draft202012Validator(
    {"$ref": _DEFINITIONS["$id"] + "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
    registry=_REGISTRY)


def review_errors(document: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:300]}" for e in REVIEW.iter_errors(document)]


def metadata(name: str, labels: dict[str, str] | None, annotations: dict[str, str] | None,
             ) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "ml-team"}
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    return meta


POD_TEMPLATE = {"spec": {"restartPolicy": "Never", "containers": [{
    "name": "train", "image": "ghcr.io/ml-team/train:1.4.0",
    "command": ["python", "train.py", "--method=lora"],
    "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}}


def job(name: str = "fine-tune", labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """A batch/v1 Job, checked against the Kubernetes schema (strict)."""
    obj = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": metadata(name, labels, annotations),
           "spec": {"backoffLimit": 0, "template": copy.deepcopy(POD_TEMPLATE)}}
    kubernetes_validate.validate(obj, KUBERNETES, strict=True)
    return obj


def jobset(name: str = "fine-tune-set", labels: dict[str, str] | None = None,
           annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """A jobset.x-k8s.io/v1alpha2 JobSet (a CRD: its metadata and its Job template checked
    against the Kubernetes schemas)."""
    template = {"spec": {"parallelism": 2, "completions": 2, "backoffLimit": 0,
                         "template": copy.deepcopy(POD_TEMPLATE)}}
    obj = {"apiVersion": "jobset.x-k8s.io/v1alpha2", "kind": "JobSet",
           "metadata": metadata(name, labels, annotations),
           "spec": {"replicatedJobs": [{"name": "workers", "replicas": 1, "template": template}]}}
    assert not list(OBJECT_META.iter_errors(obj["metadata"]))
    assert not list(JOB_TEMPLATE.iter_errors(template))
    return obj


RESOURCES = {"Job": ("batch", "v1", "jobs"), "JobSet": ("jobset.x-k8s.io", "v1alpha2", "jobsets"),
             "Deployment": ("apps", "v1", "deployments")}


def review(obj: dict[str, Any] | None, operation: str = "CREATE", *,
           old: dict[str, Any] | None = None, dry_run: bool = False,
           kind: str | None = None) -> dict[str, Any]:
    """The AdmissionReview the API server sends for `obj`, checked against the schema."""
    kind = kind or (obj or old or {})["kind"]
    group, version, resource = RESOURCES[kind]
    source = obj or old or {}
    request: dict[str, Any] = {
        "uid": str(uuid.uuid4()),
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": resource},
        "requestKind": {"group": group, "version": version, "kind": kind},
        "requestResource": {"group": group, "version": version, "resource": resource},
        "name": source.get("metadata", {}).get("name", ""),
        "namespace": "ml-team",
        "operation": operation,
        "userInfo": {"username": "alice@example.com", "groups": ["ml-team",
                                                                 "system:authenticated"]},
        "object": obj, "oldObject": old, "dryRun": dry_run,
        "options": {"apiVersion": "meta.k8s.io/v1",
                    "kind": {"CREATE": "CreateOptions", "UPDATE": "UpdateOptions",
                             "DELETE": "DeleteOptions"}.get(operation, "CreateOptions")},
    }
    document = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                "request": request}
    assert review_errors(document) == []
    return document
