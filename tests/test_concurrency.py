"""8 threads × 200 evaluations of different profiles give exactly the single-threaded answers."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import grpc
from conftest_helpers import assess
from ftgate.api import convert
from ftgate.engine import Engine
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc

THREADS, PER_THREAD = 8, 200


def _profiles() -> list[pb.ProjectProfile]:
    """1,600 different profiles spread over every leaf of the tree."""
    grid = itertools.product(
        [0.5, 0.95], [pb.GOAL_FORMAT, pb.GOAL_KNOWLEDGE], [100, 600, 3000, 25000],
        [pb.CHANGE_FREQUENCY_STATIC, pb.CHANGE_FREQUENCY_YEARLY, pb.CHANGE_FREQUENCY_WEEKLY],
        [5000.0, 20000.0, 200000.0], [True, False], [3, 5],
        [pb.TASK_TYPE_CLASSIFICATION, pb.TASK_TYPE_COMPLEX_REASONING])
    out = []
    for i, (score, goal, ex, freq, rpd, ded, var, task) in enumerate(grid):
        out.append(pb.ProjectProfile(
            name=f"p{i}", task_type=task, goal=goal, quality_examples=ex,
            data_change_frequency=freq, base_model_score=score, target_score=0.9,
            dedicated_model=ded,
            prompt_engineering=pb.PromptEngineering(prompt_variations_tested=var,
                                                    few_shot_tried=True,
                                                    more_capable_model_tried=True),
            economics=pb.Economics(requests_per_day=rpd, savings_per_request_usd=0.02,
                                   investment_usd=20000 + i),
            symptoms=[pb.SYMPTOM_HIGH_LATENCY] if i % 3 == 0 else []))
    return out[: THREADS * PER_THREAD]


def _strip(a: pb.Assessment) -> bytes:
    a.decision_id = ""
    return a.SerializeToString(deterministic=True)


def test_engine_threads_match_single_thread(engine: Engine) -> None:
    profiles = [convert.profile_from_proto(p) for p in _profiles()]
    expected = [_strip(assess(engine, p)) for p in profiles]
    assert len(set(expected)) > 100  # the profiles really differ

    def run(chunk: int) -> list[bytes]:
        part = profiles[chunk * PER_THREAD:(chunk + 1) * PER_THREAD]
        return [_strip(assess(engine, p)) for p in part]

    with ThreadPoolExecutor(THREADS) as pool:
        got = [a for part in pool.map(run, range(THREADS)) for a in part]
    assert got == expected


def test_server_threads_match_single_thread(server, engine: Engine) -> None:
    profiles = _profiles()
    expected = [_strip(assess(engine, convert.profile_from_proto(p)))
                for p in profiles]
    with grpc.insecure_channel(server.address) as channel:
        stub = pb_grpc.FineTuningAdvisorServiceStub(channel)

        def run(chunk: int) -> list[bytes]:
            part = profiles[chunk * PER_THREAD:(chunk + 1) * PER_THREAD]
            return [_strip(stub.Evaluate(pb.EvaluateRequest(project=p), timeout=30).assessment)
                    for p in part]

        with ThreadPoolExecutor(THREADS) as pool:
            got = [a for part in pool.map(run, range(THREADS)) for a in part]
    assert got == expected
