"""A port already taken: one line naming its flag and how to choose another, exit 2, no
worker started (so none restarted), with one worker and with two."""

from __future__ import annotations

import socket
import subprocess

import pytest
from serverproc import FTGATE, REPO, free_ports

FLAGS = ("--listen", "--metrics-listen", "--http-listen")


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("taken", FLAGS)
def test_a_taken_port_is_one_line_and_exit_2(taken: str, workers: str) -> None:
    ports = dict(zip(FLAGS, free_ports(len(FLAGS)), strict=True))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", ports[taken]))
        holder.listen()
        args = [arg for flag, port in ports.items() for arg in (flag, f"127.0.0.1:{port}")]
        done = subprocess.run([*FTGATE, "serve", "--workers", workers, *args], cwd=REPO,
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert lines == [f"ftgate serve: {taken}: 127.0.0.1:{ports[taken]} is already in use "
                     f"(another server listens there?); choose another with {taken} HOST:PORT"]
    assert done.stdout == ""
