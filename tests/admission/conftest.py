"""Live `ftgate serve` processes with the admission webhook on an HTTPS listener (a self-signed
certificate made here, as the API server calls webhooks over HTTPS only)."""

from __future__ import annotations

import ssl
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "http"))
sys.path.insert(0, str(HERE.parent / "operability"))

from httpcall import Reply, call  # noqa: E402
from k8s import review_errors  # noqa: E402
from opstools import single_process  # noqa: E402
from pki import ServerCert, self_signed  # noqa: E402
from serverproc import ServerProcess, start_server  # noqa: E402

JOBSET = "jobset.x-k8s.io/v1alpha2 JobSet"


@dataclass
class Webhook:
    """A server and the TLS context that trusts its certificate."""

    server: ServerProcess
    tls: ssl.SSLContext
    audit_db: Path

    def post(self, document: Any = None, *, raw: bytes | None = None, query: str = "",
             headers: dict[str, str] | None = None) -> Reply:
        return call(self.server.http_port or 0, "POST", "/k8s/validate" + query, document,
                    raw=raw, headers=headers, context=self.tls)

    def post_api(self, raw: bytes, path: str = "/v1/evaluate") -> Reply:
        """A JSON body to an API route of the same HTTPS listener."""
        return call(self.server.http_port or 0, "POST", path, raw=raw,
                    headers={"Content-Type": "application/json"}, context=self.tls)

    def admit(self, document: dict[str, Any]) -> dict[str, Any]:
        """The AdmissionReview answer to `document`, checked against the schema, uid echoed."""
        reply = self.post(document)
        assert reply.status == 200, reply.body
        answer = reply.json
        assert review_errors(answer) == [], answer
        assert answer["response"]["uid"] == document["request"]["uid"]
        return dict(answer["response"])


@pytest.fixture(scope="package")
def cert(tmp_path_factory: pytest.TempPathFactory) -> ServerCert:
    return self_signed(tmp_path_factory.mktemp("webhook-tls"))


def _start(tmp: Path, cert: ServerCert, *flags: str, hooks: Sequence[str] = ()) -> Webhook:
    """`hooks`: flags of the test seam (service/ftgate/testing.py), e.g. a clock of the test's."""
    audit_db = tmp / "audit.db"
    server = start_server(tmp, "--tls-cert", str(cert.cert), "--tls-key", str(cert.key),
                          "--audit-db", str(audit_db), *flags, *single_process(),
                          credentials=grpc.ssl_channel_credentials(cert.pem()), hooks=hooks)
    return Webhook(server, ssl.create_default_context(cadata=cert.pem().decode()), audit_db)


@pytest.fixture(scope="package")
def webhook(cert: ServerCert, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webhook]:
    """Enforcing, for Jobs and JobSets."""
    hook = _start(tmp_path_factory.mktemp("enforce"), cert, "--admission-kinds", JOBSET)
    yield hook
    assert hook.server.stop() == 0


@pytest.fixture(scope="package")
def warn_webhook(cert: ServerCert, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webhook]:
    hook = _start(tmp_path_factory.mktemp("warn"), cert, "--admission-mode", "warn")
    yield hook
    assert hook.server.stop() == 0
