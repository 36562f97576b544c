"""Whatever a client sends, the HTTP API answers 200 or a 4xx naming the problem: never a 5xx.
Random JSON values in every field of a profile, random bytes, over a real socket."""

from __future__ import annotations

import json
import socket

from ftgate.v1 import advisor_pb2 as pb
from httpcall import call
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serverproc import ServerProcess


def json_names(descriptor: object, prefix: str = "") -> list[str]:
    names: list[str] = []
    for f in descriptor.fields:  # type: ignore[attr-defined]
        names.append(prefix + f.json_name)
        if f.message_type is not None and not f.message_type.full_name.startswith("google."):
            names += json_names(f.message_type, prefix + f.json_name + ".")
    return names


FIELDS = json_names(pb.ProjectProfile.DESCRIPTOR)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40)
    | st.sampled_from(["GOAL_KNOWLEDGE", "SYMPTOM_HIGH_LATENCY", "NaN", "-Infinity", "1e400"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=6)


def nest(pairs: dict[str, object]) -> dict[str, object]:
    profile: dict[str, object] = {}
    for path, value in pairs.items():
        *parents, last = path.split(".")
        at = profile
        for p in parents:
            child = at.setdefault(p, {})
            if not isinstance(child, dict):
                break
            at = child
        else:
            at[last] = value
    return profile


SLOW_OK = settings(max_examples=150, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow])


@SLOW_OK
@given(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6))
def test_random_profiles_are_answered_or_refused_never_failed(http_server: ServerProcess,
                                                             pairs: dict[str, object]) -> None:
    body = json.dumps({"project": nest(pairs)}, allow_nan=True).encode()
    reply = call(http_server.http_port, "POST", "/v1/evaluate", raw=body,
                 headers={"Content-Type": "application/json"})
    assert reply.status in (200, 400), (reply.status, body, reply.body)
    if reply.status == 400:
        error = reply.json["error"]
        assert error["status"] == "INVALID_ARGUMENT" and error["message"]


@SLOW_OK
@given(st.binary(max_size=300))
def test_random_bytes_are_refused_never_failed(http_server: ServerProcess, raw: bytes) -> None:
    reply = call(http_server.http_port, "POST", "/v1/evaluate:batch", raw=raw,
                 headers={"Content-Type": "application/json"})
    assert reply.status in (200, 400), (reply.status, raw, reply.body)


def test_bytes_that_are_not_http_are_refused(http_server: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", http_server.http_port), timeout=30) as sock:
        sock.sendall(b"GARBAGE \x00\x01\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 400")


@SLOW_OK
@given(st.lists(st.tuples(st.sampled_from(["since", "until", "verdict", "page_size", "pageSize",
                                           "page_token", "pageToken", "other"]),
                          st.text(max_size=30)), max_size=4))
def test_random_query_parameters_are_answered_or_refused(http_server: ServerProcess,
                                                        params: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    reply = call(http_server.http_port, "GET", "/v1/decisions?" + urlencode(params))
    assert reply.status in (200, 400), (reply.status, params, reply.body)
