"""Hostile time filters of ListDecisions over HTTP (`GET /v1/decisions?since=`) against a live
`ftgate serve`, and of the CLI's --since/--until: offsets beyond ±14:00 are refused, and no
message carries Python's wording (strptime formats, exception names)."""

from __future__ import annotations

import http.client
import json
import subprocess
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from opstools import single_process
from serverproc import FTGATE, REPO, ServerProcess, start_server

PYTHON_WORDING = ("%Y", "does not match format", "strptime", "ValueError", "fromisoformat",
                  "Traceback", "internal error")
BAD = {
    "2026-01-01T00:00:00+99:00": "the offset +99:00 is outside ±14:00",
    "2026-01-01T00:00:00-14:30": "the offset -14:30 is outside ±14:00",
    "2026-01-01T00:00:00": "no time zone offset",
    "2026-02-30T00:00:00Z": "no such date",
    "2026-01-01": "not of the form",
}
GOOD = ("2026-01-01T00:00:00+14:00", "2026-01-01T05:30:00+05:30", "2026-01-01T00:00:00.25Z")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("offsets")
    proc = start_server(tmp, *single_process(), "--audit-db", str(tmp / "decisions.db"))
    yield proc
    proc.stop()


def _get(port: int, path: str) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read())
    finally:
        conn.close()


@pytest.mark.parametrize("since", sorted(BAD))
def test_http_refuses_a_bad_since_naming_it(server: ServerProcess, since: str) -> None:
    assert server.http_port is not None
    status, body = _get(server.http_port, "/v1/decisions?since=" + urllib.parse.quote(since))
    text = json.dumps(body, ensure_ascii=False)
    assert status == 400, text
    fields = [v for d in body["error"].get("details", []) for v in d.get("fieldViolations", [])]
    assert [v["field"] for v in fields] == ["since"], text
    assert BAD[since] in fields[0]["description"] and "RFC 3339" in fields[0]["description"]
    assert not [w for w in PYTHON_WORDING if w in text], text


@pytest.mark.parametrize("since", GOOD)
def test_http_takes_offsets_within_14_hours(server: ServerProcess, since: str) -> None:
    assert server.http_port is not None
    status, body = _get(server.http_port, "/v1/decisions?until=" + urllib.parse.quote(since))
    assert status == 200, body


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FTGATE, *args], capture_output=True, text=True, cwd=REPO,
                          timeout=120)


def test_the_cli_refuses_offsets_beyond_14_hours(server: ServerProcess) -> None:
    db = str(server.log_path.parent / "decisions.db")
    for where in (["--server", server.address], ["--db", db]):
        for flag in ("--since", "--until"):
            out = _cli("decisions", "list", *where, flag, "2026-01-01T00:00:00+23:00")
            assert out.returncode == 2, out.stderr
            assert "outside ±14:00" in out.stderr
            assert not [w for w in PYTHON_WORDING if w in out.stderr], out.stderr
        ok = _cli("decisions", "list", *where, "--since", "2026-01-01T00:00:00+14:00")
        assert ok.returncode == 0, ok.stderr
    for argv in (["decisions", "export", "--db", db, "--since", "2026-01-01T00:00:00+99:00"],
                 ["rules", "replay", "--rules", str(REPO / "rules"), "--audit-db", db,
                  "--since", "2026-01-01T00:00:00+99:00"]):
        out = _cli(*argv)
        assert out.returncode == 2 and "outside ±14:00" in out.stderr, out.stderr


def test_fractions_of_a_second_are_kept() -> None:
    from ftgate.api import timestamps
    from ftgate.cli.decisions import parse_time

    assert timestamps.to_json("2026-01-01T00:00:00.25+01:00") == \
        "2025-12-31T23:00:00.250000000Z"
    assert parse_time("2026-01-01T00:00:00.123456+00:00").microsecond == 123456
