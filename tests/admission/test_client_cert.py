"""--http-client-ca: the webhook's listener requires a client certificate (the one the API
server presents, docs/gate.md). Without one, or with one of another CA, the TLS handshake
fails: no evaluation, no audit row. Over real HTTPS on a live `ftgate serve`."""

from __future__ import annotations

import http.client
import sqlite3
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpcall import Reply, call
from k8s import job, review
from opstools import single_process, wait_until
from serverproc import FTGATE, REPO, ServerProcess, start_server
from test_ops_access import Pem, Pki, make_pki

GATE = {"ftgate.dev/gate": "enforce"}
EXAMPLE = (Path(__file__).resolve().parents[2] / "service" / "ftgate" / "examples"
           / "support-ticket-classifier.yaml")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def server(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("client-ca")
    proc = start_server(tmp, "--http-tls-cert", pki.write("server.pem", pki.server.cert),
                        "--http-tls-key", pki.write("server.key", pki.server.key),
                        "--http-client-ca", pki.write("ca.pem", pki.ca.cert),
                        "--auth-tokens", pki.write("tokens", b"a-token-the-webhook-never-sends\n"),
                        "--audit-db", str(tmp / "audit.db"), *single_process())
    proc.extra["audit_db"] = str(tmp / "audit.db")
    yield proc
    assert proc.stop() == 0


def _context(pki: Pki, client: Pem | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=pki.ca.cert.decode())
    if client is not None:
        cert = pki.write("client-cert.pem", client.cert)
        key = pki.write("client-key.pem", client.key)
        context.load_cert_chain(cert, key)
    return context


def _validate(server: ServerProcess, context: ssl.SSLContext) -> Reply:
    document = review(job(labels=GATE, annotations={
        "ftgate.dev/profile": EXAMPLE.read_text(encoding="utf-8")}))
    return call(server.http_port or 0, "POST", "/k8s/validate", document, context=context)


def _audit_rows(server: ServerProcess) -> int:
    with sqlite3.connect(server.extra["audit_db"]) as db:
        return int(db.execute("SELECT count(*) FROM decisions").fetchone()[0])


def _audited(server: ServerProcess, decision_id: str) -> bool:
    with sqlite3.connect(server.extra["audit_db"]) as db:
        return db.execute("SELECT 1 FROM decisions WHERE decision_id = ?",
                          (decision_id,)).fetchone() is not None


def _admitted(server: ServerProcess, pki: Pki) -> str:
    """A call with the client certificate, answered and audited: its decision id."""
    answer = _validate(server, _context(pki, pki.client))
    assert answer.status == 200, answer.body
    assert answer.json["response"]["allowed"] is True
    decision_id = str(answer.json["response"]["auditAnnotations"]["decision-id"])
    wait_until(lambda: _audited(server, decision_id), 30, what="the decision in the audit log")
    return decision_id


@pytest.mark.parametrize("who", ["none", "rogue"])
def test_no_evaluation_without_a_client_certificate_of_the_ca(server: ServerProcess, pki: Pki,
                                                              who: str) -> None:
    rows = _audit_rows(server)  # (every earlier call of this module is audited already)
    client = None if who == "none" else pki.rogue_client
    with pytest.raises((ssl.SSLError, ConnectionError, http.client.HTTPException)):
        _validate(server, _context(pki, client))
    # Then a call with the certificate: once its decision is in the audit log, the refused
    # one would be there too (before it), had it been evaluated.
    _admitted(server, pki)
    assert _audit_rows(server) == rows + 1


def test_the_api_server_with_its_certificate_gets_answers(server: ServerProcess,
                                                          pki: Pki) -> None:
    _admitted(server, pki)


def test_a_client_ca_without_https_is_exit_2_naming_the_flag(pki: Pki) -> None:
    done = subprocess.run([*FTGATE, "serve", "--listen", "127.0.0.1:0", "--metrics-listen", "",
                           "--http-listen", "127.0.0.1:0", "--http-client-ca",
                           pki.write("ca.pem", pki.ca.cert)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("ftgate serve: --http-client-ca needs HTTPS")
