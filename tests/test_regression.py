"""SPEC §5 CheckRegression, as a table, in-process and over gRPC."""

from __future__ import annotations

import grpc
import pytest
from ftgate.engine import Engine
from ftgate.errors import InvalidInput
from ftgate.v1 import advisor_pb2 as pb

# (baseline, candidate, tolerance, expected degraded tasks, passed)
ARTICLE_BASE = [("email classification", 0.82), ("summarisation", 0.85), ("general QA", 0.90),
                ("code generation", 0.78)]
ARTICLE_TUNED = [("email classification", 0.94), ("summarisation", 0.71), ("general QA", 0.65),
                 ("code generation", 0.52)]
TABLE = [
    ("the article's forgetting example", ARTICLE_BASE, ARTICLE_TUNED, None,
     ["summarisation", "general QA", "code generation"], False),
    ("no loss passes", [("qa", 0.9)], [("qa", 0.9)], None, [], True),
    ("exactly 0.9 x baseline is not degraded", [("qa", 0.5)], [("qa", 0.45)], None, [], True),
    ("just under 0.9 x baseline is degraded", [("qa", 0.5)], [("qa", 0.4499)], None, ["qa"], False),
    ("exactly 0.9 x 0.07 (computed in decimal) is not degraded", [("qa", 0.07)], [("qa", 0.063)],
     None, [], True),
    ("exactly 0.8 x 0.05 (computed in decimal) is not degraded", [("qa", 0.05)], [("qa", 0.04)],
     0.8, [], True),
    ("a stricter tolerance", [("qa", 0.9)], [("qa", 0.88)], 0.99, ["qa"], False),
    ("a looser tolerance", [("qa", 0.9)], [("qa", 0.5)], 0.5, [], True),
    ("order of candidate does not matter", [("a", 0.5), ("b", 0.5)], [("b", 0.5), ("a", 0.1)],
     None, ["a"], False),
    ("zero baseline never degrades", [("a", 0.0)], [("a", 0.0)], None, [], True),
]
BAD = [
    ("task only in baseline", [("a", 0.5), ("b", 0.5)], [("a", 0.5)], None, "baseline[1].task"),
    ("task only in candidate", [("a", 0.5)], [("a", 0.5), ("c", 0.5)], None, "candidate[1].task"),
    ("score above 1", [("a", 1.5)], [("a", 0.5)], None, "baseline[0].score"),
    ("NaN score", [("a", 0.5)], [("a", float("nan"))], None, "candidate[0].score"),
    ("tolerance 0", [("a", 0.5)], [("a", 0.5)], 0.0, "tolerance"),
    ("tolerance above 1", [("a", 0.5)], [("a", 0.5)], 1.5, "tolerance"),
    ("duplicate task", [("a", 0.5), ("a", 0.4)], [("a", 0.5)], None, "baseline[1].task"),
    ("empty request", [], [], None, "baseline"),
]


def _request(base, cand, tol) -> pb.CheckRegressionRequest:
    req = pb.CheckRegressionRequest(
        baseline=[pb.TaskScore(task=t, score=s) for t, s in base],
        candidate=[pb.TaskScore(task=t, score=s) for t, s in cand])
    if tol is not None:
        req.tolerance = tol
    return req


@pytest.mark.parametrize(("name", "base", "cand", "tol", "degraded", "passed"), TABLE,
                         ids=[t[0] for t in TABLE])
def test_table_in_process(engine: Engine, name, base, cand, tol, degraded, passed) -> None:
    report = engine.check_regression(base, cand, tol)
    assert [d.task for d in report.deltas if d.degraded] == degraded
    assert report.passed is passed
    assert [d.task for d in report.deltas] == [t for t, _ in base]


@pytest.mark.parametrize(("name", "base", "cand", "tol", "degraded", "passed"), TABLE,
                         ids=[t[0] for t in TABLE])
def test_table_over_grpc(stub, name, base, cand, tol, degraded, passed) -> None:
    reply = stub.CheckRegression(_request(base, cand, tol), timeout=10)
    assert [d.task for d in reply.deltas if d.degraded] == degraded
    assert reply.passed is passed
    assert reply.tolerance == pytest.approx(0.9 if tol is None else tol)


def test_ratio_is_reported(stub) -> None:
    reply = stub.CheckRegression(_request(ARTICLE_BASE, ARTICLE_TUNED, None), timeout=10)
    qa = next(d for d in reply.deltas if d.task == "general QA")
    assert qa.ratio == pytest.approx(0.65 / 0.90)
    assert (qa.baseline, qa.candidate) == (pytest.approx(0.9), pytest.approx(0.65))


@pytest.mark.parametrize(("name", "base", "cand", "tol", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_requests_in_process(engine: Engine, name, base, cand, tol, field) -> None:
    with pytest.raises(InvalidInput) as exc:
        engine.check_regression(base, cand, tol)
    assert field in [v.field for v in exc.value.violations]


@pytest.mark.parametrize(("name", "base", "cand", "tol", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_requests_over_grpc(stub, name, base, cand, tol, field) -> None:
    from conftest_helpers import violated_fields

    with pytest.raises(grpc.RpcError) as exc:
        stub.CheckRegression(_request(base, cand, tol), timeout=10)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in violated_fields(exc.value)
