"""Every rendered Kubernetes manifest, validated offline.

- Built-in kinds: kubernetes-validate (the Kubernetes OpenAPI schemas, strict: unknown fields are
  errors) against the oldest and newest minor versions we support.
- ServiceMonitor and PrometheusRule (CRDs, not in those schemas): JSON Schemas derived from the
  Prometheus Operator v0.80.1 CRDs, made strict (deploy/kubernetes/schemas, written by
  deploy/tools/crd_schemas.py), checked with jsonschema: types, required fields, unknown fields.
- Then what no schema knows: selectors that select, probes on the right port, grace periods that
  cover the drain, the restricted Pod Security Standard, and the rules ConfigMap the server loads.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
from conftest import ALERTS, KUBERNETES, OVERLAYS, REPO, find, ftgate_bin, load_yaml, rendered

SCHEMAS = KUBERNETES / "schemas"

KUBERNETES_VERSIONS = ("1.29.0", "1.37.0")  # native gRPC probes GA since 1.27; we support >= 1.29
PROMETHEUS_KINDS = {"ServiceMonitor", "PrometheusRule"}
CRD_KINDS = PROMETHEUS_KINDS | {"Certificate", "Issuer"}  # cert-manager's: test_webhook_deploy.py


def objects_of(overlay: str) -> list[tuple[str, dict[str, Any]]]:
    return [(overlay, o) for o in rendered(overlay)]


ALL = [pytest.param(o, obj, id=f"{o}:{obj['kind']}/{obj['metadata']['name']}")
       for o in sorted(OVERLAYS) for _, obj in objects_of(o)]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay, obj", [p for p in ALL if p.values[1]["kind"] not in CRD_KINDS])
def test_builtin_kinds_validate_against_kubernetes_schemas(overlay: str, obj: dict[str, Any],
                                                           version: str) -> None:
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"{overlay} {obj['kind']}/{obj['metadata']['name']} invalid for {version}: "
                    f"{exc.message} at {list(exc.path)}")


def test_strict_validation_rejects_an_unknown_field() -> None:
    """The validator really is strict (a typo must not pass)."""
    obj = find(rendered("base"), "Service", "ftgate")
    bad = {**obj, "spec": {**obj["spec"], "selectr": {}}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSIONS[-1], strict=True)


def crd_errors(obj: dict[str, Any]) -> list[str]:
    schema = json.loads((SCHEMAS / f"{obj['kind'].lower()}-monitoring.coreos.com-v1.json")
                        .read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{list(e.absolute_path)}: {e.message[:300]}" for e in validator.iter_errors(obj)]


@pytest.mark.parametrize("overlay, obj",
                         [p for p in ALL if p.values[1]["kind"] in PROMETHEUS_KINDS])
def test_crd_objects_validate_against_prometheus_operator_schemas(overlay: str,
                                                                   obj: dict[str, Any]) -> None:
    assert obj["apiVersion"] == "monitoring.coreos.com/v1"
    assert crd_errors(obj) == []


def test_crd_check_catches_misspelled_fields_and_wrong_types() -> None:
    monitor = find(rendered("base"), "ServiceMonitor", "ftgate")
    typo = copy.deepcopy(monitor)
    typo["spec"]["endpoints"][0]["intervall"] = "5s"
    assert crd_errors(typo)
    wrong_type = copy.deepcopy(monitor)
    wrong_type["spec"]["endpoints"][0]["port"] = 9464
    assert crd_errors(wrong_type)
    rule = copy.deepcopy(find(rendered("base"), "PrometheusRule", "ftgate"))
    del rule["spec"]["groups"][0]["name"]
    assert crd_errors(rule)


def pod_spec(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return dict(find(objects, "Deployment", "ftgate")["spec"]["template"]["spec"])


def container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (c,) = pod_spec(objects)["containers"]
    return dict(c)


def arg_value(c: dict[str, Any], flag: str) -> str:
    for arg in c["args"]:
        if arg.startswith(flag + "="):
            return str(arg.split("=", 1)[1])
    raise AssertionError(f"no {flag} in {c['args']}")


@pytest.fixture(params=sorted(OVERLAYS))
def objects(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return rendered(request.param)


def test_expected_objects_exist(objects: list[dict[str, Any]]) -> None:
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert kinds >= {("Deployment", "ftgate"), ("Service", "ftgate"), ("Service", "ftgate-headless"),
                     ("HorizontalPodAutoscaler", "ftgate"), ("PodDisruptionBudget", "ftgate"),
                     ("ConfigMap", "ftgate-rules"), ("ServiceMonitor", "ftgate"),
                     ("PrometheusRule", "ftgate"), ("ServiceAccount", "ftgate")}


def test_selectors_select_the_pods(objects: list[dict[str, Any]]) -> None:
    deployment = find(objects, "Deployment", "ftgate")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    for name in ("ftgate", "ftgate-headless"):
        assert find(objects, "Service", name)["spec"]["selector"].items() <= pod_labels.items()
    assert find(objects, "PodDisruptionBudget", "ftgate")["spec"]["selector"]["matchLabels"].items() \
        <= pod_labels.items()
    for constraint in pod_spec(objects)["topologySpreadConstraints"]:
        assert constraint["labelSelector"]["matchLabels"].items() <= pod_labels.items()
    hpa = find(objects, "HorizontalPodAutoscaler", "ftgate")["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "ftgate"}
    assert 2 <= hpa["minReplicas"] < hpa["maxReplicas"]
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"


def test_ports_probes_and_args_agree(objects: list[dict[str, Any]]) -> None:
    c = container(objects)
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert arg_value(c, "--listen") == f"0.0.0.0:{ports['grpc']}"
    assert arg_value(c, "--metrics-listen") == f"0.0.0.0:{ports['metrics']}"
    probes = ("startupProbe", "livenessProbe", "readinessProbe")
    if any(a.startswith("--tls-cert=") for a in c["args"]):
        # Native gRPC probes are plaintext only: `ftgate health` over mutual TLS
        # (overlays/production-tls; run for real in test_health_probe.py).
        for probe in probes:
            command = c[probe]["exec"]["command"]
            assert command[:2] == ["ftgate", "health"], probe
            assert f"--address=127.0.0.1:{ports['grpc']}" in command
            assert c[probe]["timeoutSeconds"] > float(
                next(a for a in command if a.startswith("--timeout=")).split("=")[1])
        assert "--service=ftgate.v1.FineTuningAdvisorService" in c["readinessProbe"]["exec"]["command"]
    else:
        for probe in probes:
            assert c[probe]["grpc"]["port"] == ports["grpc"], f"{probe} is a native gRPC probe"
        assert c["readinessProbe"]["grpc"]["service"] == "ftgate.v1.FineTuningAdvisorService"
        assert c["livenessProbe"]["grpc"].get("service", "") == ""
    for name in ("ftgate", "ftgate-headless"):
        service = find(objects, "Service", name)["spec"]
        for port in service["ports"]:
            assert port["targetPort"] in ports
    assert find(objects, "Service", "ftgate-headless")["spec"]["clusterIP"] == "None"


def test_termination_grace_covers_prestop_and_drain(objects: list[dict[str, Any]]) -> None:
    c = container(objects)
    grace = float(arg_value(c, "--grace"))
    pre_stop = float(c["lifecycle"]["preStop"]["exec"]["command"][1])
    drain_delay = float(arg_value(c, "--drain-delay")) if any(
        a.startswith("--drain-delay=") for a in c["args"]) else 0.0
    from ftgate.server.server import SHUTDOWN_MARGIN_SECONDS

    assert pod_spec(objects)["terminationGracePeriodSeconds"] > (
        pre_stop + drain_delay + grace + SHUTDOWN_MARGIN_SECONDS)


def test_restricted_pod_security(objects: list[dict[str, Any]]) -> None:
    """The checks of the 'restricted' Pod Security Standard, plus a read-only root filesystem."""
    spec = pod_spec(objects)
    pod_sc = spec["securityContext"]
    assert pod_sc["runAsNonRoot"] is True and pod_sc["runAsUser"] > 0
    assert pod_sc["seccompProfile"]["type"] in ("RuntimeDefault", "Localhost")
    assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC")
    assert spec["automountServiceAccountToken"] is False
    c = container(objects)
    sc = c["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"] and not sc["capabilities"].get("add")
    assert sc["readOnlyRootFilesystem"] is True
    assert not sc.get("privileged")
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert all(set(v) - {"name"} <= {"configMap", "emptyDir", "secret", "projected"}
               for v in volumes.values())
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]["name"]], "a writable /tmp on a read-only root"
    dockerfile = (REPO / "deploy" / "docker" / "Dockerfile").read_text()
    assert f"USER {pod_sc['runAsUser']}:{pod_sc['runAsGroup']}" in dockerfile


def test_resources_are_set(objects: list[dict[str, Any]]) -> None:
    resources = container(objects)["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert "memory" in resources["limits"]


def test_rules_configmap_is_mounted_where_the_server_reads(objects: list[dict[str, Any]]) -> None:
    c = container(objects)
    rules_dir = arg_value(c, "--rules")
    (mount,) = [m for m in c["volumeMounts"] if m["mountPath"] == rules_dir]
    assert "subPath" not in mount, "subPath mounts never receive ConfigMap updates"
    volume = next(v for v in pod_spec(objects)["volumes"] if v["name"] == mount["name"])
    assert volume["configMap"]["name"] == "ftgate-rules"
    cm = find(objects, "ConfigMap", "ftgate-rules")
    shipped = {p.name: p.read_text(encoding="utf-8") for p in (REPO / "rules").glob("*.yaml")}
    assert cm.get("data", {}) == shipped, "the ConfigMap carries the shipped rules/*.yaml"


def test_rules_configmap_passes_ftgate_rules_lint(tmp_path: Path) -> None:
    cm = find(rendered("production"), "ConfigMap", "ftgate-rules")
    for key, text in cm["data"].items():
        (tmp_path / key).write_text(text, encoding="utf-8")
    result = subprocess.run([ftgate_bin(), "rules", "lint", "--rules", str(tmp_path)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_service_monitor_scrapes_each_pod_once(objects: list[dict[str, Any]]) -> None:
    monitor = find(objects, "ServiceMonitor", "ftgate")["spec"]
    wanted = monitor["selector"]["matchLabels"]
    services = [o for o in objects if o["kind"] == "Service"
                and wanted.items() <= o["metadata"].get("labels", {}).items()]
    assert [s["metadata"]["name"] for s in services] == ["ftgate"], "exactly one Service selected"
    (endpoint,) = monitor["endpoints"]
    assert endpoint["port"] in {p["name"] for p in services[0]["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    assert monitor["jobLabel"] in services[0]["metadata"]["labels"]
    assert services[0]["metadata"]["labels"][monitor["jobLabel"]] == "ftgate", (
        "job=\"ftgate\", which FtgateNoDecisions selects on")


def test_prometheus_rule_carries_alerts_yml(objects: list[dict[str, Any]]) -> None:
    rule = find(objects, "PrometheusRule", "ftgate")
    assert rule["spec"] == load_yaml(ALERTS)


def test_production_overlay() -> None:
    objects = rendered("production")
    namespaced = [o for o in objects
                  if o["kind"] not in ("Namespace", "ValidatingWebhookConfiguration")]
    assert {o["metadata"].get("namespace") for o in namespaced} == {"ftgate"}
    namespace = find(objects, "Namespace", "ftgate")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    image = container(objects)["image"]
    assert not image.endswith(":latest") and (":" in image.rsplit("/", 1)[-1] or "@sha256:" in image)
    hpa = find(objects, "HorizontalPodAutoscaler", "ftgate")["spec"]
    assert hpa["minReplicas"] >= 3
    zone = pod_spec(objects)["topologySpreadConstraints"][0]
    assert zone["topologyKey"] == "topology.kubernetes.io/zone"
    assert zone["whenUnsatisfiable"] == "DoNotSchedule"


def test_workers_are_explicit_and_fit_the_cpu(objects: list[dict[str, Any]]) -> None:
    """Inside a container the default --workers counts the node's cores, not the pod's."""
    c = container(objects)
    workers = int(arg_value(c, "--workers"))
    assert workers >= 1

    def cores(quantity: str) -> float:
        return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)

    limit = c["resources"].get("limits", {}).get("cpu")
    if limit:
        assert workers <= max(1, round(cores(limit))), "more workers than cores to run them"


def test_files_named_in_args_are_mounted(objects: list[dict[str, Any]]) -> None:
    """--tls-*, --http-tls-*, --auth-tokens and --rules point into volumes the pod mounts."""
    c = container(objects)
    spec = pod_spec(objects)
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    for flag in ("--rules", "--tls-cert", "--tls-key", "--tls-client-ca", "--auth-tokens",
                 "--http-tls-cert", "--http-tls-key"):
        try:
            path = arg_value(c, flag)
        except AssertionError:
            continue
        mount = next((m for p, m in mounts.items() if path == p or path.startswith(p + "/")), None)
        assert mount, f"{flag}={path} is not under any volume mount"
        volume = volumes[mount["name"]]
        if "secret" in volume:
            assert volume["secret"]["defaultMode"] & 0o044 == 0o040, "readable by the group only"
            assert spec["securityContext"]["fsGroup"] == spec["securityContext"]["runAsGroup"]


def test_tls_overlay() -> None:
    c = container(rendered("production-tls"))
    assert arg_value(c, "--tls-cert") == "/etc/ftgate/tls/tls.crt"
    assert arg_value(c, "--tls-client-ca") == "/etc/ftgate/tls/ca.crt"
    assert arg_value(c, "--auth-tokens") == "/etc/ftgate/tokens/tokens"


def test_every_flag_the_pods_pass_exists_in_ftgate_serve(objects: list[dict[str, Any]]) -> None:
    """An unknown flag would crash-loop every pod."""
    c = container(objects)
    assert c["args"][0] == "serve"
    help_text = subprocess.run([ftgate_bin(), "serve", "--help"], capture_output=True, text=True,
                               timeout=60, check=True).stdout
    for arg in c["args"][1:]:
        flag = arg.split("=", 1)[0]
        assert flag in help_text, f"ftgate serve has no {flag}"
