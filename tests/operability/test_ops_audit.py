"""The decision audit log over a real socket: GetDecision, ListDecisions, the CLI, the store."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from ftgate.audit import AuditLog, DecisionEntry, DecisionQuery, DecisionStore
from ftgate.cli import main
from ftgate.domain.profile import Profile
from ftgate.engine import Engine
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from opstools import (
    fine_tune_profile,
    metric,
    scrape,
    single_process,
    small_profile,
    wait_until,
)
from serverproc import FTGATE, REPO, ServerProcess, start_server


@dataclass
class Seeded:
    server: ServerProcess
    db: Path
    stub: pb_grpc.FineTuningAdvisorServiceStub
    answers: list[pb.Assessment]
    middle: timestamp_pb2.Timestamp  # between the first and the second half of the answers


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    tmp = tmp_path_factory.mktemp("audit")
    db = tmp / "decisions.db"
    server = start_server(tmp, "--audit-db", str(db), *single_process())
    with grpc.insecure_channel(server.address) as channel:
        stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
        answers = [stub.Evaluate(pb.EvaluateRequest(project=p), timeout=10).assessment
                   for p in (fine_tune_profile("ft-1"), small_profile(1), fine_tune_profile("ft-2"),
                             fine_tune_profile("low", requests_per_day=500))]
        time.sleep(0.01)
        middle = timestamp_pb2.Timestamp()
        middle.GetCurrentTime()
        time.sleep(0.01)
        batch = pb.EvaluateBatchRequest(projects=[
            small_profile(2), fine_tune_profile("ft-3"),
            # valid, if odd, input is recorded as it is
            pb.ProjectProfile(name="'; DROP TABLE decisions; --"),
            pb.ProjectProfile(name="名前 🚀 \"quoted\" \\ back"),
            pb.ProjectProfile(name="n" * 256, symptoms=[1, 2, 3, 4, 5])])
        answers += stub.EvaluateBatch(batch, timeout=10).assessments
        wait_until(lambda: len(stub.ListDecisions(pb.ListDecisionsRequest(page_size=100),
                                                  timeout=10).decisions) == len(answers),
                   what="every decision to be written")
        yield Seeded(server, db, stub, answers, middle)
    assert server.stop() == 0


def invalid_fields(exc: grpc.RpcError) -> list[str]:
    assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT, exc
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    bad = error_details_pb2.BadRequest()
    assert status is not None and status.details[0].Unpack(bad)
    return [v.field for v in bad.field_violations]


def test_get_decision_returns_what_was_asked_and_answered(seeded: Seeded) -> None:
    sent = fine_tune_profile("ft-1")
    first = seeded.answers[0]
    record = seeded.stub.GetDecision(pb.GetDecisionRequest(decision_id=first.decision_id),
                                     timeout=10).decision
    assert record.decision_id == first.decision_id
    assert record.ruleset_version == first.ruleset_version
    assert record.project == sent
    assert record.assessment == first
    assert record.assessment.verdict == pb.VERDICT_FINE_TUNE
    assert record.decided_at.seconds > 0
    assert record.decided_at.ToDatetime() < seeded.middle.ToDatetime()
    upper = seeded.stub.GetDecision(pb.GetDecisionRequest(
        decision_id=first.decision_id.upper()), timeout=10).decision
    assert upper.decision_id == first.decision_id


def test_every_valid_decision_is_stored(seeded: Seeded) -> None:
    for answer in seeded.answers:
        record = seeded.stub.GetDecision(pb.GetDecisionRequest(decision_id=answer.decision_id),
                                         timeout=10).decision
        assert record.assessment == answer
    odd = seeded.stub.GetDecision(pb.GetDecisionRequest(
        decision_id=seeded.answers[6].decision_id), timeout=10).decision
    assert odd.project.name == "'; DROP TABLE decisions; --"


@pytest.mark.parametrize("bad_id", [
    "", "abc", "' OR 1=1 --", "0" * 36, "{" + str(uuid.UUID(int=1)) + "}",
    uuid.UUID(int=1).hex, str(uuid.UUID(int=1)) + " ", "é" * 36, "\x00" * 36,
])
def test_malformed_decision_ids_are_invalid_argument(seeded: Seeded, bad_id: str) -> None:
    with pytest.raises(grpc.RpcError) as info:
        seeded.stub.GetDecision(pb.GetDecisionRequest(decision_id=bad_id), timeout=10)
    assert invalid_fields(info.value) == ["decision_id"]


def test_unknown_decision_is_not_found(seeded: Seeded) -> None:
    with pytest.raises(grpc.RpcError) as info:
        seeded.stub.GetDecision(pb.GetDecisionRequest(decision_id=str(uuid.uuid4())), timeout=10)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_list_pages_through_every_decision_newest_first(seeded: Seeded) -> None:
    request = pb.ListDecisionsRequest(page_size=2)
    seen: list[pb.DecisionRecord] = []
    for _ in range(20):
        page = seeded.stub.ListDecisions(request, timeout=10)
        assert len(page.decisions) <= 2
        seen += page.decisions
        if not page.next_page_token:
            break
        request.page_token = page.next_page_token
    assert sorted(r.decision_id for r in seen) == sorted(a.decision_id for a in seeded.answers)
    times = [r.decided_at.ToMicroseconds() for r in seen]
    assert times == sorted(times, reverse=True)


def test_list_filters_by_verdict_and_time(seeded: Seeded) -> None:
    def ids(**filters: object) -> set[str]:
        reply = seeded.stub.ListDecisions(pb.ListDecisionsRequest(page_size=500, **filters),
                                          timeout=10)
        return {r.decision_id for r in reply.decisions}
    fine = {a.decision_id for a in seeded.answers if a.verdict == pb.VERDICT_FINE_TUNE}
    assert len(fine) == 3
    assert ids(verdict=pb.VERDICT_FINE_TUNE) == fine
    assert ids(since=seeded.middle) == {a.decision_id for a in seeded.answers[4:]}
    assert ids(until=seeded.middle) == {a.decision_id for a in seeded.answers[:4]}
    assert ids(since=seeded.middle, verdict=pb.VERDICT_FINE_TUNE) == {
        seeded.answers[5].decision_id}


@pytest.mark.parametrize(("request_fields", "field"), [
    ({"page_token": "not-a-token"}, "page_token"),
    ({"page_size": -1}, "page_size"),
    ({"verdict": 99}, "verdict"),
    ({"since": timestamp_pb2.Timestamp(seconds=2), "until": timestamp_pb2.Timestamp(seconds=1)},
     "until"),
])
def test_bad_list_requests_are_invalid_argument(seeded: Seeded, request_fields: dict[str, object],
                                                field: str) -> None:
    with pytest.raises(grpc.RpcError) as info:
        seeded.stub.ListDecisions(pb.ListDecisionsRequest(**request_fields), timeout=10)
    assert invalid_fields(info.value) == [field]


def test_page_token_is_bound_to_its_filters(seeded: Seeded) -> None:
    page = seeded.stub.ListDecisions(pb.ListDecisionsRequest(page_size=1), timeout=10)
    with pytest.raises(grpc.RpcError) as info:
        seeded.stub.ListDecisions(pb.ListDecisionsRequest(
            page_size=1, verdict=pb.VERDICT_FINE_TUNE, page_token=page.next_page_token),
            timeout=10)
    assert invalid_fields(info.value) == ["page_token"]


def test_audit_metrics(seeded: Seeded) -> None:
    text = scrape(seeded.server)
    assert metric(text, "ftgate_audit_written_total") == len(seeded.answers)
    assert metric(text, "ftgate_audit_dropped_total") == 0
    assert metric(text, "ftgate_audit_queue_depth") == 0


def test_cli_show_over_the_server(seeded: Seeded) -> None:
    first = seeded.answers[0]
    shown = subprocess.run([*FTGATE, "decisions", "show", first.decision_id,
                            "--server", seeded.server.address],
                           capture_output=True, text=True, cwd=REPO, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert first.decision_id in shown.stdout and "ft-1" in shown.stdout


def test_cli_list_and_show(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    def cli(*args: str) -> tuple[int, str]:
        code = main(["decisions", *args])
        return code, capsys.readouterr().out

    code, out = cli("list", "--db", str(seeded.db), "--verdict", "fine-tune", "--output", "json")
    assert code == 0
    assert {d["assessment"]["projectName"] for d in json.loads(out)["decisions"]} == {
        "ft-1", "ft-2", "ft-3"}
    code, out = cli("list", "--server", seeded.server.address, "--since", "1h", "--limit", "3")
    assert code == 0 and len(out.splitlines()) == 3
    assert cli("show", seeded.answers[1].decision_id, "--db", str(seeded.db))[0] == 0
    assert cli("show", "nope", "--db", str(seeded.db))[0] == 2
    assert cli("show", "nope", "--server", seeded.server.address)[0] == 2
    assert cli("show", str(uuid.uuid4()), "--server", seeded.server.address)[0] == 1
    assert cli("list", "--db", str(seeded.db), "--since", "yesterday")[0] == 2
    assert cli("list", "--db", str(seeded.db), "--verdict", "maybe")[0] == 2


def test_decision_rpcs_without_an_audit_log_are_failed_precondition(
        stub: pb_grpc.FineTuningAdvisorServiceStub) -> None:
    # `stub` is the suite's shared server, which runs without --audit-db.
    with pytest.raises(grpc.RpcError) as info:
        stub.GetDecision(pb.GetDecisionRequest(decision_id=str(uuid.uuid4())), timeout=10)
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.RpcError) as info:
        stub.ListDecisions(pb.ListDecisionsRequest(), timeout=10)
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION


# --- the writer in-process: full-queue policy and retention -----------------------------------

_ENGINE = Engine()


def entry(name: str, decided_at: float) -> DecisionEntry:
    decision = _ENGINE.decide(Profile(name=name))  # NEEDS_INFORMATION
    decision_id = str(uuid.uuid4())
    return DecisionEntry(decided_at, decision_id, pb.ProjectProfile(name=name), Profile(name=name),
                         decision)


def test_full_queue_drops_and_counts_never_blocks(tmp_path: Path) -> None:
    from ftgate.obs.operations import AUDIT_DROPPED

    log = AuditLog(DecisionStore(tmp_path / "d.db"), queue_size=2)
    dropped = AUDIT_DROPPED.labels("queue_full")._value.get()
    kept = [log.record(entry(f"n{i}", time.time())) for i in range(5)]  # writer not started
    assert kept == [True, True, False, False, False]
    assert AUDIT_DROPPED.labels("queue_full")._value.get() == dropped + 3
    log.start()
    log.close()
    assert DecisionStore(tmp_path / "d.db").count() == 2


def test_retention_purges_old_decisions(tmp_path: Path) -> None:
    store = DecisionStore(tmp_path / "d.db")
    log = AuditLog(store, retention_days=7)
    log.record(entry("old", time.time() - 8 * 86400))
    log.record(entry("new", time.time()))
    log.start()
    log.close()  # the first purge runs when the writer starts: the old one is written after it
    log = AuditLog(DecisionStore(tmp_path / "d.db"), retention_days=7)
    log.start()
    log.close()
    rows, _ = DecisionStore(tmp_path / "d.db", readonly=True).list(
        DecisionQuery(), 10)
    assert [r.project_name for r in rows] == ["new"]


def test_stored_profile_json_is_the_input(seeded: Seeded) -> None:
    from google.protobuf import json_format

    store = DecisionStore(seeded.db, readonly=True)
    for answer in seeded.answers:
        row = store.get(answer.decision_id)
        assert row is not None
        parsed = json_format.ParseDict(json.loads(row.profile_json), pb.ProjectProfile())
        assert parsed == pb.ProjectProfile.FromString(row.project)
    full = fine_tune_profile("every field")
    full.domain, full.base_model_meets_target, full.needs_external_actions = 2, False, True
    full.economics.retraining_cost_usd = 0.0
    full.prompt.system_prompt_tokens, full.prompt.prompt_is_repeated = 2048, True
    full.symptoms.extend([1, 5])
    from ftgate.api import convert
    from ftgate.audit.profile_json import profile_json

    text = profile_json(convert.profile_from_proto(full))
    assert json_format.ParseDict(json.loads(text), pb.ProjectProfile()) == full


def test_answers_from_the_decision_cache_are_recorded_too(seeded: Seeded) -> None:
    """Runs last: it adds decisions. The second call of a profile is a decision-cache hit."""
    again = [seeded.stub.Evaluate(pb.EvaluateRequest(project=fine_tune_profile("cached")),
                                  timeout=10).assessment for _ in range(2)]
    assert again[0].decision_id != again[1].decision_id

    def stored() -> list[pb.DecisionRecord]:
        found = []
        for answer in again:
            try:
                found.append(seeded.stub.GetDecision(
                    pb.GetDecisionRequest(decision_id=answer.decision_id), timeout=10).decision)
            except grpc.RpcError:
                return []
        return found

    records = wait_until(stored, what="both decisions to be written")
    assert [r.assessment for r in records] == again
    assert records[0].project == records[1].project == fine_tune_profile("cached")
