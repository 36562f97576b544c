"""Limits over a real socket: request size, batch size, concurrent calls, deadlines.

The calls that must outlive a deadline are slow on purpose, not by their size: the servers here
start through the test-only seam with --delay-per-profile (ftgate/testing.py), so a batch of
SLOW_BATCH small profiles takes SLOW_BATCH x DELAY_SECONDS = 50 s of work whatever the machine,
far beyond every deadline below, and its answer (never sent in full) would be small.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from opstools import calls_in_flight, metric, scrape, single_process, small_profile, wait_until
from serverproc import ServerProcess, start_server

MAX_BATCH = 2_000
SLOW_BATCH = 1_000
DELAY_SECONDS = 0.05
SLOW = pb.EvaluateBatchRequest(projects=[small_profile(i) for i in range(SLOW_BATCH)])
SLOW_HOOKS = ("--delay-per-profile", str(DELAY_SECONDS))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("limits"),
                        "--max-request-bytes", str(1024 * 1024), "--max-batch", str(MAX_BATCH),
                        "--max-concurrent", "2", "--default-deadline", "1.5", "--threads", "4",
                        *single_process(), hooks=SLOW_HOOKS)
    yield proc
    assert proc.stop() == 0


@pytest.fixture(scope="module")
def stub(server: ServerProcess) -> Iterator[pb_grpc.FineTuningAdvisorServiceStub]:
    with grpc.insecure_channel(server.address) as channel:
        yield pb_grpc.FineTuningAdvisorServiceStub(channel)


def code_of(call: object) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as info:
        call()  # type: ignore[operator]
    return info.value.code()


def decisions_made(server: ServerProcess) -> float:
    return sum(float(line.rpartition(" ")[2]) for line in scrape(server).splitlines()
               if line.startswith("ftgate_decisions_total{"))


def test_request_over_max_request_bytes_is_resource_exhausted(
        stub: pb_grpc.FineTuningAdvisorServiceStub) -> None:
    huge = pb.EvaluateRequest(project=pb.ProjectProfile(name="x" * (2 * 1024 * 1024)))
    assert code_of(lambda: stub.Evaluate(huge, timeout=10)) == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert stub.Evaluate(pb.EvaluateRequest(project=small_profile()), timeout=10).assessment.verdict


def test_batch_over_max_batch_is_invalid_argument(
        stub: pb_grpc.FineTuningAdvisorServiceStub) -> None:
    request = pb.EvaluateBatchRequest(projects=[small_profile(i) for i in range(MAX_BATCH + 1)])
    with pytest.raises(grpc.RpcError) as info:
        stub.EvaluateBatch(request, timeout=30)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(info.value)  # type: ignore[arg-type]
    bad = error_details_pb2.BadRequest()
    assert status is not None and status.details[0].Unpack(bad)
    assert [v.field for v in bad.field_violations] == ["projects"]


def test_calls_without_a_deadline_get_the_server_default(
        server: ServerProcess, stub: pb_grpc.FineTuningAdvisorServiceStub) -> None:
    stopped = metric(scrape(server), "ftgate_calls_stopped_total", reason="deadline")
    made = decisions_made(server)
    assert code_of(lambda: stub.EvaluateBatch(SLOW)) == grpc.StatusCode.DEADLINE_EXCEEDED
    # The server counts the stop as it unwinds, a moment after the client has its status.
    wait_until(lambda: metric(scrape(server), "ftgate_calls_stopped_total",
                              reason="deadline") == stopped + 1, what="the server to stop the call")
    assert decisions_made(server) - made < SLOW_BATCH  # the work stopped part-way


def test_a_cancelled_call_stops_its_work(
        server: ServerProcess, stub: pb_grpc.FineTuningAdvisorServiceStub) -> None:
    stopped = metric(scrape(server), "ftgate_calls_stopped_total", reason="cancelled")
    made = decisions_made(server)
    call = stub.EvaluateBatch.future(SLOW, timeout=120)
    # Cancel once the server is working on the batch (a call cancelled before its handler runs
    # is never seen by it).
    # (a batch records its decisions once all are made: none is counted before it ends)
    wait_until(lambda: batches_in_flight(server) > 0, what="the batch to start")
    call.cancel()
    wait_until(lambda: metric(scrape(server), "ftgate_calls_stopped_total",
                              reason="cancelled") == stopped + 1, what="the call to stop")
    assert decisions_made(server) - made < SLOW_BATCH


def test_client_deadline_is_honoured(
        server: ServerProcess, stub: pb_grpc.FineTuningAdvisorServiceStub) -> None:
    text = scrape(server)
    stopped = sum(metric(text, "ftgate_calls_stopped_total", reason=r)
                  for r in ("deadline", "cancelled"))
    assert code_of(lambda: stub.EvaluateBatch(SLOW, timeout=0.3)) == \
        grpc.StatusCode.DEADLINE_EXCEEDED  # 0.3 s of 50 s of work

    def stopped_now() -> float:
        text = scrape(server)
        return sum(metric(text, "ftgate_calls_stopped_total", reason=r)
                   for r in ("deadline", "cancelled"))
    wait_until(lambda: stopped_now() == stopped + 1, what="the server to stop the call")


def batches_in_flight(server: ServerProcess) -> float:
    return calls_in_flight(server, "EvaluateBatch")


def occupy_slot(server: ServerProcess, stub: pb_grpc.FineTuningAdvisorServiceStub,
                busy: int) -> grpc.Future:
    """Send a slow batch and return it once the server is running it (`busy` already run).

    A call of an earlier test is counted by the gRPC core a moment after its handler has
    returned; a batch refused in that moment is sent again."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        call = stub.EvaluateBatch.future(SLOW, timeout=120)
        while not call.done():
            if batches_in_flight(server) > busy:
                return call
            time.sleep(0.02)
        assert call.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, call.code()
    raise AssertionError("timed out waiting for a slow batch to be running")


def test_calls_beyond_max_concurrent_are_refused_not_queued(tmp_path: Path) -> None:
    # No default deadline here: the two slow batches hold both slots (50 s of work each) until
    # this test cancels them, however long the machine takes to get there.
    server = start_server(tmp_path, "--max-batch", str(MAX_BATCH), "--max-concurrent", "2",
                          "--default-deadline", "0", "--threads", "4", *single_process(),
                          hooks=SLOW_HOOKS)
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
            slow = [occupy_slot(server, stub, busy) for busy in range(2)]
            probe = pb.EvaluateRequest(project=small_profile())
            # Both slots are taken, so the very next call is refused at once rather than queued.
            assert code_of(lambda: stub.Evaluate(probe, timeout=10)) == \
                grpc.StatusCode.RESOURCE_EXHAUSTED
            assert all(not call.done() for call in slow), "the slow batches were still running"
            for call in slow:  # once they end, there is room again
                call.cancel()

            def room() -> bool:
                try:
                    return bool(stub.Evaluate(probe, timeout=10).assessment.verdict)
                except grpc.RpcError as exc:
                    assert exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                    return False
            # (the server frees a slot a moment after the client sees the status)
            wait_until(room, timeout=30, what="room for a new call")
    finally:
        assert server.stop() == 0
