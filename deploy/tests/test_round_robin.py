"""Scale-out as clients see it: two `ftgate serve` behind one channel with client-side round_robin.

This is what the headless Service gives a gRPC client in Kubernetes (one address per pod), done on
loopback with a static `ipv4:` target and the service config docs/deployment.md recommends:
round_robin, a retry policy on UNAVAILABLE, and client-side health checking.

- Both servers receive calls.
- Stopping one with SIGTERM in the middle of a run loses no call: the server turns NOT_SERVING,
  the channel takes it out of the rotation, it drains what it has in flight, and calls that met it
  while closing (UNAVAILABLE) are retried on the other one.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from typing import Any

import grpc
import pytest
from conftest import SERVICE_NAME, ftgate_bin, sample_profile

# How long a stopping server keeps answering while it reports NOT_SERVING, before it closes its
# port and drains (--grace). The flag is what ftgate serve needs for a loss-free rolling update.
DRAIN_FLAG = "--drain-delay"
DRAIN_SECONDS = 1.0
MISSING_DRAIN = (
    f"ftgate serve has no {DRAIN_FLAG}: on SIGTERM it reports NOT_SERVING and stops accepting at "
    "the same instant, so health-checking clients and Kubernetes get no window to move away, and "
    "calls that reach it while it closes fail with CANCELLED, which no retry policy covers "
    "(seen here: a few calls in 600 lost per SIGTERM). Needed: keep serving for "
    f"{DRAIN_FLAG} SECONDS after turning NOT_SERVING, then stop with --grace.")


def drain_args() -> list[str]:
    help_text = subprocess.run([ftgate_bin(), "serve", "--help"], capture_output=True, text=True,
                               timeout=60, check=True).stdout
    if DRAIN_FLAG not in help_text:
        pytest.fail(MISSING_DRAIN)
    return [DRAIN_FLAG, str(DRAIN_SECONDS)]

# The service config of docs/deployment.md ("Client configuration").
SERVICE_CONFIG = {
    "loadBalancingConfig": [{"round_robin": {}}],
    "healthCheckConfig": {"serviceName": SERVICE_NAME},
    "methodConfig": [{
        "name": [{"service": SERVICE_NAME}],
        "timeout": "10s",
        "retryPolicy": {
            "maxAttempts": 5,
            "initialBackoff": "0.05s",
            "maxBackoff": "1s",
            "backoffMultiplier": 2,
            "retryableStatusCodes": ["UNAVAILABLE"],
        },
    }],
}


def channel_to(*addresses: str) -> grpc.Channel:
    return grpc.insecure_channel("ipv4:" + ",".join(addresses),
                                 options=[("grpc.service_config", json.dumps(SERVICE_CONFIG)),
                                          ("grpc.enable_retries", 1)])


def start_pair(server_factory: Any, extra: list[str] | None = None) -> tuple[Any, Any]:
    # --workers 1: one process per address, so that each address's metrics are its own.
    args = ["--workers", "1", *(extra or [])]
    first = server_factory(grace=5, name="a", extra_args=args).start()
    second = server_factory(grace=5, name="b", extra_args=args).start()
    return first, second


def test_round_robin_sends_calls_to_both_servers(server_factory: Any) -> None:
    from ftgate.v1 import advisor_pb2 as pb
    from ftgate.v1 import advisor_pb2_grpc as pb_grpc

    first, second = start_pair(server_factory)
    with channel_to(first.address, second.address) as channel:
        grpc.channel_ready_future(channel).result(timeout=15)
        stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
        # The channel is ready with one address; the other joins the rotation once its health
        # check says SERVING. Call until both have answered (a loaded machine takes longer).
        deadline = time.monotonic() + 60
        while min(first.handled(), second.handled()) == 0:
            assert time.monotonic() < deadline, "the second address never joined the rotation"
            stub.Evaluate(pb.EvaluateRequest(project=sample_profile()), timeout=10)
        before = (first.handled(), second.handled())
        for _ in range(40):
            stub.Evaluate(pb.EvaluateRequest(project=sample_profile()), timeout=10)
    counts = (first.handled() - before[0], second.handled() - before[1])
    assert sum(counts) == 40
    assert min(counts) >= 10, f"round_robin spreads 40 calls over both servers, got {counts}"


def test_sigterm_on_one_server_mid_run_loses_no_call(server_factory: Any) -> None:
    from ftgate.v1 import advisor_pb2 as pb
    from ftgate.v1 import advisor_pb2_grpc as pb_grpc

    first, second = start_pair(server_factory, drain_args())
    request = pb.EvaluateRequest(project=sample_profile())
    total, callers = 600, 6
    done: list[int] = []
    failures: list[str] = []
    lock = threading.Lock()

    with channel_to(first.address, second.address) as channel:
        grpc.channel_ready_future(channel).result(timeout=15)
        stub = pb_grpc.FineTuningAdvisorServiceStub(channel)

        def caller(count: int) -> None:
            for _ in range(count):
                try:
                    reply = stub.Evaluate(request, timeout=10)
                    assert reply.assessment.decision_id
                    with lock:
                        done.append(1)
                except grpc.RpcError as exc:
                    with lock:
                        failures.append(f"{exc.code().name}: {exc.details()}")

        threads = [threading.Thread(target=caller, args=(total // callers,)) for _ in range(callers)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(done) < total // 4 and time.monotonic() < deadline:
            time.sleep(0.005)
        second_before_stop = second.handled()
        second.terminate()
        exit_code = second.wait(timeout=DRAIN_SECONDS + 5 + 10)
        for thread in threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "calls hung"

    assert second_before_stop > 0, "the second server was taking calls when it got SIGTERM"
    assert exit_code == 0, f"the stopped server exits 0 after draining:\n{second.log()}"
    assert not failures, (
        f"{len(failures)} of {total} calls lost when one server got SIGTERM, e.g. {failures[:3]}. "
        "The stopping server failed calls that no UNAVAILABLE retry covers.")
    assert len(done) == total


def test_draining_server_stays_up_while_not_serving(server_factory: Any) -> None:
    """After SIGTERM the server answers health with NOT_SERVING for a while before it closes its
    port: the window in which health-checking clients (and the kubelet's readiness probe) take it
    out of the rotation, so that no new call reaches a closing server."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    server = server_factory(grace=5, extra_args=["--workers", "1", *drain_args()]).start()
    not_serving_since: float | None = None
    window = 0.0
    with grpc.insecure_channel(server.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        request = health_pb2.HealthCheckRequest(service=SERVICE_NAME)
        stub.Check(request, timeout=5)
        server.terminate()
        deadline = time.monotonic() + DRAIN_SECONDS + 10
        while time.monotonic() < deadline:
            try:
                reply = stub.Check(request, timeout=1)
            except grpc.RpcError:
                break
            if reply.status == health_pb2.HealthCheckResponse.NOT_SERVING:
                not_serving_since = not_serving_since or time.monotonic()
                window = time.monotonic() - not_serving_since
            time.sleep(0.01)
    assert server.wait(timeout=DRAIN_SECONDS + 15) == 0, server.log()
    assert window >= DRAIN_SECONDS * 0.5, (
        f"NOT_SERVING for {window:.3f} s before the port closed; expected about "
        f"{DRAIN_SECONDS} s ({DRAIN_FLAG} {DRAIN_SECONDS})")
