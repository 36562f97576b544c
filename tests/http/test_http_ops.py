"""The HTTP port under the gRPC server's operating rules, over a real socket: bearer tokens, TLS
and mutual TLS, the body size and concurrency limits, deadlines, and draining on SIGTERM."""

from __future__ import annotations

import signal
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpcall import call, finish_held, held_call
from opstools import metric, scrape, wait_until
from serverproc import ServerProcess, start_server
from test_ops_access import Pki, make_pki

TOKEN = "http-token-for-tests-0123456789"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def mtls_server(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    import grpc

    tokens = pki.write("tokens", f"{TOKEN}\n".encode())
    credentials = grpc.ssl_channel_credentials(pki.ca.cert, pki.client.key, pki.client.cert)
    proc = start_server(tmp_path_factory.mktemp("mtls"),
                        "--tls-cert", pki.write("server.pem", pki.server.cert),
                        "--tls-key", pki.write("server.key", pki.server.key),
                        "--tls-client-ca", pki.write("ca.pem", pki.ca.cert),
                        "--auth-tokens", tokens, "--workers", "1", credentials=credentials)
    yield proc
    assert proc.stop() == 0


def tls(pki: Pki, client: str | None = "client") -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=pki.ca.cert.decode())
    if client:
        pem = getattr(pki, client)
        context.load_cert_chain(pki.write(f"{client}.pem", pem.cert),
                                pki.write(f"{client}.key", pem.key))
    return context


def test_right_certificate_and_token_are_served(mtls_server: ServerProcess, pki: Pki) -> None:
    reply = call(mtls_server.http_port, "POST", "/v1/evaluate", {"project": {}},
                 headers={"Authorization": f"Bearer {TOKEN}"}, context=tls(pki))
    assert reply.status == 200
    assert reply.json["assessment"]["verdict"] == "VERDICT_NEEDS_INFORMATION"


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}"])
def test_missing_or_wrong_token_is_401(mtls_server: ServerProcess, pki: Pki,
                                       authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for method, path, body in (("POST", "/v1/evaluate", {"project": {}}), ("GET", "/v1/rules", None)):
        reply = call(mtls_server.http_port, method, path, body, headers=headers, context=tls(pki))
        assert reply.status == 401
        assert reply.json["error"]["status"] == "UNAUTHENTICATED"
        assert reply.headers["www-authenticate"] == "Bearer"
    assert TOKEN not in mtls_server.log() and "wrong-token" not in mtls_server.log()


def test_probes_and_console_need_no_token(mtls_server: ServerProcess, pki: Pki) -> None:
    for path in ("/healthz", "/readyz", "/", "/openapi.json", "/console/form.json"):
        assert call(mtls_server.http_port, "GET", path, context=tls(pki)).status == 200, path


@pytest.mark.parametrize("client", [None, "rogue_client"])
def test_client_without_the_right_certificate_is_refused(mtls_server: ServerProcess, pki: Pki,
                                                         client: str | None) -> None:
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        call(mtls_server.http_port, "GET", "/healthz", context=tls(pki, client))


def test_plain_http_is_refused_on_a_tls_port(mtls_server: ServerProcess) -> None:
    try:
        reply = call(mtls_server.http_port, "GET", "/healthz")
    except (ConnectionError, OSError):
        return
    assert reply.status >= 400  # an answer, if any, is an error: never the probe's 200


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("limits"), "--max-request-bytes", "65536",
                        "--max-concurrent", "1", "--max-batch", "5000", "--workers", "1")
    yield proc
    assert proc.stop() == 0


def in_flight(server: ServerProcess) -> float:
    return metric(scrape(server), "ftgate_http_in_flight")


def test_body_over_max_request_bytes_is_413(limited: ServerProcess) -> None:
    big = {"project": {"name": "x" * 70_000}}
    reply = call(limited.http_port, "POST", "/v1/evaluate", big)
    assert reply.status == 413
    assert "65,536" in reply.json["error"]["message"]
    chunked = call(limited.http_port, "POST", "/v1/evaluate", raw=iter([b'{"project": {"name": "',
                                                                         b"y" * 70_000, b'"}}']),
                   headers={"Content-Type": "application/json"})
    assert chunked.status == 413  # no Content-Length: counted as it arrives
    assert call(limited.http_port, "POST", "/v1/evaluate", {"project": {}}).status == 200


def test_calls_beyond_max_concurrent_are_429(limited: ServerProcess) -> None:
    # A call is counted until just after its response is sent: wait for the earlier ones.
    wait_until(lambda: in_flight(limited) == 0, what="no call in flight")
    sock, rest = held_call(limited.http_port)
    wait_until(lambda: in_flight(limited) == 1, what="the held call in flight")
    reply = call(limited.http_port, "POST", "/v1/evaluate", {"project": {}})
    assert reply.status == 429
    assert reply.json["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert reply.headers["retry-after"]
    assert call(limited.http_port, "GET", "/healthz").status == 200  # probes are not limited
    assert finish_held(sock, rest) == 200
    wait_until(lambda: in_flight(limited) == 0, what="the held call ended")
    assert call(limited.http_port, "POST", "/v1/evaluate", {"project": {}}).status == 200


def test_a_call_past_its_deadline_is_504(limited: ServerProcess) -> None:
    # 2,000 profiles cannot be evaluated within a millisecond, on any machine.
    body = {"projects": [{"name": f"p{i}"} for i in range(2000)]}
    reply = call(limited.http_port, "POST", "/v1/evaluate:batch", body,
                 headers={"Request-Timeout": "0.001"})
    assert reply.status == 504
    assert reply.json["error"]["status"] == "DEADLINE_EXCEEDED"
    assert call(limited.http_port, "POST", "/v1/evaluate", {"project": {}}).status == 200


def test_sigterm_refuses_new_calls_and_finishes_those_in_flight(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--grace", "60", "--workers", "1")
    try:
        sock, rest = held_call(server.http_port)
        wait_until(lambda: in_flight(server) == 1, what="the held call in flight")
        server.proc.send_signal(signal.SIGTERM)

        def refused() -> bool:
            return call(server.http_port, "POST", "/v1/evaluate", {"project": {}}).status == 503

        wait_until(refused, what="new calls refused while draining")
        reply = call(server.http_port, "POST", "/v1/evaluate", {"project": {}})
        assert reply.json["error"]["status"] == "UNAVAILABLE" and reply.headers["retry-after"]
        assert call(server.http_port, "GET", "/readyz").status == 503
        assert call(server.http_port, "GET", "/healthz").status == 200  # alive, not ready
        assert server.proc.poll() is None  # waiting for the call in flight
        assert finish_held(sock, rest) == 200
        assert server.proc.wait(30) == 0
    finally:
        server.stop(signal.SIGKILL)


def test_worker_processes_share_the_http_port(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--workers", "2")
    try:
        wait_until(lambda: server.log().count("http_serving") == 2, what="both workers on HTTP")
        statuses = [call(server.http_port, "POST", "/v1/evaluate", {"project": {}}).status
                    for _ in range(10)]
        assert statuses == [200] * 10

        def counted() -> bool:  # counters of the workers are summed, each flushed every second
            return metric(scrape(server), "ftgate_http_requests_total", code="200",
                          method="POST", route="/v1/evaluate") == 10

        wait_until(counted, what="the workers' HTTP counts summed")
    finally:
        assert server.stop() == 0


def test_during_the_drain_delay_readyz_is_503_and_calls_are_answered(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--drain-delay", "120", "--workers", "1")
    try:
        assert call(server.http_port, "GET", "/readyz").status == 200
        server.proc.send_signal(signal.SIGTERM)
        wait_until(lambda: call(server.http_port, "GET", "/readyz").status == 503,
                   what="readiness off after SIGTERM")
        # Load balancers are still taking the instance out: its calls are still answered.
        assert call(server.http_port, "POST", "/v1/evaluate", {"project": {}}).status == 200
    finally:
        server.stop(signal.SIGKILL)  # not worth waiting out the delay
