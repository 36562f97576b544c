"""A scrape of /metrics after calls: the gRPC server series and the domain series moved."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable, Iterator

import grpc
import pytest
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from prometheus_client.parser import text_string_to_metric_families
from serverproc import ServerProcess, start_server

METHOD = {"grpc_service": "ftgate.v1.FineTuningAdvisorService", "grpc_method": "Evaluate",
          "grpc_type": "UNARY"}

Samples = dict[tuple[str, frozenset], float]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of this module's own, so that no earlier call is still on its way to /metrics.

    Two workers, as in production: their counters are added up in memory and written about every
    second (obs/deferred.py), so a scrape lags the calls; the tests poll until it has caught up."""
    proc = start_server(tmp_path_factory.mktemp("metrics"), "--workers", "2")
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def stub(server: ServerProcess) -> Iterator[pb_grpc.FineTuningAdvisorServiceStub]:
    with grpc.insecure_channel(server.address) as channel:
        yield pb_grpc.FineTuningAdvisorServiceStub(channel)


def scrape(server) -> Samples:
    with urllib.request.urlopen(server.metrics_url, timeout=10) as reply:
        text = reply.read().decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def scrape_until(server, caught_up: Callable[[Samples], bool], timeout: float = 30) -> Samples:
    """Scrape until `caught_up(samples)` holds, or `timeout` seconds have passed: the last
    scrape either way (the caller's assertions then say what is missing)."""
    deadline = time.monotonic() + timeout
    while True:
        samples = scrape(server)
        if caught_up(samples) or time.monotonic() > deadline:
            return samples
        time.sleep(0.1)


def value(samples, name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items()
               if n == name and set(labels.items()) <= set(ls))


def test_series_move_after_calls(server, stub) -> None:
    before = scrape(server)  # a fresh server: nothing of Evaluate is pending
    knowledge = pb.ProjectProfile(goal=pb.GOAL_KNOWLEDGE, base_model_meets_target=False,
                                  quality_examples=10,
                                  prompt_engineering=pb.PromptEngineering(
                                      prompt_variations_tested=5, few_shot_tried=True,
                                      more_capable_model_tried=True))
    for _ in range(3):
        stub.Evaluate(pb.EvaluateRequest(project=knowledge), timeout=10)
    with pytest.raises(grpc.RpcError):
        stub.Evaluate(pb.EvaluateRequest(project=pb.ProjectProfile(target_score=9)), timeout=10)

    def moved_in(samples: Samples, name: str, **labels: str) -> float:
        return value(samples, name, **labels) - value(before, name, **labels)

    expected = [
        (("grpc_server_started_total",), METHOD, 4),
        (("grpc_server_handled_total",), {"grpc_code": "OK", **METHOD}, 3),
        (("grpc_server_handled_total",), {"grpc_code": "INVALID_ARGUMENT", **METHOD}, 1),
        (("grpc_server_handling_seconds_count",), METHOD, 4),
        (("ftgate_decisions_total",), {"verdict": "DO_NOT_FINE_TUNE", "outcome": "USE_RAG"}, 3),
        (("ftgate_findings_total",),
         {"failure_mode": "FACTUAL_KNOWLEDGE", "severity": "BLOCKER"}, 3),
        (("ftgate_findings_total",),
         {"failure_mode": "INSUFFICIENT_DATA", "severity": "BLOCKER"}, 3),
    ]
    after = scrape_until(server, lambda samples: all(
        moved_in(samples, name, **labels) == count for (name,), labels, count in expected))

    def moved(name: str, **labels: str) -> float:
        return moved_in(after, name, **labels)

    assert moved("grpc_server_started_total", **METHOD) == 4
    assert moved("grpc_server_handled_total", grpc_code="OK", **METHOD) == 3
    assert moved("grpc_server_handled_total", grpc_code="INVALID_ARGUMENT", **METHOD) == 1
    assert moved("grpc_server_handling_seconds_count", **METHOD) == 4
    assert any(n == "grpc_server_handling_seconds_bucket" for n, _ in after)
    assert moved("ftgate_decisions_total", verdict="DO_NOT_FINE_TUNE", outcome="USE_RAG") == 3
    assert moved("ftgate_findings_total", failure_mode="FACTUAL_KNOWLEDGE", severity="BLOCKER") == 3
    assert moved("ftgate_findings_total", failure_mode="INSUFFICIENT_DATA", severity="BLOCKER") == 3
    assert value(after, "ftgate_rules_loaded") > 0
    # The engine ran at least once (the same profile again may come from the decision cache).
    assert value(after, "ftgate_evaluation_seconds_count") >= 1
