"""TLS, mutual TLS and bearer tokens over a real socket, with certificates made here."""

from __future__ import annotations

import datetime
import ipaddress
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opstools import metric, scrape, single_process, small_profile, wait_until
from serverproc import ServerProcess, start_server

TOKEN = "s3cret-token-for-tests-0123456789"
OTHER_TOKEN = "second-token-also-valid"


@dataclass
class Pem:
    cert: bytes
    key: bytes


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn: str) -> tuple[Pem, ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return _pem(cert, key), key, cert


def make_leaf(cn: str, ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate,
              server: bool) -> Pem:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server
                                                     else ExtendedKeyUsageOID.CLIENT_AUTH]),
                              critical=False))
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
    return _pem(builder.sign(ca_key, hashes.SHA256()), key)


def _pem(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Pem:
    return Pem(cert.public_bytes(serialization.Encoding.PEM),
               key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()))


@dataclass
class Pki:
    ca: Pem
    server: Pem
    client: Pem
    rogue_client: Pem  # signed by a CA the server does not trust
    dir: Path

    def write(self, name: str, data: bytes) -> str:
        path = self.dir / name
        path.write_bytes(data)
        return str(path)


def make_pki(directory: Path) -> Pki:
    """A CA, a server and a client certificate it signed, and a client one of another CA."""
    ca, ca_key, ca_cert = make_ca("ftgate test CA")
    _, rogue_key, rogue_cert = make_ca("rogue CA")
    return Pki(ca, make_leaf("ftgate", ca_key, ca_cert, server=True),
               make_leaf("client", ca_key, ca_cert, server=False),
               make_leaf("client", rogue_key, rogue_cert, server=False), directory)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def creds(pki: Pki, client: Pem | None = None) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(pki.ca.cert, client.key if client else None,
                                        client.cert if client else None)


@pytest.fixture(scope="module")
def mtls_server(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tokens = pki.write("tokens", f"# ftgate callers\n{TOKEN}\n\n{OTHER_TOKEN}\n".encode())
    proc = start_server(tmp_path_factory.mktemp("mtls"),
                        "--tls-cert", pki.write("server.pem", pki.server.cert),
                        "--tls-key", pki.write("server.key", pki.server.key),
                        "--tls-client-ca", pki.write("ca.pem", pki.ca.cert),
                        "--auth-tokens", tokens, *single_process(),
                        credentials=creds(pki, pki.client))
    yield proc
    assert proc.stop() == 0


def evaluate(address: str, credentials: grpc.ChannelCredentials | None,
             token: str | None) -> grpc.StatusCode:
    channel = (grpc.secure_channel(address, credentials) if credentials
               else grpc.insecure_channel(address))
    metadata = [("authorization", f"Bearer {token}")] if token else []
    with channel:
        try:
            pb_grpc.FineTuningAdvisorServiceStub(channel).Evaluate(
                pb.EvaluateRequest(project=small_profile()), timeout=5, metadata=metadata)
        except grpc.RpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


def test_right_certificate_and_token_are_served(mtls_server: ServerProcess, pki: Pki) -> None:
    assert evaluate(mtls_server.address, creds(pki, pki.client), TOKEN) == grpc.StatusCode.OK
    assert evaluate(mtls_server.address, creds(pki, pki.client), OTHER_TOKEN) == \
        grpc.StatusCode.OK


@pytest.mark.parametrize("token", [None, "wrong", TOKEN[:-1], TOKEN + "x", "Bearer"])
def test_missing_or_wrong_token_is_unauthenticated(mtls_server: ServerProcess, pki: Pki,
                                                    token: str | None) -> None:
    assert evaluate(mtls_server.address, creds(pki, pki.client), token) == \
        grpc.StatusCode.UNAUTHENTICATED


def test_token_in_another_scheme_is_unauthenticated(mtls_server: ServerProcess, pki: Pki) -> None:
    with (grpc.secure_channel(mtls_server.address, creds(pki, pki.client)) as channel,
          pytest.raises(grpc.RpcError) as info):
        pb_grpc.FineTuningAdvisorServiceStub(channel).ListRules(
            pb.ListRulesRequest(), timeout=5, metadata=[("authorization", f"Basic {TOKEN}")])
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("client", ["none", "rogue", "plaintext"])
def test_client_without_the_right_certificate_is_refused(mtls_server: ServerProcess, pki: Pki,
                                                         client: str) -> None:
    credentials = {"none": creds(pki), "rogue": creds(pki, pki.rogue_client),
                   "plaintext": None}[client]
    assert evaluate(mtls_server.address, credentials, TOKEN) == grpc.StatusCode.UNAVAILABLE


def test_health_needs_no_token(mtls_server: ServerProcess, pki: Pki) -> None:
    with grpc.secure_channel(mtls_server.address, creds(pki, pki.client)) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                          timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_refusals_are_counted_and_secrets_never_logged(mtls_server: ServerProcess,
                                                       pki: Pki) -> None:
    evaluate(mtls_server.address, creds(pki, pki.client), "wrong-" + TOKEN)
    text = scrape(mtls_server)
    assert metric(text, "ftgate_auth_refused_total", reason="wrong") >= 1
    assert metric(text, "ftgate_auth_refused_total", reason="missing") >= 1
    log = mtls_server.log()
    assert '"event": "unauthenticated"' in log
    assert TOKEN not in log and OTHER_TOKEN not in log
    assert "PRIVATE KEY" not in log


def test_tls_without_client_certificates(pki: Pki, tmp_path: Path) -> None:
    proc = start_server(tmp_path, "--tls-cert", pki.write("server.pem", pki.server.cert),
                        "--tls-key", pki.write("server.key", pki.server.key),
                        *single_process(), credentials=creds(pki))
    try:
        assert evaluate(proc.address, creds(pki), None) == grpc.StatusCode.OK
        assert evaluate(proc.address, None, None) == grpc.StatusCode.UNAVAILABLE
    finally:
        assert proc.stop() == 0


def test_sighup_rereads_the_token_file(mtls_server: ServerProcess, pki: Pki) -> None:
    new_token = "rotated-token-9876543210"
    tokens = pki.dir / "tokens"
    kept = tokens.read_text()
    assert evaluate(mtls_server.address, creds(pki, pki.client), new_token) == \
        grpc.StatusCode.UNAUTHENTICATED
    tokens.write_text(f"{TOKEN}\n{new_token}\n")
    try:
        mtls_server.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: evaluate(mtls_server.address, creds(pki, pki.client), new_token)
                   == grpc.StatusCode.OK, what="the new token to be accepted")
        assert evaluate(mtls_server.address, creds(pki, pki.client), OTHER_TOKEN) == \
            grpc.StatusCode.UNAUTHENTICATED
    finally:
        tokens.write_text(kept)
        mtls_server.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: evaluate(mtls_server.address, creds(pki, pki.client), OTHER_TOKEN)
               == grpc.StatusCode.OK, what="the old tokens back")
    assert new_token not in mtls_server.log()


@pytest.mark.parametrize("flags", [
    ["--tls-cert", "cert.pem"], ["--tls-key", "key.pem"], ["--tls-client-ca", "ca.pem"],
    ["--max-concurrent", "-1"], ["--audit-queue", "0"], ["--max-request-bytes", "0"],
])
def test_bad_access_and_limit_flags_exit_2(flags: list[str]) -> None:
    from ftgate.cli import main

    assert main(["serve", "--listen", "127.0.0.1:0", "--metrics-listen", "", *flags]) == 2


def test_reflection_needs_a_token_too(mtls_server: ServerProcess, pki: Pki) -> None:
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    request = reflection_pb2.ServerReflectionRequest(list_services="")
    with grpc.secure_channel(mtls_server.address, creds(pki, pki.client)) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        with pytest.raises(grpc.RpcError) as info:
            list(stub.ServerReflectionInfo(iter([request]), timeout=5))
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        replies = list(stub.ServerReflectionInfo(
            iter([request]), timeout=5, metadata=[("authorization", f"Bearer {TOKEN}")]))
    names = {s.name for s in replies[0].list_services_response.service}
    assert "ftgate.v1.FineTuningAdvisorService" in names
