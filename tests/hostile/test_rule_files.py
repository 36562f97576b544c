"""Attacks through the rule directory of a live `ftgate serve --rules DIR`: a `*.yaml` linked to
/dev/zero, an oversize comment-only file, a FIFO. Each is refused by name (a log line and the
reload-failure counter), memory stays bounded, the last good rules keep serving, later good
edits still reload, and SIGTERM still ends the server with exit 0."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import grpc
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from opstools import fine_tune_profile, metric, scrape, single_process, wait_until
from serverproc import REPO, ServerProcess, start_server

# What the server may grow by while it refuses a file linked to /dev/zero. The old code read it
# whole: +1.2 GiB in under a second; the new one reads nothing. 50 MiB sits far from both.
RSS_BOUND_MIB = 50
# Generous: a loaded machine may take long to start and stop Python processes.
EXIT_TIMEOUT = 90.0
REFUSAL_TIMEOUT = 30.0
LIMIT = "1,048,576"  # --max-rule-file-bytes by default


def _rules(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules, ignore=shutil.ignore_patterns("tests"))
    return rules


def _serve(tmp_path: Path, rules: Path) -> ServerProcess:
    return start_server(tmp_path, "--rules", str(rules), "--reload-interval", "0.1",
                        *single_process())


def _evaluate(server: ServerProcess) -> pb.Assessment:
    with grpc.insecure_channel(server.address) as channel:
        stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
        reply = stub.Evaluate(pb.EvaluateRequest(project=fine_tune_profile()), timeout=10)
    return reply.assessment


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0  # exited (a zombie has no resident memory)


def _refusal(server: ServerProcess, path: Path) -> dict[str, object] | None:
    """The last `rules_reload_failed` log event naming `path`, if any."""
    events = [json.loads(line) for line in server.log().splitlines()
              if '"rules_reload_failed"' in line]
    named = [e for e in events if e.get("file") == str(path)]
    return named[-1] if named else None


def _failures(server: ServerProcess) -> float:
    return metric(scrape(server), "ftgate_rules_reload_total", result="failure")


def _exit_code(server: ServerProcess) -> int:
    try:
        return server.proc.wait(EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(10)
        raise AssertionError(f"no exit {EXIT_TIMEOUT} s after SIGTERM:\n{server.log()[-3000:]}") \
            from None


def _assert_last_good_rules_serve(server: ServerProcess, version: str) -> None:
    answer = _evaluate(server)
    assert answer.ruleset_version == version
    assert answer.outcome == pb.OUTCOME_FINE_TUNE


def test_a_rule_file_linked_to_dev_zero_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    rules = _rules(tmp_path)
    server = _serve(tmp_path, rules)
    before = _rss_mib(server.proc.pid)

    def grown() -> float:
        grown = _rss_mib(server.proc.pid) - before
        if grown > RSS_BOUND_MIB:  # stopped at once: it would take the machine's memory
            server.proc.kill()
        return grown
    try:
        version = _evaluate(server).ruleset_version
        link = rules / "zz-zero.yaml"
        link.symlink_to("/dev/zero")

        def refused() -> dict[str, object] | None:
            assert grown() <= RSS_BOUND_MIB, f"RSS grew past {RSS_BOUND_MIB} MiB reading {link}"
            return _refusal(server, link)
        event = wait_until(refused, timeout=REFUSAL_TIMEOUT, what=f"{link} refused")
        assert "character device" in str(event["error"]) and "/dev/zero" in str(event["error"])
        wait_until(lambda: _failures(server) >= 1, what="the reload failure counted")
        _assert_last_good_rules_serve(server, version)
        assert grown() <= RSS_BOUND_MIB
    finally:
        if server.proc.poll() is None:
            grown()
        assert server.stop() == 0


def test_an_oversize_comment_only_rule_file_is_refused_by_name(tmp_path: Path) -> None:
    rules = _rules(tmp_path)
    server = _serve(tmp_path, rules)
    try:
        version = _evaluate(server).ruleset_version
        big = rules / "zz-notes.yaml"
        big.write_bytes(b"# " + b"x" * (2 * 1024 * 1024) + b"\n")
        event = wait_until(lambda: _refusal(server, big), timeout=REFUSAL_TIMEOUT,
                           what=f"{big} refused")
        assert f"more than the limit of {LIMIT} bytes" in str(event["error"]), event
        wait_until(lambda: _failures(server) >= 1, what="the reload failure counted")
        _assert_last_good_rules_serve(server, version)
    finally:
        assert server.stop() == 0


def test_a_fifo_in_the_rules_directory_does_not_stop_later_reloads(tmp_path: Path) -> None:
    rules = _rules(tmp_path)
    server = _serve(tmp_path, rules)
    try:
        version = _evaluate(server).ruleset_version
        fifo = rules / "zz-pipe.yaml"
        os.mkfifo(fifo)
        event = wait_until(lambda: _refusal(server, fifo), timeout=REFUSAL_TIMEOUT,
                           what=f"{fifo} refused")
        assert "named pipe (FIFO)" in str(event["error"]), event
        wait_until(lambda: _failures(server) >= 1, what="the reload failure counted")
        _assert_last_good_rules_serve(server, version)
        # The operator removes the pipe and edits a rule file: the edit is served.
        fifo.unlink()
        thresholds = rules / "thresholds.yaml"
        thresholds.write_text(thresholds.read_text() + "\n# edited after the pipe\n")
        wait_until(lambda: _evaluate(server).ruleset_version != version,
                   timeout=REFUSAL_TIMEOUT, what="the edited rules to be served")
    finally:
        server.proc.send_signal(signal.SIGTERM)
        assert _exit_code(server) == 0


def test_sigterm_with_a_fifo_in_the_rules_directory_exits_0(tmp_path: Path) -> None:
    rules = _rules(tmp_path)
    server = _serve(tmp_path, rules)
    fifo = rules / "zz-pipe.yaml"
    os.mkfifo(fifo)
    try:
        wait_until(lambda: _refusal(server, fifo), timeout=REFUSAL_TIMEOUT,
                   what=f"{fifo} refused")
    finally:  # the pipe still there
        server.proc.send_signal(signal.SIGTERM)
        code = _exit_code(server)
    assert code == 0, server.log()[-3000:]


def test_every_worker_holds_to_max_rule_file_bytes(tmp_path: Path) -> None:
    rules = _rules(tmp_path)
    server = start_server(tmp_path, "--rules", str(rules), "--reload-interval", "0.1",
                          "--workers", "2", "--max-rule-file-bytes", "65536")
    try:
        version = _evaluate(server).ruleset_version
        # Both workers must hold their rules before the file appears: a worker that starts
        # while the directory holds a refused file has no last good rules to keep.
        wait_until(lambda: len({json.loads(line).get("worker") for line in server.log().splitlines()
                                if '"worker_serving"' in line}) == 2,
                   timeout=REFUSAL_TIMEOUT, what="both workers serving")
        big = rules / "zz-notes.yaml"
        big.write_bytes(b"# " + b"x" * 70_000 + b"\n")

        def refused_by_both() -> set[object]:
            events = [json.loads(line) for line in server.log().splitlines()
                      if '"rules_reload_failed"' in line]
            workers = {e.get("worker") for e in events if e.get("file") == str(big)
                       and "more than the limit of 65,536 bytes" in str(e.get("error"))}
            return workers if len(workers) == 2 else set()
        wait_until(refused_by_both, timeout=REFUSAL_TIMEOUT, what=f"{big} refused by each worker")
        for _ in range(4):  # the port is shared: whichever worker answers serves the old rules
            _assert_last_good_rules_serve(server, version)
    finally:
        assert server.stop() == 0
