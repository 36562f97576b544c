"""The HTTP port under slow and idle clients: read deadlines, a connection cap, and the
descriptors kept for gRPC (server/http/guard.py, docs/operations.md)."""

from __future__ import annotations

import re
from pathlib import Path

from opstools import metric, scrape, wait_until
from serverproc import ServerProcess, start_server
from slow_client import connect, trickle, wait_closed

# Short deadlines set by flags: a test waits about as long as they are.
SHORT = ("--http-header-timeout", "1", "--http-body-timeout", "1",
         "--http-keepalive-timeout", "1")
# Far longer than the deadlines: a request that took this long was not cut short.
SLOW_HEADERS = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Pad: " + b"a" * 200 + b"\r\n\r\n"
EVERY = 0.1  # seconds between two bytes of a slow client: all of SLOW_HEADERS takes ~25 s


def _serve(tmp_path: Path, *args: str) -> ServerProcess:
    return start_server(tmp_path, "--workers", "1", *args)


def _timed_out(server: ServerProcess, phase: str) -> float:
    return metric(scrape(server), "ftgate_http_connections_timed_out_total", phase=phase)


def test_an_idle_connection_is_answered_408_and_closed(tmp_path: Path) -> None:
    server = _serve(tmp_path, *SHORT)
    try:
        with connect(server.http_port or 0) as sock:
            closed = wait_closed(sock)
        assert closed.status == 408
        assert "application/json" in closed.headers
        assert closed.json()["error"]["status"] == "DEADLINE_EXCEEDED"
        assert "request headers" in closed.json()["error"]["message"]
        wait_until(lambda: _timed_out(server, "header") >= 1, what="the header timeout counted")
    finally:
        assert server.stop() == 0


def test_headers_sent_a_byte_at_a_time_are_cut_short(tmp_path: Path) -> None:
    server = _serve(tmp_path, *SHORT)
    try:
        with connect(server.http_port or 0) as sock:
            closed = trickle(sock, SLOW_HEADERS, EVERY)
        assert closed.sent < len(SLOW_HEADERS), "the server waited for all the slow headers"
        assert closed.status == 408
        wait_until(lambda: _timed_out(server, "header") >= 1, what="the header timeout counted")
    finally:
        assert server.stop() == 0


def test_a_body_sent_a_byte_at_a_time_is_cut_short(tmp_path: Path) -> None:
    body = b"{" + b" " * 200 + b"}"
    head = (b"POST /v1/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    server = _serve(tmp_path, *SHORT)
    try:
        with connect(server.http_port or 0) as sock:
            sock.sendall(head)
            closed = trickle(sock, body, EVERY)
        assert closed.sent < len(body), "the server waited for all the slow body"
        assert closed.status == 408
        assert "request body" in closed.json()["error"]["message"]
        wait_until(lambda: _timed_out(server, "body") >= 1, what="the body timeout counted")
        assert "internal_error" not in server.log()
    finally:
        assert server.stop() == 0


def test_a_connection_idle_after_its_answer_is_closed(tmp_path: Path) -> None:
    server = _serve(tmp_path, *SHORT)
    try:
        with connect(server.http_port or 0) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            closed = wait_closed(sock)
        assert closed.status == 200  # the answer, then the close: nothing else came
        assert closed.reply.count(b"HTTP/1.1 ") == 1
        wait_until(lambda: _timed_out(server, "keepalive") >= 1,
                   what="the keep-alive timeout counted")
    finally:
        assert server.stop() == 0


def test_connections_beyond_the_cap_are_refused_and_counted(tmp_path: Path) -> None:
    cap = 5
    server = _serve(tmp_path, "--http-max-connections", str(cap), "--http-header-timeout", "120")
    held = []
    try:
        held = [connect(server.http_port or 0) for _ in range(cap)]
        wait_until(lambda: metric(scrape(server), "ftgate_http_connections") == cap,
                   what=f"{cap} HTTP connections open")
        with connect(server.http_port or 0) as extra:
            closed = wait_closed(extra)
        assert closed.status == 503
        assert closed.json()["error"]["status"] == "UNAVAILABLE"
        assert metric(scrape(server), "ftgate_http_connections_refused_total",
                      reason="max_connections") == 1
        held.pop().close()  # one leaves: the next one is served
        wait_until(lambda: metric(scrape(server), "ftgate_http_connections") == cap - 1,
                   what="the closed connection gone")
        with connect(server.http_port or 0) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            assert wait_closed(sock).status == 200
    finally:
        for sock in held:
            sock.close()
        assert server.stop() == 0


MALFORMED = [
    b"GARBAGE\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n",
    b"POST /v1/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ten\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\n" + b"X-Long: " + b"a" * 20_000 + b"\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nAccept: */*\r\n\r\n",  # no Host
    b"GET /healthz HTTP/1.1\r\nHost: a\r\n" + b"X-Pad: 1234567890\r\n" * 1000 + b"\r\n",
]


def test_requests_that_are_not_http_get_the_json_error_shape(tmp_path: Path) -> None:
    server = _serve(tmp_path)
    try:
        for raw in MALFORMED:
            with connect(server.http_port or 0) as sock:
                sock.sendall(raw)
                closed = wait_closed(sock)
            assert closed.status == 400, raw[:40]
            assert "content-type: application/json" in closed.headers, closed.reply[:300]
            error = closed.json()["error"]
            assert error == {"code": 400, "status": "INVALID_ARGUMENT",
                             "message": "the request is not valid HTTP/1.1"}
        assert metric(scrape(server), "ftgate_http_malformed_requests_total") == len(MALFORMED)
    finally:
        assert server.stop() == 0


def test_a_head_over_the_limit_is_refused_before_it_ends(tmp_path: Path) -> None:
    """16 KiB of a head that never ends: answered 400 at once, not 408 when the (long) header
    deadline passes; the parser does not keep growing it meanwhile."""
    server = _serve(tmp_path, "--http-header-timeout", "120")
    try:
        with connect(server.http_port or 0) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + b"a" * 20_000)
            closed = wait_closed(sock, timeout=30)
        assert closed.status == 400
        assert closed.json()["error"]["message"] == "the request is not valid HTTP/1.1"
        assert metric(scrape(server), "ftgate_http_malformed_requests_total") == 1
    finally:
        assert server.stop() == 0


def test_pipelined_requests_are_each_answered_in_order(tmp_path: Path) -> None:
    """Also after a request asking to switch protocols (curl --http2 asks for h2c): none is
    switched to, so what follows is HTTP/1.1 still."""
    server = _serve(tmp_path, *SHORT)
    try:
        with connect(server.http_port or 0) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
                         b"Upgrade: h2c\r\n\r\n"
                         b"GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n"
                         b"GET /readyz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            closed = wait_closed(sock)
        statuses = [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", closed.reply)]
        assert statuses == [200, 404, 200]
        assert _timed_out(server, "header") == 0
    finally:
        assert server.stop() == 0
