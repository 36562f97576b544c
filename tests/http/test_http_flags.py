"""--http-listen: a bad address or a port in use is a clear error (exit 2); '' turns HTTP off."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from serverproc import FTGATE, REPO, start_server


def serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FTGATE, "serve", "--listen", "127.0.0.1:0", "--metrics-listen", "",
                           "--workers", "1", *args], capture_output=True, text=True, timeout=120,
                          cwd=REPO)


@pytest.mark.parametrize("address", ["nonsense", "127.0.0.1", "127.0.0.1:http", ":8080",
                                     "127.0.0.1:70000"])
def test_a_bad_address_is_exit_2_naming_the_flag(address: str) -> None:
    run = serve("--http-listen", address)
    assert run.returncode == 2
    assert "--http-listen" in run.stderr and "HOST:PORT" in run.stderr
    assert "internal error" not in run.stderr


def test_a_port_in_use_is_exit_2_naming_the_flag() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        run = serve("--http-listen", f"127.0.0.1:{taken.getsockname()[1]}")
    assert run.returncode == 2
    assert "is already in use" in run.stderr and "--http-listen" in run.stderr
    assert "internal error" not in run.stderr


def test_an_empty_address_turns_http_off(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--http-listen", "", "--workers", "1")
    try:
        assert "http_serving" not in server.log()
    finally:
        assert server.stop() == 0


def test_the_default_port_is_8080() -> None:
    help_text = subprocess.run([*FTGATE, "serve", "--help"], capture_output=True, text=True,
                               timeout=60, cwd=REPO, check=True).stdout
    assert "--http-listen" in help_text
    from ftgate.cli.main import parser

    # (tests never use 8080: serverproc gives every server a free port of its own)
    assert parser().parse_args(["serve"]).http_listen == "127.0.0.1:8080"
