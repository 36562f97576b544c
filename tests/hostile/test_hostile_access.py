"""Attacks on access to a live `ftgate serve`: the token file emptied or deleted under it, odd
`authorization` values, and certificate, key, CA, token and rule files that cannot be used."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hostile_data_tools import make_pki, metric, scrape, wait_until
from serverproc import FTGATE, REPO, ServerProcess, free_port, start_server

TOKEN_A = "token-a-0123456789"
TOKEN_B = "token-b-9876543210"


def _code(address: str, authorization: str | None) -> grpc.StatusCode:
    """The status of a ListRules call carrying this `authorization` value."""
    metadata = [("authorization", authorization)] if authorization is not None else []
    with grpc.insecure_channel(address) as channel:
        try:
            pb_grpc.FineTuningAdvisorServiceStub(channel).ListRules(
                pb.ListRulesRequest(), timeout=10, metadata=metadata)
        except grpc.RpcError as exc:
            return exc.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


@pytest.fixture
def tokens(tmp_path: Path) -> Path:
    path = tmp_path / "tokens"
    path.write_text(f"# callers\n{TOKEN_A}\n")
    return path


@pytest.fixture
def server(tmp_path: Path, tokens: Path) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path, "--workers", "1", "--auth-tokens", str(tokens))
    yield proc
    proc.stop()


def _file_ok(server: ServerProcess) -> float | None:
    return metric(scrape(server.metrics_url), "ftgate_auth_tokens_file_ok")


def _log_events(server: ServerProcess, event: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in server.log().splitlines()
            if f'"event": "{event}"' in line]


def test_an_emptied_token_file_allows_no_caller_after_sighup(server: ServerProcess,
                                                             tokens: Path) -> None:
    assert _code(server.address, f"Bearer {TOKEN_A}") == grpc.StatusCode.OK
    tokens.write_text("# every caller removed\n\n")
    server.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: _code(server.address, f"Bearer {TOKEN_A}")
               == grpc.StatusCode.UNAUTHENTICATED, what="the old token refused")
    assert _file_ok(server) == 1  # the file was read: it says "nobody"
    with grpc.insecure_channel(server.address) as channel:  # probes still need no token
        assert health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=10).status == \
            health_pb2.HealthCheckResponse.SERVING
    tokens.write_text(f"{TOKEN_B}\n")  # and access comes back with a new token
    server.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: _code(server.address, f"Bearer {TOKEN_B}") == grpc.StatusCode.OK,
               what="the new token accepted")
    assert _code(server.address, f"Bearer {TOKEN_A}") == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("breakage", ["deleted", "a directory", "not UTF-8"])
def test_an_unreadable_token_file_keeps_the_last_tokens_and_alerts(server: ServerProcess,
                                                                   tokens: Path,
                                                                   breakage: str) -> None:
    assert _file_ok(server) == 1
    tokens.unlink()
    if breakage == "a directory":
        tokens.mkdir()
    elif breakage == "not UTF-8":
        tokens.write_bytes(b"\xff\xfe" + TOKEN_B.encode())
    server.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: _file_ok(server) == 0, what="ftgate_auth_tokens_file_ok 0")
    failed = _log_events(server, "auth_tokens_reload_failed")
    assert failed and failed[-1]["level"] == "error" and str(tokens) in str(failed[-1]["error"])
    assert TOKEN_A not in server.log()
    assert _code(server.address, f"Bearer {TOKEN_A}") == grpc.StatusCode.OK  # last good set
    if tokens.is_dir():
        tokens.rmdir()
    tokens.write_text(f"{TOKEN_B}\n")
    server.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: _file_ok(server) == 1, what="ftgate_auth_tokens_file_ok back to 1")
    assert _code(server.address, f"Bearer {TOKEN_B}") == grpc.StatusCode.OK
    assert _code(server.address, f"Bearer {TOKEN_A}") == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize(("authorization", "expected"), [
    (f"Bearer {TOKEN_A}", grpc.StatusCode.OK),
    (f"bearer {TOKEN_A}", grpc.StatusCode.OK),  # the scheme is case-insensitive (RFC 7235)
    (f"BEARER {TOKEN_A}", grpc.StatusCode.OK),
    (f"Bearer    {TOKEN_A}", grpc.StatusCode.OK),  # 1*SP between scheme and token
    (f"  Bearer {TOKEN_A}  ", grpc.StatusCode.OK),  # surrounding whitespace of a field value
    (f"Bearer{TOKEN_A}", grpc.StatusCode.UNAUTHENTICATED),
    (f"Basic {TOKEN_A}", grpc.StatusCode.UNAUTHENTICATED),
    (f"Bearer {TOKEN_A.upper()}", grpc.StatusCode.UNAUTHENTICATED),  # the token is exact
    (f"Bearer {TOKEN_A} extra", grpc.StatusCode.UNAUTHENTICATED),
    (f"Bearer {TOKEN_A[:-1]}", grpc.StatusCode.UNAUTHENTICATED),
    ("Bearer", grpc.StatusCode.UNAUTHENTICATED),
    ("Bearer ", grpc.StatusCode.UNAUTHENTICATED),
    (TOKEN_A, grpc.StatusCode.UNAUTHENTICATED),
    (None, grpc.StatusCode.UNAUTHENTICATED),
])
def test_authorization_values(server: ServerProcess, authorization: str | None,
                              expected: grpc.StatusCode) -> None:
    assert _code(server.address, authorization) == expected


# Files given to `serve` that cannot be used: exit 2 at once, one line naming the file.

def _serve_exit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FTGATE, "serve", "--listen", f"127.0.0.1:{free_port()}", "--metrics-listen", "",
         *args], capture_output=True, text=True, timeout=120, cwd=REPO)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    ca, a, b = make_pki()
    base = tmp_path_factory.mktemp("files")
    contents = {"ca.pem": ca.cert, "a.crt": a.cert, "a.key": a.key, "b.key": b.key,
                "garbage.pem": b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
                               b"-----END CERTIFICATE-----\n",
                "noise": b"\x00\x01 hello", "empty-tokens": b"# nobody\n\n", "empty": b""}
    out = {}
    for name, data in contents.items():
        out[name] = base / name
        out[name].write_bytes(data)
    out["missing"] = base / "no-such-file"
    rules = base / "rules"
    shutil.copytree(REPO / "rules", rules, ignore=shutil.ignore_patterns("tests"))
    (rules / "zz-extra.yaml").mkdir()  # matched by *.yaml, cannot be read
    out["rules"], out["bad-rule"] = rules, rules / "zz-extra.yaml"
    return out


CASES = {  # flags (@name: a file of the fixture) -> the file the message must name
    "key of another certificate": (["--tls-cert", "@a.crt", "--tls-key", "@b.key"], "b.key"),
    "garbage client CA": (["--tls-cert", "@a.crt", "--tls-key", "@a.key", "--tls-client-ca",
                           "@garbage.pem"], "garbage.pem"),
    "noise as client CA": (["--tls-cert", "@a.crt", "--tls-key", "@a.key", "--tls-client-ca",
                            "@noise"], "noise"),
    "garbage certificate": (["--tls-cert", "@garbage.pem", "--tls-key", "@a.key"],
                            "garbage.pem"),
    "key as certificate": (["--tls-cert", "@a.key", "--tls-key", "@a.key"], "a.key"),
    "certificate as key": (["--tls-cert", "@a.crt", "--tls-key", "@a.crt"], "a.crt"),
    "empty key": (["--tls-cert", "@a.crt", "--tls-key", "@empty"], "empty"),
    "empty certificate": (["--tls-cert", "@empty", "--tls-key", "@a.key"], "empty"),
    "missing key": (["--tls-cert", "@a.crt", "--tls-key", "@missing"], "missing"),
    "missing client CA": (["--tls-cert", "@a.crt", "--tls-key", "@a.key", "--tls-client-ca",
                           "@missing"], "missing"),
    "missing token file": (["--auth-tokens", "@missing"], "missing"),
    "token file with no token": (["--auth-tokens", "@empty-tokens"], "empty-tokens"),
    "unreadable rule file": (["--rules", "@rules"], "bad-rule"),
}


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_unusable_files_stop_the_start_naming_them(files: dict[str, Path], case: str,
                                                   workers: str) -> None:
    flags, named = CASES[case]
    args = [str(files[f[1:]]) if f.startswith("@") else f for f in flags]
    result = _serve_exit("--workers", workers, *args)
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(files[named]) in lines[0], lines[0]
    assert "Failed to bind" not in lines[0] and "Error(" not in lines[0]


def test_an_unreadable_rule_file_at_reload_is_named(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules, ignore=shutil.ignore_patterns("tests"))
    server = start_server(tmp_path, "--workers", "1", "--rules", str(rules),
                          "--reload-interval", "0")
    try:
        (rules / "zz-extra.yaml").mkdir()
        server.proc.send_signal(signal.SIGHUP)
        failed = wait_until(lambda: _log_events(server, "rules_reload_failed"),
                            what="rules_reload_failed")
        assert str(rules / "zz-extra.yaml") in json.dumps(failed[-1])
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize("command", [
    ["health", "--address", "127.0.0.1:1"],
    ["decisions", "list", "--server", "127.0.0.1:1"],
    ["check", "-", "--server", "127.0.0.1:1"],
])
@pytest.mark.parametrize("flag", ["--token-file", "--ca-cert"])
def test_client_files_that_cannot_be_read_are_named(tmp_path: Path, command: list[str],
                                                    flag: str,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from ftgate.cli.main import main

    if command[0] == "health" and flag == "--token-file":
        pytest.skip("health checks send no token (they need none): the file is not read")
    monkeypatch.setattr("sys.stdin", io.StringIO("name: x\n"))
    missing = tmp_path / "no-such-file"
    assert main([*command, flag, str(missing)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(missing) in err[0] and flag in err[0], err
