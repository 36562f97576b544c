"""Attacks through the files the CLI reads from a user's path: a FIFO, a device, an oversize
rule file. Each is exit 2 with one line naming the file and what it is, never "internal
error", and never blocks (the subprocess timeout is a safety net, not a measure)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from serverproc import FTGATE, REPO, free_port

# Only there so that a blocked command fails the test instead of hanging it.
SAFETY_TIMEOUT = 60.0
EXAMPLE = REPO / "examples" / "support-ticket-classifier.yaml"


def _ftgate(*args: str) -> list[str]:
    """The stderr lines of `ftgate ARGS`, which must exit 2."""
    try:
        done = subprocess.run([*FTGATE, *args], capture_output=True, text=True, cwd=REPO,
                              timeout=SAFETY_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"ftgate {' '.join(args)} blocked") from None
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines


def _rules(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    return rules


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "profile.yaml"
    os.mkfifo(path)
    return path


def test_check_refuses_a_fifo(fifo: Path) -> None:
    [line] = _ftgate("check", str(fifo))
    assert f"{fifo}: a named pipe (FIFO), not a profile file" in line


@pytest.mark.parametrize("linked", [False, True], ids=["device", "symlink-to-device"])
def test_check_refuses_dev_zero(tmp_path: Path, linked: bool) -> None:
    path = tmp_path / "profile.yaml"
    if linked:
        path.symlink_to("/dev/zero")
    [line] = _ftgate("check", str(path) if linked else "/dev/zero")
    assert f"{path if linked else '/dev/zero'}: a character device" in line
    assert "not a profile file" in line


@pytest.mark.parametrize("flag", ["--token-file", "--ca-cert"])
def test_check_refuses_a_fifo_as_a_connection_file(fifo: Path, flag: str) -> None:
    [line] = _ftgate("check", str(EXAMPLE), "--server", "127.0.0.1:1", flag, str(fifo))
    assert f"argument {flag}: {fifo} is a named pipe (FIFO)" in line


def test_rules_lint_refuses_an_oversize_rule_file(tmp_path: Path) -> None:
    rules = _rules(tmp_path)
    big = rules / "zz-notes.yaml"
    big.write_bytes(b"# " + b"x" * (2 * 1024 * 1024) + b"\n")
    [line] = _ftgate("rules", "lint", "--rules", str(rules))
    assert f"{big}: is 2,097,155 bytes, more than the limit of 1,048,576 bytes" in line


def test_rules_lint_takes_the_cap_from_its_flag(tmp_path: Path) -> None:
    rules = _rules(tmp_path)
    [line] = _ftgate("rules", "lint", "--rules", str(rules), "--max-rule-file-bytes", "4096")
    assert "more than the limit of 4,096 bytes" in line
    assert str(rules / "alternatives.yaml") in line  # the first file above 4 KB


@pytest.mark.parametrize("command", ["lint", "test", "list"])
def test_rules_commands_refuse_a_fifo_rule_file(tmp_path: Path, command: str) -> None:
    rules = _rules(tmp_path)
    os.mkfifo(rules / "zz-pipe.yaml")
    [line] = _ftgate("rules", command, "--rules", str(rules))
    assert f"{rules / 'zz-pipe.yaml'}: is a named pipe (FIFO), expected a regular file" in line


def test_rules_test_refuses_a_fifo_test_table(tmp_path: Path) -> None:
    rules = _rules(tmp_path)
    os.mkfifo(rules / "tests" / "zz-pipe.yaml")
    [line] = _ftgate("rules", "test", "--rules", str(rules))
    assert f"{rules / 'tests' / 'zz-pipe.yaml'}: is a named pipe (FIFO)" in line


def _serve(*args: str) -> list[str]:
    return _ftgate("serve", "--listen", f"127.0.0.1:{free_port()}", "--metrics-listen", "",
                   "--http-listen", "", "--workers", "1", *args)


def test_serve_refuses_a_fifo_in_the_rules_directory_at_start(tmp_path: Path) -> None:
    rules = _rules(tmp_path)
    os.mkfifo(rules / "zz-pipe.yaml")
    [line] = _serve("--rules", str(rules))
    assert f"{rules / 'zz-pipe.yaml'}: is a named pipe (FIFO)" in line


def test_serve_refuses_a_rule_file_above_max_rule_file_bytes(tmp_path: Path) -> None:
    rules = _rules(tmp_path)
    [line] = _serve("--rules", str(rules), "--max-rule-file-bytes", "4096")
    assert str(rules / "alternatives.yaml") in line
    assert "more than the limit of 4,096 bytes (--max-rule-file-bytes)" in line


def test_serve_refuses_a_fifo_token_file(fifo: Path) -> None:
    [line] = _serve("--auth-tokens", str(fifo))
    assert f"argument --auth-tokens: {fifo} is a named pipe (FIFO)" in line
