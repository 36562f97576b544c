"""Flags checked before anything runs: exit 2 naming the flag, never a call that fails later."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from ftgate.cli import main
from serverproc import REPO, free_port

EXAMPLE = str(REPO / "examples" / "low-volume-roi.yaml")

# (id, argv, text stderr must hold)
BAD_FLAGS = [
    ("negative timeout", ["check", EXAMPLE, "--timeout", "-1"],
     "argument --timeout: expected a number of seconds more than 0, got -1"),
    ("zero timeout", ["check", EXAMPLE, "--server", "127.0.0.1:1", "--timeout", "0"],
     "argument --timeout: expected a number of seconds more than 0, got 0"),
    ("timeout not a number", ["health", "--timeout", "soon"],
     "argument --timeout: expected a number of seconds, got 'soon'"),
    ("infinite timeout", ["decisions", "list", "--server", "127.0.0.1:1", "--timeout", "inf"],
     "argument --timeout: expected a number of seconds more than 0, got inf"),
    ("server without a port", ["check", EXAMPLE, "--server", "nohostport"],
     "argument --server: expected HOST:PORT (e.g. 127.0.0.1:50051), got 'nohostport': "
     "the port is missing"),
    ("server port out of range", ["check", EXAMPLE, "--server", "localhost:70000"],
     "argument --server: expected HOST:PORT with a port from 1 to 65535, got 'localhost:70000'"),
    ("IPv6 without brackets", ["health", "--address", "::1:50051"],
     "argument --address: expected HOST:PORT, an IPv6 host in brackets ([::1]:50051)"),
    ("decisions server without a port", ["decisions", "list", "--server", "db-host"],
     "argument --server: expected HOST:PORT"),
    ("listen without a port", ["serve", "--listen", "0.0.0.0"],
     "argument --listen: expected HOST:PORT (e.g. 127.0.0.1:50051), got '0.0.0.0'"),
    ("metrics listen without a port", ["serve", "--metrics-listen", "localhost"],
     "argument --metrics-listen: expected HOST:PORT"),
    ("missing token file", ["check", EXAMPLE, "--token-file", "no-such-token"],
     "argument --token-file: cannot read no-such-token: No such file or directory"),
    ("CA certificate is a directory", ["health", "--ca-cert", "."],
     "argument --ca-cert: . is a directory, not a file"),
    ("missing client key", ["check", EXAMPLE, "--client-key", "k.pem"],
     "argument --client-key: cannot read k.pem"),
    ("missing TLS certificate", ["serve", "--tls-cert", "cert.pem", "--tls-key", "key.pem"],
     "argument --tls-cert: cannot read cert.pem: No such file or directory"),
    ("missing token list", ["serve", "--auth-tokens", "tokens.txt"],
     "argument --auth-tokens: cannot read tokens.txt"),
    ("missing rule directory", ["check", EXAMPLE, "--rules", "no-rules"],
     "argument --rules: no-rules: no such directory"),
    ("rules is a file", ["rules", "lint", "--rules", EXAMPLE], "argument --rules: "),
    ("missing test tables", ["rules", "test", "--tests", "no-tables"],
     "argument --tests: no-tables: no such directory"),
    ("unknown log level", ["serve", "--log-level", "loud"],
     "argument --log-level: expected one of debug, info, warning, error, got 'loud'"),
    ("no decisions to list", ["decisions", "list", "--server", "127.0.0.1:1", "--limit", "0"],
     "argument --limit: expected a whole number of at least 1, got 0"),
    ("missing audit log", ["decisions", "show", "--db", "audit.db", "some-id"],
     "argument --db: audit.db: not an ftgate audit store (no such file)"),
]


@pytest.mark.parametrize(("what", "argv", "message"), BAD_FLAGS, ids=[b[0] for b in BAD_FLAGS])
def test_bad_flag_exits_2_naming_it(tmp_path: Path, monkeypatch, capsys, what, argv,
                                    message) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_unreadable_token_file(tmp_path: Path, monkeypatch, capsys) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    token = tmp_path / "token"
    token.write_text("t\n")
    token.chmod(0)
    assert main(["check", EXAMPLE, "--token-file", str(token)]) == 2
    assert "argument --token-file: cannot read" in capsys.readouterr().err


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ftgate.cli", "serve", *args],
                          capture_output=True, text=True, timeout=60, cwd=REPO)


@pytest.fixture
def taken_port():
    """A port some other process listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_listen_address_in_use_is_named(taken_port: int) -> None:
    run = _serve("--listen", f"127.0.0.1:{taken_port}", "--metrics-listen", "")
    assert run.returncode == 2
    assert f"--listen: 127.0.0.1:{taken_port} is already in use" in run.stderr
    assert "internal error" not in run.stderr


def test_metrics_address_in_use_is_named(taken_port: int) -> None:
    run = _serve("--listen", "127.0.0.1:0", "--metrics-listen", f"127.0.0.1:{taken_port}")
    assert run.returncode == 2
    assert f"--metrics-listen: 127.0.0.1:{taken_port} is already in use" in run.stderr


def test_second_server_with_only_listen_changed(server) -> None:
    """The observed case: a second `ftgate serve` whose metrics port is the first one's."""
    run = _serve("--listen", f"127.0.0.1:{free_port()}",
                 "--metrics-listen", f"127.0.0.1:{server.metrics_port}")
    assert run.returncode == 2
    assert f"--metrics-listen: 127.0.0.1:{server.metrics_port} is already in use" in run.stderr


def test_second_server_on_the_same_grpc_port(server) -> None:
    run = _serve("--listen", server.address, "--metrics-listen", "")
    assert run.returncode == 2
    assert f"--listen: {server.address} is already in use" in run.stderr


def test_same_address_twice() -> None:
    port = free_port()
    run = _serve("--listen", f"127.0.0.1:{port}", "--metrics-listen", f"127.0.0.1:{port}")
    assert run.returncode == 2
    assert "--listen and --metrics-listen are the same address" in run.stderr


def test_address_not_on_this_machine() -> None:
    with socket.socket() as s:
        try:
            s.bind(("192.0.2.1", 0))
        except OSError:
            pass
        else:
            pytest.skip("this machine binds any address (ip_nonlocal_bind)")
    run = _serve("--listen", "192.0.2.1:50051", "--metrics-listen", "")
    assert run.returncode == 2
    assert "--listen: cannot listen on 192.0.2.1:50051" in run.stderr


def test_serve_without_flags_runs_with_the_serve_defaults() -> None:
    """The defaults are written once (server/options.py): `ftgate serve` with no flag builds
    exactly the options a program gets from ServeOptions(), HTTP listener included."""
    from ftgate.cli.main import parser
    from ftgate.cli.serve import serve_options
    from ftgate.server.hooks import ServerHooks
    from ftgate.server.options import SERVE_DEFAULTS, ServeOptions

    options = serve_options(parser().parse_args(["serve"]), ServerHooks())
    assert options == SERVE_DEFAULTS == ServeOptions()
    changed = serve_options(parser().parse_args(["serve", "--grace", "3", "--http-listen", ""]),
                            ServerHooks())
    assert (changed.grace_seconds, changed.http_listen) == (3.0, None)
