"""A scrape of /metrics after calls: the gRPC server series and the domain series moved."""

from __future__ import annotations

import time
import urllib.request

import grpc
import pytest
from ftgate.obs.deferred import INTERVAL
from ftgate.v1 import advisor_pb2 as pb
from prometheus_client.parser import text_string_to_metric_families

METHOD = {"grpc_service": "ftgate.v1.FineTuningAdvisorService", "grpc_method": "Evaluate",
          "grpc_type": "UNARY"}


def scrape(server) -> dict[tuple[str, frozenset], float]:
    with urllib.request.urlopen(server.metrics_url, timeout=10) as reply:
        text = reply.read().decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def settled_scrape(server) -> dict[tuple[str, frozenset], float]:
    """A scrape once every worker has written its counters: with `--workers` they are added up in
    memory and written every second (obs/deferred.py)."""
    time.sleep(INTERVAL + 0.3)
    return scrape(server)


def value(samples, name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items()
               if n == name and set(labels.items()) <= set(ls))


def test_series_move_after_calls(server, stub) -> None:
    before = settled_scrape(server)
    knowledge = pb.ProjectProfile(goal=pb.GOAL_KNOWLEDGE, base_model_meets_target=False,
                                  quality_examples=10,
                                  prompt_engineering=pb.PromptEngineering(
                                      prompt_variations_tested=5, few_shot_tried=True,
                                      more_capable_model_tried=True))
    for _ in range(3):
        stub.Evaluate(pb.EvaluateRequest(project=knowledge), timeout=10)
    with pytest.raises(grpc.RpcError):
        stub.Evaluate(pb.EvaluateRequest(project=pb.ProjectProfile(target_score=9)), timeout=10)
    after = settled_scrape(server)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("grpc_server_started_total", **METHOD) == 4
    assert moved("grpc_server_handled_total", grpc_code="OK", **METHOD) == 3
    assert moved("grpc_server_handled_total", grpc_code="INVALID_ARGUMENT", **METHOD) == 1
    assert moved("grpc_server_handling_seconds_count", **METHOD) == 4
    assert any(n == "grpc_server_handling_seconds_bucket" for n, _ in after)
    assert moved("ftgate_decisions_total", verdict="DO_NOT_FINE_TUNE", outcome="USE_RAG") == 3
    assert moved("ftgate_findings_total", failure_mode="FACTUAL_KNOWLEDGE", severity="BLOCKER") == 3
    assert moved("ftgate_findings_total", failure_mode="INSUFFICIENT_DATA", severity="BLOCKER") == 3
    assert value(after, "ftgate_rules_loaded") > 0
    assert value(after, "ftgate_evaluation_seconds_count") >= 3
