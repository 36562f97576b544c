"""The health checks the image and the pods rely on, against a live `ftgate serve`.

- `ftgate health`, the Dockerfile HEALTHCHECK command: exit 0 when SERVING, 1 otherwise, bounded.
- grpc.health.v1 for "" (liveness, startup) and the advisor service (readiness): what the
  Kubernetes native gRPC probes ask.
- Draining: after SIGTERM the server exits 0 within its grace.
- The exec probes of overlays/production-tls (`ftgate health` over mutual TLS), for real.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SERVICE_NAME, FtgateServer, free_port, ftgate_bin, rendered


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FtgateServer]:
    running = FtgateServer(tmp_path_factory.mktemp("health")).start()
    yield running
    running.stop()


def health(address: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ftgate_bin(), "health", "--address", address, "--timeout", "2", *extra],
                          capture_output=True, text=True, timeout=30, check=False)


def test_health_command_exit_codes(server: FtgateServer) -> None:
    ok = health(server.address)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    ready = health(server.address, "--service", SERVICE_NAME)
    assert ready.returncode == 0, ready.stdout + ready.stderr
    unknown = health(server.address, "--service", "no.such.Service")
    assert unknown.returncode == 1
    started = time.monotonic()
    nobody = health(f"127.0.0.1:{free_port()}", "--timeout", "1")
    assert nobody.returncode == 1
    assert time.monotonic() - started < 15, "the probe is bounded by --timeout"


def test_native_grpc_probe_targets_report_serving(server: FtgateServer) -> None:
    assert server.serving(service="")
    assert server.serving(service=SERVICE_NAME)


def test_sigterm_drains_and_exits_zero(server_factory: Any) -> None:
    """As in the pods: two workers; SIGTERM reaches both, both drain, the supervisor exits 0."""
    server = server_factory(grace=3, extra_args=["--workers", "2"]).start()
    server.terminate()
    code = server.wait(timeout=3 + 10)
    assert code == 0, f"exit code {code}:\n{server.log()}"


def test_sigterm_while_workers_start_still_exits_zero(server_factory: Any) -> None:
    """A pod can be stopped right after it started (rollout aborted, scale-down): SIGTERM while
    the workers are still starting is a clean stop too (exit 0, nothing to drain)."""
    server = server_factory(grace=3, extra_args=["--workers", "2"])
    log = server.log_path.open("wb")
    server.proc = subprocess.Popen(server.args, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    log.close()
    deadline = time.monotonic() + 30
    while '"supervising"' not in server.log() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert '"supervising"' in server.log(), server.log()
    server.terminate()
    code = server.wait(timeout=3 + 20)
    assert code == 0, (
        f"ftgate serve --workers 2 exited {code} when SIGTERM came while its workers were "
        "starting (a worker killed by the signal before it installed its handler counts as "
        "failed):\n" + "\n".join(line for line in server.log().splitlines() if "worker" in line))


def make_certificates(directory: Path) -> None:
    """A CA, and a certificate it signs for the server naming IP 127.0.0.1 (as the probes need)."""
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl is not installed: cannot make test certificates")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=directory, check=True, capture_output=True, timeout=60)

    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
        "-subj", "/CN=ftgate test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", *ec, "-keyout", "tls.key", "-out", "tls.csr", "-subj", "/CN=ftgate")
    (directory / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                       "basicConstraints=CA:FALSE\n", encoding="utf-8")
    run("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "tls.crt", "-days", "1", "-extfile", "ext.cnf")


def test_tls_overlay_probes_pass_against_a_mutual_tls_server(tmp_path: Path,
                                                             server_factory: Any) -> None:
    """The exact probe commands of overlays/production-tls, run against ftgate serve started with
    the overlay's TLS flags (paths moved from /etc/ftgate/tls to a temporary directory)."""
    make_certificates(tmp_path)
    c = next(o for o in rendered("production-tls") if o["kind"] == "Deployment")
    (container,) = c["spec"]["template"]["spec"]["containers"]
    tls_args = [a.replace("/etc/ftgate/tls", str(tmp_path)) for a in container["args"]
                if a.startswith("--tls-")]
    assert len(tls_args) == 3
    server = server_factory(extra_args=tls_args)
    server.serving = lambda service="", timeout=1.0: health_over_tls(server, tmp_path)  # type: ignore[method-assign]
    server.start()
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        command = [a.replace("/etc/ftgate/tls", str(tmp_path))
                   .replace("127.0.0.1:50051", server.address) for a in container[probe]["exec"]["command"]]
        command[0] = ftgate_bin()
        result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
        assert result.returncode == 0, f"{probe}: {result.stdout}{result.stderr}"
    # Why exec probes: a plaintext health check (what a native gRPC probe sends) fails.
    assert health(server.address).returncode == 1


def health_over_tls(server: FtgateServer, certs: Path) -> bool:
    result = subprocess.run(
        [ftgate_bin(), "health", "--address", server.address, "--timeout", "1",
         "--ca-cert", str(certs / "ca.crt"), "--client-cert", str(certs / "tls.crt"),
         "--client-key", str(certs / "tls.key")],
        capture_output=True, text=True, timeout=30, check=False)
    return result.returncode == 0


def test_probes_need_no_token_when_calls_do(tmp_path: Path, server_factory: Any) -> None:
    """overlays/production passes --auth-tokens and keeps token-less native gRPC probes."""
    import grpc
    from ftgate.v1 import advisor_pb2 as pb
    from ftgate.v1 import advisor_pb2_grpc as pb_grpc

    tokens = tmp_path / "tokens"
    tokens.write_text("s3cret-token-for-tests\n", encoding="utf-8")
    server = server_factory(extra_args=["--auth-tokens", str(tokens)]).start()
    assert server.serving(service="") and server.serving(service=SERVICE_NAME)
    assert health(server.address, "--service", SERVICE_NAME).returncode == 0
    with grpc.insecure_channel(server.address) as channel:
        stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
        with pytest.raises(grpc.RpcError) as denied:
            stub.ListRules(pb.ListRulesRequest(), timeout=10)
        assert denied.value.code() == grpc.StatusCode.UNAUTHENTICATED
        stub.ListRules(pb.ListRulesRequest(), timeout=10,
                       metadata=[("authorization", "Bearer s3cret-token-for-tests")])
