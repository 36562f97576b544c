"""Rule reload without restart, over a real socket: watched directory, SIGHUP, broken files."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opstools import fine_tune_profile, metric, scrape, single_process, small_profile, wait_until
from serverproc import ServerProcess, start_server

MINIMUM = "minimum_requests_per_day: 10000"


@pytest.fixture(scope="module")
def server(module_rules: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("reload"), "--rules", str(module_rules),
                        "--reload-interval", "0.1", "--max-concurrent", "0", *single_process())
    yield proc
    assert proc.stop() == 0


@pytest.fixture(scope="module")
def channel(server: ServerProcess) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server.address) as channel:
        yield channel


@pytest.fixture(scope="module")
def stub(channel: grpc.Channel) -> pb_grpc.FineTuningAdvisorServiceStub:
    return pb_grpc.FineTuningAdvisorServiceStub(channel)


def evaluate(stub: pb_grpc.FineTuningAdvisorServiceStub) -> pb.Assessment:
    return stub.Evaluate(pb.EvaluateRequest(project=fine_tune_profile()), timeout=10).assessment


def set_minimum(rules: Path, value: int) -> None:
    path = rules / "thresholds.yaml"
    text = path.read_text(encoding="utf-8")
    current = next(line.strip() for line in text.splitlines()
                   if line.strip().startswith("minimum_requests_per_day:"))
    path.write_text(text.replace(current, f"minimum_requests_per_day: {value}"), encoding="utf-8")


def test_threshold_change_on_disk_changes_the_next_answer(
        server: ServerProcess, stub: pb_grpc.FineTuningAdvisorServiceStub,
        module_rules: Path) -> None:
    before = evaluate(stub)
    assert before.outcome == pb.OUTCOME_FINE_TUNE
    successes = metric(scrape(server), "ftgate_rules_reload_total", result="success")

    set_minimum(module_rules, 50_000)  # 20,000 requests/day is now below the minimum
    after = wait_until(lambda: (a := evaluate(stub)).ruleset_version != before.ruleset_version
                       and a, what="the new rules to be served")
    assert after.outcome == pb.OUTCOME_PROMPT_ENGINEERING
    assert after.verdict == pb.VERDICT_DO_NOT_FINE_TUNE
    rules = stub.ListRules(pb.ListRulesRequest(), timeout=10)
    assert rules.ruleset_version == after.ruleset_version

    def counted() -> str | None:  # the reload is counted a moment after the new rules serve
        text = scrape(server)
        return text if metric(text, "ftgate_ruleset_info", version=after.ruleset_version) else None
    text = wait_until(counted, what="the reload to be counted")
    assert metric(text, "ftgate_ruleset_info", version=after.ruleset_version) == 1
    assert metric(text, "ftgate_rules_reload_total", result="success") == successes + 1

    set_minimum(module_rules, 10_000)
    wait_until(lambda: evaluate(stub).ruleset_version == before.ruleset_version,
               what="the original rules to come back")


@pytest.mark.parametrize("broken", [
    "kind: thresholds\nthresholds: [unclosed\n",                       # not YAML
    "kind: thresholds\nthresholds:\n  examples: 12\n",                 # YAML, wrong schema
    "",                                                                # half-written: empty
], ids=["syntax", "schema", "empty"])
def test_broken_file_keeps_the_last_good_rules(
        server: ServerProcess, stub: pb_grpc.FineTuningAdvisorServiceStub, channel: grpc.Channel,
        module_rules: Path, broken: str) -> None:
    path = module_rules / "thresholds.yaml"
    good = path.read_text(encoding="utf-8")
    before = evaluate(stub)
    failures = metric(scrape(server), "ftgate_rules_reload_total", result="failure")
    try:
        path.write_text(broken, encoding="utf-8")
        wait_until(lambda: metric(scrape(server), "ftgate_rules_reload_total",
                                  result="failure") > failures, what="the reload failure")
        after = evaluate(stub)
        assert after.ruleset_version == before.ruleset_version
        assert after.outcome == before.outcome == pb.OUTCOME_FINE_TUNE
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                           timeout=5)
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        assert metric(scrape(server), "ftgate_ruleset_info", version=before.ruleset_version) == 1
        # (counted, then logged)
        wait_until(lambda: '"file": "thresholds.yaml"' in server.log(), what="the file named")
    finally:
        unchanged = server.log().count('"rules_unchanged"')
        path.write_text(good, encoding="utf-8")
    # The good file back is the policy already served: seen, reloaded, found unchanged.
    wait_until(lambda: server.log().count('"rules_unchanged"') > unchanged, what="recovery")
    assert evaluate(stub).ruleset_version == before.ruleset_version


def test_calls_in_flight_across_a_sighup_reload_all_succeed(
        server: ServerProcess, stub: pb_grpc.FineTuningAdvisorServiceStub,
        module_rules: Path) -> None:
    old = evaluate(stub).ruleset_version
    batch = pb.EvaluateBatchRequest(projects=[fine_tune_profile(f"b{i}") for i in range(10)])
    single = pb.EvaluateRequest(project=fine_tune_profile())
    # 200 calls queued at once (40 of them batches); the rules change and SIGHUP lands mid-way.
    calls = []
    for i in range(200):
        if i == 100:
            set_minimum(module_rules, 40_000)
            server.proc.send_signal(signal.SIGHUP)
        calls.append(stub.EvaluateBatch.future(batch, timeout=60) if i % 5 == 0
                     else stub.Evaluate.future(single, timeout=60))
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda f: f.result(), calls))
    versions = set()
    for reply in replies:
        assessments = (list(reply.assessments) if isinstance(reply, pb.EvaluateBatchResponse)
                       else [reply.assessment])
        batch_versions = {a.ruleset_version for a in assessments}
        assert len(batch_versions) == 1, "one call, one policy"
        versions |= batch_versions
    new = wait_until(lambda: (v := evaluate(stub).ruleset_version) != old and v,
                     what="the new rules")
    assert versions <= {old, new}
    set_minimum(module_rules, 10_000)
    server.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: evaluate(stub).ruleset_version == old, what="the original rules")


def test_sighup_with_unchanged_files_keeps_serving(
        server: ServerProcess, stub: pb_grpc.FineTuningAdvisorServiceStub) -> None:
    before = evaluate(stub).ruleset_version
    signalled = server.log().count('"trigger": "signal"')
    server.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: server.log().count('"trigger": "signal"') > signalled,
               what="the SIGHUP reload")
    assert stub.Evaluate(pb.EvaluateRequest(project=small_profile()),
                         timeout=10).assessment.ruleset_version == before
