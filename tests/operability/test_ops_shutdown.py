"""SIGTERM drains calls in flight and flushes the audit log; kill -9 loses at most the window."""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

import grpc
import pytest
from ftgate.audit import DecisionQuery, DecisionStore
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opstools import calls_in_flight, fine_tune_profile, single_process, small_profile, wait_until
from serverproc import start_server

# Slow on purpose (the test-only delay of api/limits.py before each profile): 100 x 0.05 s = 5 s
# of work whatever the machine, so the batch is still running when SIGTERM lands.
IN_FLIGHT_BATCH = 100
SLOW = ("--delay-per-profile", "0.05")  # test-only (ftgate/testing.py)
# A call that reaches a draining server: UNAVAILABLE, or CANCELLED when it lands as the
# listener closes. Health checks may also still answer NOT_SERVING.
REFUSED = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
REFUSED_NAMES = ("NOT_SERVING", *(code.name for code in REFUSED))


def all_decision_ids(stub: pb_grpc.FineTuningAdvisorServiceStub) -> set[str]:
    request = pb.ListDecisionsRequest(page_size=500)
    ids: set[str] = set()
    while True:
        page = stub.ListDecisions(request, timeout=30)
        ids |= {r.decision_id for r in page.decisions}
        if not page.next_page_token:
            return ids
        request.page_token = page.next_page_token


def health_status(address: str) -> str:
    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                              timeout=2)
        except grpc.RpcError as exc:
            return str(exc.code().name)
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


@pytest.mark.slow
def test_sigterm_drains_calls_in_flight_and_keeps_every_answered_decision(tmp_path: Path) -> None:
    db = tmp_path / "decisions.db"
    flags = ("--audit-db", str(db), "--max-batch", str(IN_FLIGHT_BATCH), "--grace", "60",
             "--default-deadline", "0", *single_process())
    server = start_server(tmp_path, *flags, hooks=SLOW)
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
            answered = {stub.Evaluate(pb.EvaluateRequest(project=fine_tune_profile(f"s{i}")),
                                      timeout=10).assessment.decision_id for i in range(5)}
            in_flight = stub.EvaluateBatch.future(pb.EvaluateBatchRequest(
                projects=[small_profile(i) for i in range(IN_FLIGHT_BATCH)]), timeout=120)
            wait_until(lambda: calls_in_flight(server, "EvaluateBatch") > 0,
                       what="the batch to start")
            server.proc.send_signal(signal.SIGTERM)
            assert wait_until(lambda: (s := health_status(server.address)) != "SERVING" and s,
                              timeout=15, what="health to leave SERVING") in REFUSED_NAMES

            def refused_now() -> grpc.StatusCode | None:
                try:
                    reply = stub.Evaluate(pb.EvaluateRequest(project=small_profile()),
                                          timeout=5)
                except grpc.RpcError as exc:
                    return exc.code()
                answered.add(reply.assessment.decision_id)  # answered: it must be kept too
                return None
            # Health leaves SERVING a moment before the server stops taking calls (with
            # --drain-delay 0): a call in that moment is still answered, and recorded.
            refused = wait_until(refused_now, timeout=10, what="new calls to be refused")
            batch = in_flight.result()
            assert len(batch.assessments) == IN_FLIGHT_BATCH
            answered |= {a.decision_id for a in batch.assessments}
        assert server.proc.wait(60) == 0
    finally:
        server.stop(signal.SIGKILL)
    assert refused in REFUSED
    log = server.log()
    # A batch records its decisions once all are made: its lines come after the drain began.
    assert log.index('"event": "draining"') < log.rindex('"event": "decision"'), \
        "the batch was still running when the drain began"
    assert log.rindex('"event": "audit_flushed"') > log.rindex('"event": "decision"')

    restarted = start_server(tmp_path, *flags)
    try:
        with grpc.insecure_channel(restarted.address) as channel:
            assert all_decision_ids(pb_grpc.FineTuningAdvisorServiceStub(channel)) == answered
    finally:
        assert restarted.stop() == 0


def test_kill_9_loses_at_most_the_documented_window(tmp_path: Path) -> None:
    db = tmp_path / "decisions.db"
    # One process: kill -9 must hit the process that holds the audit queue.
    server = start_server(tmp_path, "--audit-db", str(db), *single_process())
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
            answered = {stub.Evaluate(pb.EvaluateRequest(project=small_profile(i)),
                                      timeout=10).assessment.decision_id for i in range(50)}
            answered |= {a.decision_id for a in stub.EvaluateBatch(pb.EvaluateBatchRequest(
                projects=[fine_tune_profile(f"k{i}") for i in range(50)]), timeout=30).assessments}
            # Once on disk (docs/operations.md: within ~50 ms, later on a loaded machine), a
            # decision survives kill -9.
            wait_until(lambda: all_decision_ids(stub) == answered, timeout=30,
                       what="the answered decisions to be on disk")
            # answered just before the kill: may be lost, must not corrupt anything
            for i in range(20):
                stub.Evaluate.future(pb.EvaluateRequest(project=small_profile(i)), timeout=10)
            server.proc.kill()
            server.proc.wait(10)
    finally:
        server.stop(signal.SIGKILL)

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    restarted = start_server(tmp_path, "--audit-db", str(db), *single_process())
    try:
        with grpc.insecure_channel(restarted.address) as channel:
            stored = all_decision_ids(pb_grpc.FineTuningAdvisorServiceStub(channel))
        assert answered <= stored
        assert len(stored) <= len(answered) + 20
    finally:
        assert restarted.stop() == 0


def test_workers_share_one_audit_log_and_flush_on_sigterm(tmp_path: Path) -> None:
    db = tmp_path / "decisions.db"
    server = start_server(tmp_path, "--audit-db", str(db), "--workers", "2")
    answered: set[str] = set()
    try:
        wait_until(lambda: server.log().count('"event": "serving"') == 2, what="both workers")
        for i in range(8):  # one connection each: the kernel spreads connections over workers
            with grpc.insecure_channel(server.address, options=[
                    ("grpc.use_local_subchannel_pool", 1), ("ftgate.test.channel", i)]) as channel:
                stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
                answered |= {a.decision_id for a in stub.EvaluateBatch(pb.EvaluateBatchRequest(
                    projects=[small_profile(j) for j in range(25)]), timeout=30).assessments}
        assert server.stop() == 0
    finally:
        server.stop(signal.SIGKILL)
    assert server.log().count('"event": "audit_flushed"') == 2
    rows, _ = DecisionStore(db, readonly=True).list(DecisionQuery(), 1000)
    assert {r.decision_id for r in rows} == answered
