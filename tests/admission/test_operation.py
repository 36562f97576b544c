"""The webhook under the server's operating rules: the API server's timeout, bearer tokens (which
the API server does not send), HTTPS on the HTTP port alone, and the flags."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import JOBSET, Webhook, _start
from ftgate.admission import AdmissionKind, parse_kinds
from httpcall import call
from k8s import job, review, review_errors
from pki import ServerCert
from serverproc import FTGATE, REPO

GATE = {"ftgate.dev/gate": "enforce"}
PROFILE = (REPO / "service/ftgate/examples/support-ticket-classifier.yaml").read_text()
TOKEN = "admission-test-token-0123456789abcdef"


@pytest.fixture(scope="module")
def with_tokens(cert: ServerCert, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webhook]:
    tmp = tmp_path_factory.mktemp("tokens")
    (tmp / "tokens").write_text(TOKEN + "\n")
    hook = _start(tmp, cert, "--auth-tokens", str(tmp / "tokens"))
    yield hook
    assert hook.server.stop() == 0


def test_a_decision_past_the_api_servers_timeout_never_admits(webhook: Webhook) -> None:
    document = review(job(labels=GATE, annotations={"ftgate.dev/profile": PROFILE}))
    reply = webhook.post(document, query="?timeout=1ns")  # gone before any decision
    if reply.status == 200:
        answer = reply.json
        assert review_errors(answer) == []
        assert answer["response"]["allowed"] is False
        assert answer["response"]["status"]["code"] == 504
    else:  # the answer itself was late: the API server applies failurePolicy (Fail)
        assert reply.status == 504 and reply.json["error"]["status"] == "DEADLINE_EXCEEDED"
    assert webhook.admit(document)["allowed"] is True  # and the next one is decided


def test_the_webhook_needs_no_token_the_api_does(with_tokens: Webhook) -> None:
    answer = with_tokens.admit(review(job(labels=GATE, annotations={"ftgate.dev/profile": PROFILE})))
    assert answer["allowed"] is True
    port = with_tokens.server.http_port or 0
    assert call(port, "POST", "/v1/evaluate", {"project": {}},
                context=with_tokens.tls).status == 401
    assert call(port, "POST", "/v1/evaluate", {"project": {}}, context=with_tokens.tls,
                headers={"Authorization": f"Bearer {TOKEN}"}).status == 200


def run_serve(*flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FTGATE, "serve", "--listen", "127.0.0.1:0", *flags],
                          capture_output=True, text=True, timeout=60, cwd=REPO, check=False)


@pytest.mark.parametrize("flags, named", [
    (["--admission-kinds", "PyTorchJob"], "--admission-kinds: expected 'GROUP/VERSION Kind'"),
    (["--admission-kinds", "kubeflow.org/v1 pytorchjob"], "--admission-kinds"),
    (["--admission-mode", "audit"], "--admission-mode: invalid choice: 'audit'"),
])
def test_bad_admission_flags_exit_2_naming_the_flag(flags: list[str], named: str) -> None:
    result = run_serve(*flags)
    assert result.returncode == 2
    assert named in result.stderr, result.stderr


def test_http_tls_files_go_together(cert: ServerCert) -> None:
    result = run_serve("--http-tls-cert", str(cert.cert))
    assert result.returncode == 2
    assert "--http-tls-cert and --http-tls-key go together" in result.stderr


def test_kinds_are_read_as_kubectl_shows_them() -> None:
    assert parse_kinds(f"kubeflow.org/v1 PyTorchJob, {JOBSET}") == (
        AdmissionKind("kubeflow.org", "v1", "PyTorchJob"),
        AdmissionKind("jobset.x-k8s.io", "v1alpha2", "JobSet"))
    assert parse_kinds("v1 Pod") == (AdmissionKind("", "v1", "Pod"),)
    assert parse_kinds("") == ()
    assert str(AdmissionKind("batch", "v1", "Job")) == "batch/v1 Job"


def test_https_on_the_http_port_alone(cert: ServerCert, tmp_path: Path) -> None:
    """--http-tls-cert: the webhook is HTTPS while gRPC stays plaintext (its native probes)."""
    from serverproc import start_server

    server = start_server(tmp_path, "--http-tls-cert", str(cert.cert), "--http-tls-key",
                          str(cert.key), "--workers", "1")  # waits for gRPC SERVING, plaintext
    try:
        import ssl

        context = ssl.create_default_context(cadata=cert.pem().decode())
        hook = Webhook(server, context, tmp_path / "none.db")
        assert hook.admit(review(job()))["allowed"] is True
    finally:
        assert server.stop() == 0
