"""The admission webhook's deployment (docs/gate.md#admission): the ValidatingWebhookConfiguration
agrees with the Service and the pods, cert-manager's objects validate against their CRD schemas and
inject the CA, and deploy/scripts/webhook-tls.sh makes a CA and a certificate that a live
`ftgate serve` serves the webhook with, and that the caBundle it patches in verifies."""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import DEPLOY, KUBERNETES, OVERLAYS, REPO, find, rendered
from cryptography import x509

SCHEMAS = KUBERNETES / "schemas"
SCRIPT = DEPLOY / "scripts" / "webhook-tls.sh"


def webhook_of(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (hook,) = find(objects, "ValidatingWebhookConfiguration", "ftgate")["webhooks"]
    return dict(hook)


def container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (c,) = find(objects, "Deployment", "ftgate")["spec"]["template"]["spec"]["containers"]
    return dict(c)


def arg(c: dict[str, Any], flag: str) -> str:
    return next(a.split("=", 1)[1] for a in c["args"] if a.startswith(flag + "="))


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_the_webhook_gates_labelled_jobs_and_never_admits_without_a_decision(
        overlay: str) -> None:
    hook = webhook_of(rendered(overlay))
    assert hook["admissionReviewVersions"] == ["v1"]
    assert hook["objectSelector"] == {"matchLabels": {"ftgate.dev/gate": "enforce"}}
    assert hook["failurePolicy"] == "Fail"
    assert hook["sideEffects"] == "NoneOnDryRun"
    assert 1 <= hook["timeoutSeconds"] <= 30
    assert {"apiGroups": ["batch"], "apiVersions": ["v1"], "resources": ["jobs"],
            "operations": ["CREATE", "UPDATE"], "scope": "Namespaced"} in hook["rules"]
    assert all("*" not in r["resources"] and not any("/" in x for x in r["resources"])
               for r in hook["rules"]), "no subresources (job status updates stay ungated)"
    assert len(hook["name"].split(".")) >= 3, "the API server wants a fully qualified name"


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_the_webhook_reaches_the_https_port_and_skips_system_namespaces(overlay: str) -> None:
    objects = rendered(overlay)
    hook = webhook_of(objects)
    ref = hook["clientConfig"]["service"]
    assert ref["path"] == "/k8s/validate"
    service = find(objects, "Service", ref["name"])
    namespace = service["metadata"].get("namespace", "ftgate")
    assert ref["namespace"] == namespace
    (port,) = [p for p in service["spec"]["ports"] if p["port"] == ref["port"]]
    c = container(objects)
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert arg(c, "--http-listen") == f"0.0.0.0:{ports[port['targetPort']]}"
    assert arg(c, "--http-tls-cert").startswith("/etc/ftgate/webhook-tls/")
    (expression,) = hook["namespaceSelector"]["matchExpressions"]
    assert expression["key"] == "kubernetes.io/metadata.name"
    assert expression["operator"] == "NotIn"
    assert {"kube-system", namespace} <= set(expression["values"])
    volumes = find(objects, "Deployment", "ftgate")["spec"]["template"]["spec"]["volumes"]
    secret = next(v["secret"]["secretName"] for v in volumes if v["name"] == "webhook-tls")
    assert secret == "ftgate-webhook-tls"


def cert_manager_errors(obj: dict[str, Any]) -> list[str]:
    assert obj["apiVersion"] == "cert-manager.io/v1"
    schema = json.loads((SCHEMAS / f"{obj['kind'].lower()}-cert-manager.io-v1.json")
                        .read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{list(e.absolute_path)}: {e.message[:300]}" for e in validator.iter_errors(obj)]


def test_cert_manager_makes_the_certificate_and_injects_its_ca() -> None:
    objects = rendered("webhook-cert-manager")
    certificate = find(objects, "Certificate", "ftgate-webhook")
    issuer = find(objects, "Issuer", "ftgate-selfsigned")
    assert cert_manager_errors(certificate) == []
    assert cert_manager_errors(issuer) == []
    config = find(objects, "ValidatingWebhookConfiguration", "ftgate")
    namespace = certificate["metadata"]["namespace"]
    assert config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == \
        f"{namespace}/{certificate['metadata']['name']}"
    spec = certificate["spec"]
    assert spec["secretName"] == "ftgate-webhook-tls"
    assert spec["issuerRef"]["name"] == issuer["metadata"]["name"]
    ref = webhook_of(objects)["clientConfig"]["service"]
    assert f"{ref['name']}.{ref['namespace']}.svc" in spec["dnsNames"]
    assert "server auth" in spec["usages"]


def test_the_cert_manager_schemas_catch_mistakes() -> None:
    certificate = find(rendered("webhook-cert-manager"), "Certificate", "ftgate-webhook")
    typo = json.loads(json.dumps(certificate))
    typo["spec"]["dnsName"] = typo["spec"].pop("dnsNames")
    assert cert_manager_errors(typo)
    wrong = json.loads(json.dumps(certificate))
    wrong["spec"]["dnsNames"] = "ftgate.ftgate.svc"
    assert cert_manager_errors(wrong)


def run_script(tmp_path: Path, *args: str) -> tuple[Path, list[list[str]], str]:
    """webhook-tls.sh with a kubectl that records its calls (and the manifests piped in)."""
    calls = tmp_path / "calls.jsonl"
    fake = tmp_path / "kubectl"
    fake.write_text(f"""#!{sys.executable}
import json, sys
stdin = sys.stdin.read() if "-f" in sys.argv and "-" in sys.argv else ""
with open({str(calls)!r}, "a") as f:
    f.write(json.dumps({{"argv": sys.argv[1:], "stdin": stdin}}) + "\\n")
if "--dry-run=client" in sys.argv:
    print("apiVersion: v1\\nkind: Secret")
""", encoding="utf-8")
    fake.chmod(0o755)
    out = tmp_path / "pki"
    result = subprocess.run(["bash", str(SCRIPT), "--out", str(out), *args], capture_output=True,
                            text=True, timeout=120, check=False,
                            env={**os.environ, "KUBECTL": str(fake)})
    assert result.returncode == 0, result.stderr
    recorded = [json.loads(line) for line in calls.read_text().splitlines()]
    return out, [r["argv"] for r in recorded], result.stderr


def test_the_script_writes_the_secret_and_the_ca_bundle(tmp_path: Path) -> None:
    out, calls, said = run_script(tmp_path)
    create, apply, patch = calls
    assert create[:5] == ["-n", "ftgate", "create", "secret", "tls"]
    assert "ftgate-webhook-tls" in create and apply[:2] == ["apply", "-f"]
    assert patch[:3] == ["patch", "validatingwebhookconfiguration", "ftgate"]
    (operation,) = json.loads(patch[patch.index("-p") + 1])
    assert operation["path"] == "/webhooks/0/clientConfig/caBundle"
    ca_pem = base64.b64decode(operation["value"])
    assert ca_pem == (out / "ca.crt").read_bytes()
    cert = x509.load_pem_x509_certificate((out / "tls.crt").read_bytes())
    ca = x509.load_pem_x509_certificate(ca_pem)
    cert.verify_directly_issued_by(ca)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "ftgate.ftgate.svc" in names.get_values_for_type(x509.DNSName)
    assert "ca.key" in said
    assert (out / "tls.key").stat().st_mode & 0o077 == 0


def test_a_server_with_the_scripts_certificate_answers_the_webhook(tmp_path: Path) -> None:
    """The API server's side: HTTPS to ftgate.ftgate.svc, trusting only the caBundle."""
    sys.path.insert(0, str(REPO / "tests"))
    from serverproc import start_server

    out, _, _ = run_script(tmp_path, "--namespace", "ftgate")
    server = start_server(tmp_path, "--http-tls-cert", str(out / "tls.crt"),
                          "--http-tls-key", str(out / "tls.key"), "--workers", "1")
    try:
        context = ssl.create_default_context(cafile=str(out / "ca.crt"))
        review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
            "uid": "1b4c3a5e-3f1d-4c1e-9a7b-2d6f0e8c9a10",
            "kind": {"group": "batch", "version": "v1", "kind": "Job"},
            "resource": {"group": "batch", "version": "v1", "resource": "jobs"},
            "operation": "CREATE", "userInfo": {"username": "alice"},
            "object": {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}}}}
        # As the API server: TLS to the name ftgate.ftgate.svc (here on loopback).
        raw = socket.create_connection(("127.0.0.1", server.http_port or 0), timeout=30)
        with context.wrap_socket(raw, server_hostname="ftgate.ftgate.svc") as tls:
            body = json.dumps(review).encode()
            tls.sendall(b"POST /k8s/validate?timeout=10s HTTP/1.1\r\nHost: ftgate.ftgate.svc\r\n"
                        b"Content-Type: application/json\r\nConnection: close\r\n"
                        + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            reply = b""
            while chunk := tls.recv(65536):
                reply += chunk
        head, _, payload = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        answer = json.loads(payload)
        assert answer["response"] == {"uid": review["request"]["uid"], "allowed": True}
    finally:
        assert server.stop() == 0


def test_the_audit_annotations_reach_the_api_servers_audit_log() -> None:
    """The API server writes each auditAnnotations key as `<webhook name>/<key>` and drops (with
    a warning in its log) any that is then not a qualified name with exactly one '/': ftgate
    answers bare keys, which the webhook's name turns into gate.ftgate.dev/decision-id."""
    import re

    from ftgate.admission.answer import DECISION_ID, RULESET_VERSION

    name = webhook_of(rendered("base"))["name"]
    dns_subdomain = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
    for key in (DECISION_ID, RULESET_VERSION):
        prefix, slash, rest = f"{name}/{key}".partition("/")
        assert slash and "/" not in rest
        assert dns_subdomain.match(prefix) and len(prefix) <= 253
        assert re.match(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$", rest) and len(rest) <= 63
    assert f"{name}/{DECISION_ID}" == "gate.ftgate.dev/decision-id"  # as docs/gate.md says
