"""The decision cache: a profile asked about again gets the same answer with a new decision id,
counted, logged and audited like any other; never across a policy change, never for bad input."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import grpc
import pytest
from conftest_helpers import assess
from ftgate.api.cache import DecisionCache
from ftgate.api.convert import profile_from_proto
from ftgate.api.limits import CallBudget
from ftgate.api.record import Recorder
from ftgate.api.service import AdvisorService
from ftgate.assessment import to_message
from ftgate.engine import Engine
from ftgate.engine.engine import CompiledPolicy, compile_policy
from ftgate.obs.logging import DecisionLog
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from serverproc import ServerProcess, start_server
from test_metrics import scrape, scrape_until, value

PROFILE = pb.ProjectProfile(goal=pb.GOAL_STYLE, task_type=pb.TASK_TYPE_CLASSIFICATION,
                            quality_examples=2000, base_model_score=0.6, target_score=0.9,
                            data_change_frequency=pb.CHANGE_FREQUENCY_STATIC)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One process of this module's own: the cache is per process, and a single process writes
    its counters at once, so a scrape taken after a call holds what the call counted."""
    proc = start_server(tmp_path_factory.mktemp("cache"), "--workers", "1")
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def stub(server: ServerProcess) -> Iterator[pb_grpc.FineTuningAdvisorServiceStub]:
    with grpc.insecure_channel(server.address) as channel:
        yield pb_grpc.FineTuningAdvisorServiceStub(channel)


def _decision_lines(server, project: str, count: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + 30
    while True:  # decision lines are written in batches (obs/logging.py)
        lines = [json.loads(line) for line in server.log().splitlines()
                 if '"event": "decision"' in line and project in line]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def test_repeated_profile_is_answered_from_the_cache(server, stub) -> None:
    project = pb.ProjectProfile()
    project.CopyFrom(PROFILE)
    project.name = f"cache-{uuid.uuid4()}"  # never asked before
    before = scrape(server)
    answers = [stub.Evaluate(pb.EvaluateRequest(project=project), timeout=10).assessment
               for _ in range(3)]

    def moved_in(samples, name: str, **labels: str) -> float:
        return value(samples, name, **labels) - value(before, name, **labels)
    after = scrape_until(server, lambda samples: moved_in(samples, "ftgate_decisions_total") == 3)

    def moved(name: str, **labels: str) -> float:
        return moved_in(after, name, **labels)

    assert len({a.decision_id for a in answers}) == 3
    for a in answers:
        a.decision_id = ""
    assert answers[0] == answers[1] == answers[2]
    assert moved("ftgate_decision_cache_total", result="miss") == 1
    assert moved("ftgate_decision_cache_total", result="hit") == 2
    assert moved("ftgate_decisions_total") == 3  # counted like any other decision
    assert moved("ftgate_evaluation_seconds_count") == 1  # the engine ran once
    lines = _decision_lines(server, project.name, 3)
    assert [line["cached"] for line in lines] == [False, True, True]


def test_bad_input_is_validated_every_time(server, stub) -> None:
    bad = pb.EvaluateRequest(project=pb.ProjectProfile(name="cache-bad", target_score=9))
    before = scrape(server)
    for _ in range(2):
        with pytest.raises(grpc.RpcError) as err:
            stub.Evaluate(bad, timeout=10)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # (one process: what the two calls counted is in the next scrape)
    assert value(scrape(server), "ftgate_decision_cache_total", result="hit") == \
        value(before, "ftgate_decision_cache_total", result="hit")


def _put(cache: DecisionCache, policy: CompiledPolicy, key: bytes,
         profile: pb.ProjectProfile) -> None:
    validated = profile_from_proto(profile)
    decision = policy.decide(validated)
    cache.put(policy, key, validated, decision)


def test_entries_never_outlive_their_policy(engine: Engine) -> None:
    cache = DecisionCache(10)
    old, new = engine.policy, compile_policy(engine.ruleset)  # as a reload makes
    key = PROFILE.SerializeToString(deterministic=True)
    assert cache.get(old, key) is None
    _put(cache, old, key, PROFILE)
    hit = cache.get(old, key)
    assert hit is not None and to_message(hit.decision, "") == assess(engine, profile_from_proto(PROFILE))
    assert cache.get(new, key) is None and len(cache) == 0  # the new policy starts empty
    _put(cache, old, key, PROFILE)  # decided under the old one
    assert cache.get(new, key) is None


def test_least_recently_used_out_first(engine: Engine) -> None:
    cache = DecisionCache(2)
    policy = engine.policy
    keys = []
    for n in range(3):
        profile = pb.ProjectProfile(name=f"lru-{n}")
        keys.append(profile.SerializeToString(deterministic=True))
        if n == 2:
            assert cache.get(policy, keys[0]) is not None  # 0 used again: 1 is the oldest
        _put(cache, policy, keys[-1], profile)
    assert len(cache) == 2
    assert cache.get(policy, keys[1]) is None
    assert cache.get(policy, keys[0]) is not None and cache.get(policy, keys[2]) is not None


def test_the_cache_is_bounded_by_bytes(engine: Engine) -> None:
    policy = engine.policy
    cache = DecisionCache(1000, max_bytes=40_000)
    for n in range(200):
        profile = pb.ProjectProfile(name=f"bytes-{n}-" + "x" * 200)
        _put(cache, policy, profile.SerializeToString(deterministic=True), profile)
    assert 0 < cache.size_bytes <= 40_000
    assert 5 < len(cache) < 200
    big = pb.ProjectProfile(name="y" * 256)
    _put(cache, policy, b"k" * 5000, big)  # over a tenth of the budget: not kept
    assert cache.get(policy, b"k" * 5000) is None


class _Context:
    def time_remaining(self) -> float:
        return 10.0

    def is_active(self) -> bool:
        return True


def _service(engine: Engine, cache: DecisionCache | None) -> AdvisorService:
    return AdvisorService(engine, Recorder(DecisionLog(None, False, {}), None, cache),
                          cache=cache)


def test_a_hit_is_the_answer_the_engine_gives(engine: Engine) -> None:
    cache = DecisionCache(16)
    service = _service(engine, cache)
    request = pb.EvaluateRequest(project=PROFILE)
    first, second = (service.evaluate(request, CallBudget(_Context(), None))
                     for _ in range(2))
    assert first.decision is second.decision  # the cached Decision, typed
    assert first.decision_id != second.decision_id
    first, second = (to_message(a.decision, a.decision_id) for a in (first, second))
    fresh = assess(engine, profile_from_proto(PROFILE))
    for a in (first, second, fresh):
        a.decision_id = ""
    assert first == second == fresh
    assert len(cache) == 1


def test_a_batch_goes_through_the_cache_too(engine: Engine) -> None:
    cache = DecisionCache(16)
    service = _service(engine, cache)
    request = pb.EvaluateBatchRequest(projects=[PROFILE, PROFILE])
    answers = service.evaluate_batch(request, CallBudget(_Context(), None))
    assert len(cache) == 1 and answers[0].decision_id != answers[1].decision_id


def test_unknown_fields_are_dropped_before_the_cache(engine: Engine) -> None:
    cache = DecisionCache(16)
    service = _service(engine, cache)
    raw = PROFILE.SerializeToString() + b"\xfa\x3f\x05hello"  # field 1023, unknown
    request = pb.EvaluateRequest(project=pb.ProjectProfile.FromString(raw))
    service.evaluate(request, CallBudget(_Context(), None))
    assert list(cache._entries) == [PROFILE.SerializeToString(deterministic=True)]
