"""Hostile input through the live server: random and malformed profiles, garbage on the wire.

Every call must end with a valid answer or INVALID_ARGUMENT: never another code, a hang or a
dead server. Uses the suite's shared server (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serverproc import ServerProcess

SETTINGS = settings(max_examples=100, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
SERVICE = "/ftgate.v1.FineTuningAdvisorService/"

INT32 = st.integers(-(2**31), 2**31 - 1)
INT64 = st.integers(-(2**63), 2**63 - 1)
ENUM = st.one_of(st.integers(-2, 10), INT32)
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)
NICE_FLOAT = st.floats(-10, 1e7, allow_nan=False)
COUNT = st.one_of(st.none(), st.integers(-10, 100_000), INT64)
FLOAT = st.one_of(st.none(), NICE_FLOAT, ANY_FLOAT)
FLAG = st.one_of(st.none(), st.booleans())


def _set(message: Any, **values: Any) -> Any:
    for name, value in values.items():
        if value is not None:
            setattr(message, name, value)
    return message


@st.composite
def profiles(draw: Callable[..., Any]) -> pb.ProjectProfile:
    p = _set(pb.ProjectProfile(),
             name=draw(st.text(max_size=300)), task_type=draw(ENUM), goal=draw(ENUM),
             domain=draw(ENUM), quality_examples=draw(COUNT), data_change_frequency=draw(ENUM),
             base_model_score=draw(FLOAT), target_score=draw(FLOAT),
             base_model_meets_target=draw(FLAG), dedicated_model=draw(FLAG),
             planned_method=draw(ENUM), needs_external_actions=draw(FLAG))
    _set(p.prompt_engineering,
         prompt_variations_tested=draw(st.one_of(st.none(), st.integers(-3, 20), INT32)),
         few_shot_tried=draw(FLAG), more_capable_model_tried=draw(FLAG))
    _set(p.economics, requests_per_day=draw(FLOAT), savings_per_request_usd=draw(FLOAT),
         investment_usd=draw(FLOAT), retraining_cost_usd=draw(FLOAT))
    _set(p.prompt, system_prompt_tokens=draw(COUNT), prompt_is_repeated=draw(FLAG))
    p.symptoms.extend(draw(st.lists(ENUM, max_size=8)))
    return p


@st.composite
def mangled(draw: Callable[..., Any], base: st.SearchStrategy[bytes]) -> bytes:
    """Valid request bytes with random bytes overwritten, inserted or cut."""
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(("set", "insert", "cut")))
        if op == "set" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[at:at + draw(st.integers(1, 8))]
    return bytes(data)


def check_assessment(a: pb.Assessment) -> None:
    assert a.decision_id and a.ruleset_version.startswith("sha256:")
    assert a.verdict in (pb.VERDICT_FINE_TUNE, pb.VERDICT_DO_NOT_FINE_TUNE,
                         pb.VERDICT_NEEDS_INFORMATION)
    if a.verdict == pb.VERDICT_FINE_TUNE:
        assert a.outcome == pb.OUTCOME_FINE_TUNE and a.HasField("plan")
    if a.verdict == pb.VERDICT_NEEDS_INFORMATION:
        assert a.missing_fields and not a.outcome
    else:
        assert a.outcome


def ok_or_invalid(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except grpc.RpcError as exc:
        assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT, (exc.code(), exc.details())
        return None


@pytest.fixture(scope="module")
def raw(server: ServerProcess) -> Any:
    channel = grpc.insecure_channel(server.address)
    yield lambda method, data: channel.unary_unary(SERVICE + method)(data, timeout=10)
    channel.close()


@SETTINGS
@given(profile=profiles())
def test_random_profiles(stub: pb_grpc.FineTuningAdvisorServiceStub,
                         profile: pb.ProjectProfile) -> None:
    reply = ok_or_invalid(lambda: stub.Evaluate(pb.EvaluateRequest(project=profile), timeout=10))
    if reply is not None:
        check_assessment(reply.assessment)


@SETTINGS
@given(batch=st.lists(profiles(), max_size=4))
def test_random_batches(stub: pb_grpc.FineTuningAdvisorServiceStub,
                        batch: list[pb.ProjectProfile]) -> None:
    reply = ok_or_invalid(lambda: stub.EvaluateBatch(pb.EvaluateBatchRequest(projects=batch),
                                                     timeout=10))
    if reply is not None:
        assert len(reply.assessments) == len(batch)
        for a in reply.assessments:
            check_assessment(a)


SCORES = st.lists(st.builds(pb.TaskScore, task=st.sampled_from(["a", "b", "", "ç" * 300]),
                            score=ANY_FLOAT), max_size=4)


@SETTINGS
@given(baseline=SCORES, candidate=SCORES, tolerance=FLOAT)
def test_random_regression_checks(stub: pb_grpc.FineTuningAdvisorServiceStub,
                                  baseline: list[pb.TaskScore], candidate: list[pb.TaskScore],
                                  tolerance: float | None) -> None:
    request = _set(pb.CheckRegressionRequest(baseline=baseline, candidate=candidate),
                   tolerance=tolerance)
    reply = ok_or_invalid(lambda: stub.CheckRegression(request, timeout=10))
    if reply is not None:
        assert reply.passed == (not any(d.degraded for d in reply.deltas))


WIRE = st.one_of(
    st.binary(max_size=600),
    mangled(profiles().map(lambda p: pb.EvaluateRequest(project=p).SerializeToString())),
    mangled(st.lists(profiles(), max_size=3).map(
        lambda ps: pb.EvaluateBatchRequest(projects=ps).SerializeToString())),
)


@SETTINGS
@given(method=st.sampled_from(["Evaluate", "EvaluateBatch", "CheckRegression"]), data=WIRE)
def test_garbage_bytes_on_the_wire(raw: Any, method: str, data: bytes) -> None:
    reply = ok_or_invalid(lambda: raw(method, data))
    if reply is None:
        return
    if method == "Evaluate":
        check_assessment(pb.EvaluateResponse.FromString(reply).assessment)
    elif method == "EvaluateBatch":
        for a in pb.EvaluateBatchResponse.FromString(reply).assessments:
            check_assessment(a)
    else:
        pb.CheckRegressionResponse.FromString(reply)


def test_server_is_still_alive(server: ServerProcess) -> None:
    assert server.proc.poll() is None
    with grpc.insecure_channel(server.address) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                          timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    assert '"event": "internal_error"' not in server.log()
