"""Outcomes end to end, on SQLite and on PostgreSQL: decisions made over gRPC, outcomes posted
over HTTP (and the CLI), the report's counts and ratios compared with figures worked out here by
hand, and a candidate ruleset judged by the outcomes (docs/outcomes.md)."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import grpc
import pytest
from fleettools import fine_tune_profile, metric, scrape, small_profile
from ftgate.engine.engine import default_rules_dir
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from serverproc import FTGATE, REPO, ServerProcess, start_server

# The corpus: name → (profile, outcomes posted in order (the last one counts), or none).
# fine_tune_profile saves $0.05 a request on an investment of $1,000: predicted monthly savings
# are 0.05 × requests_per_day × 30, and break-even 1,000 / those savings.
FT = {  # FINE_TUNE decisions (every volume at or above the shipped minimum of 10,000)
    "f12k": (12_000, [{"fineTuned": True, "metTarget": True, "monthlySavingsUsd": 9_000}]),
    "f15k": (15_000, [{"fineTuned": True, "metTarget": False, "monthlySavingsUsd": 22_500}]),
    # met_target not reported: measured 0.95 against the profile's target 0.9 → met.
    "f20k": (20_000, [{"fineTuned": True, "measuredScore": 0.95, "monthlySavingsUsd": 60_000}]),
    # neither met_target nor a score: fine-tuned, target unknown; it costs more than before.
    "f40k": (40_000, [{"fineTuned": True, "monthlySavingsUsd": -600}]),
    "f50k": (50_000, [{"fineTuned": False}]),
    "f30k": (30_000, []),
    # reported twice: the second report replaces the first.
    "f18k": (18_000, [{"fineTuned": True, "metTarget": False, "monthlySavingsUsd": 100},
                      {"fineTuned": True, "metTarget": True, "monthlySavingsUsd": 40_500}]),
}
REFUSED = {  # DO_NOT_FINE_TUNE decisions: too few requests a day
    "d2k": (2_000, [{"fineTuned": True, "metTarget": True}]),
    "d5k": (5_000, [{"fineTuned": True, "metTarget": False}]),
    "d9k": (9_000, [{"fineTuned": False, "note": "stayed with prompting"}]),
    "d9500": (9_500, []),
}


def _post(server: ServerProcess, decision_id: str, body: Any) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{server.http_url}/v1/decisions/{decision_id}/outcome",
        data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _get(server: ServerProcess, path: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"{server.http_url}{path}", timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _ftgate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FTGATE, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "audit.db")
    return str(request.getfixturevalue("pg_url"))


def _candidate(tmp_path: Path, minimum: int) -> Path:
    rules = tmp_path / f"candidate-{minimum}"
    shutil.copytree(default_rules_dir(), rules)
    path = rules / "thresholds.yaml"
    text = path.read_text(encoding="utf-8")
    assert "minimum_requests_per_day: 10000" in text
    path.write_text(text.replace("minimum_requests_per_day: 10000",
                                 f"minimum_requests_per_day: {minimum}"), encoding="utf-8")
    return rules


def _quantile(values: list[float], q: float) -> float:
    """By hand: linear between the nearest ranks of the sorted values."""
    v = sorted(values)
    pos = (len(v) - 1) * q
    low = int(pos)
    return v[low] + (v[min(low + 1, len(v) - 1)] - v[low]) * (pos - low)


def test_outcomes_recorded_reported_and_judged(tmp_path: Path, store: str) -> None:
    migrate = ["--audit-migrate"] if store.startswith("postgresql") else []
    server = start_server(tmp_path, "--audit-db", store, *migrate, "--audit-durability", "sync",
                          "--workers", "1")
    ids: dict[str, str] = {}
    blockers: dict[str, set[str]] = {}
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
            for name, (volume, _) in {**FT, **REFUSED}.items():
                a = stub.Evaluate(pb.EvaluateRequest(
                    project=fine_tune_profile(name, requests_per_day=volume)),
                    timeout=30).assessment
                want = pb.VERDICT_FINE_TUNE if name in FT else pb.VERDICT_DO_NOT_FINE_TUNE
                assert a.verdict == want, name
                ids[name] = a.decision_id
                blockers[name] = {f.rule_id for f in a.findings
                                  if f.severity == pb.SEVERITY_BLOCKER}
            for i in range(3):  # NEEDS_INFORMATION: no target score in these profiles
                ids[f"n{i}"] = stub.Evaluate(pb.EvaluateRequest(project=small_profile(i)),
                                             timeout=30).assessment.decision_id
            # Over gRPC too: the same call, the same answer.
            reply = stub.RecordOutcome(pb.RecordOutcomeRequest(
                decision_id=ids["n0"], outcome=pb.ProjectOutcome(fine_tuned=False)), timeout=30)
            assert reply.verdict == pb.VERDICT_NEEDS_INFORMATION and not reply.replaced
            with pytest.raises(grpc.RpcError) as caught:
                stub.RecordOutcome(pb.RecordOutcomeRequest(
                    decision_id="0f8fad5b-d9cb-469f-a165-70867728950e",
                    outcome=pb.ProjectOutcome(fine_tuned=True)), timeout=30)
            assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        for name, (_, reports) in {**FT, **REFUSED}.items():
            for n, body in enumerate(reports):
                status, answer = _post(server, ids[name], body)
                assert status == 200, answer
                assert answer["replaced"] is (n > 0)
        # n1: fine-tuned, a score but no target to compare it with → target unknown.
        assert _post(server, ids["n1"], {"fine_tuned": True, "measured_score": 0.5})[0] == 200

        status, summary = _get(server, "/v1/outcomes:summary")
        assert status == 200, summary
        metrics = scrape(server)
    finally:
        assert server.stop() == 0

    # By verdict, counted by hand from the corpus.
    assert summary["decisions"] == 14 and summary["with_outcome"] == 11
    assert summary["by_verdict"] == {
        "FINE_TUNE": {"met_target": 3, "missed_target": 1, "target_unknown": 1,
                      "not_fine_tuned": 1, "no_outcome": 1},
        "DO_NOT_FINE_TUNE": {"met_target": 1, "missed_target": 1, "target_unknown": 0,
                             "not_fine_tuned": 1, "no_outcome": 1},
        "NEEDS_INFORMATION": {"met_target": 0, "missed_target": 0, "target_unknown": 1,
                              "not_fine_tuned": 1, "no_outcome": 1},
    }
    # Savings: measured / predicted, with predicted = 0.05 × volume × 30.
    ratios = [9_000 / 18_000, 22_500 / 22_500, 60_000 / 30_000, -600 / 60_000,
              40_500 / 27_000]
    assert sorted(ratios) == [-0.01, 0.5, 1.0, 1.5, 2.0]
    s = summary["savings"]
    assert s["compared"] == 5 and s["never_broke_even"] == 1 and s["without_figures"] == 0
    assert s["monthly_savings_ratio"] == {"n": 5, "median": 1.0, "p25": 0.5, "p75": 1.5,
                                          "min": -0.01, "max": 2.0}
    # Break-even: (1,000 / measured) / (1,000 / predicted) = predicted / measured, for the
    # four that saved money: 2, 1, 0.5 and 2/3.
    be = [18_000 / 9_000, 22_500 / 22_500, 30_000 / 60_000, 27_000 / 40_500]
    got = s["break_even_ratio"]
    assert got["n"] == 4 and got["min"] == 0.5 and got["max"] == 2.0
    assert got["median"] == pytest.approx((2 / 3 + 1.0) / 2, abs=1e-6)
    assert got["p25"] == pytest.approx(0.5 + 0.75 * (2 / 3 - 0.5), abs=1e-6)
    assert got["p75"] == pytest.approx(1.0 + 0.25 * (2.0 - 1.0), abs=1e-6)
    assert got["median"] == pytest.approx(_quantile(be, 0.5), abs=1e-6)
    points = {p["decision_id"]: p for p in s["points"]}
    assert points[ids["f18k"]]["measured_monthly_savings_usd"] == 40_500
    assert points[ids["f18k"]]["predicted_monthly_savings_usd"] == 27_000
    # By rule: every refused project here is blocked by the same volume rule(s).
    rules = set().union(*(blockers[n] for n in REFUSED))
    assert rules and all(blockers[n] == rules for n in REFUSED)
    for rule in rules:
        assert summary["by_rule"][rule] == {"refused": 4, "fine_tuned_anyway": 2,
                                            "met_target": 1, "missed_target": 1,
                                            "target_unknown": 0, "not_fine_tuned": 1,
                                            "no_outcome": 1}
    # Counted as recorded: the replaced report counts too (it was recorded).
    # (labels as the exposition orders them)
    assert metric(metrics, "ftgate_outcomes_recorded_total", result="met_target",
                  verdict="FINE_TUNE") == 3
    assert metric(metrics, "ftgate_outcomes_recorded_total", result="missed_target",
                  verdict="FINE_TUNE") == 2
    assert metric(metrics, "ftgate_outcomes_recorded_total", result="not_fine_tuned",
                  verdict="DO_NOT_FINE_TUNE") == 1

    # One answer, every door: the CLI's JSON is the server's.
    out = _ftgate("outcomes", "report", "--audit-db", store, "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == summary
    text = _ftgate("outcomes", "report", "--audit-db", store)
    assert text.returncode == 0 and "14 decisions, 11 with an outcome" in text.stdout
    none = _ftgate("outcomes", "report", "--audit-db", store, "--since", "2100-01-01",
                   "--format", "json")
    assert json.loads(none.stdout)["decisions"] == 0

    # A candidate raising the minimum to 20,000 refuses f12k (met), f15k (missed) and f18k
    # (met, as last reported); f20k (met by its score) stays allowed.
    judged = _replay_outcomes(store, _candidate(tmp_path, 20_000))
    assert judged["met_target"] == {"total": 4, "refused_recorded": 1, "refused_candidate": 3}
    assert judged["missed_target"] == {"total": 2, "allowed_recorded": 1,
                                       "allowed_candidate": 0}
    assert set(judged["met_target_newly_refused"]) == {ids["f12k"], ids["f18k"]}
    text = _ftgate("rules", "replay", "--rules", str(tmp_path / "candidate-20000"), "--audit-db",
                   store, "--outcomes")
    assert text.returncode == 0, text.stderr
    assert "met their target, refused:  recorded 1, candidate 3" in text.stdout
    # One lowering it to 4,000 allows d5k, which missed its target; d2k stays refused.
    judged = _replay_outcomes(store, _candidate(tmp_path, 4_000))
    assert judged["met_target"]["refused_candidate"] == 1
    assert judged["missed_target"]["allowed_candidate"] == 2
    assert judged["missed_target_newly_allowed"] == [ids["d5k"]]


def _replay_outcomes(store: str, rules: Path) -> dict[str, Any]:
    out = _ftgate("rules", "replay", "--rules", str(rules), "--audit-db", store, "--outcomes",
                  "--output", "json")
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout)["outcomes"])


def test_bad_outcomes_are_refused_by_field(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    server = start_server(tmp_path, "--audit-db", str(db), "--audit-durability", "sync",
                          "--workers", "1")
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
            decision = stub.Evaluate(pb.EvaluateRequest(project=fine_tune_profile("x")),
                                     timeout=30).assessment.decision_id
            with pytest.raises(grpc.RpcError) as caught:
                stub.RecordOutcome(pb.RecordOutcomeRequest(
                    decision_id=decision, outcome=pb.ProjectOutcome(
                        fine_tuned=True, measured_score=1.5, note="a\x00b")), timeout=30)
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "outcome.measured_score" in (caught.value.details() or "")
            with pytest.raises(grpc.RpcError) as caught:
                stub.RecordOutcome(pb.RecordOutcomeRequest(decision_id=decision), timeout=30)
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "outcome: missing" in (caught.value.details() or "")
        status, body = _post(server, decision, {"fineTuned": True, "measuredScore": 1.5,
                                                "requestsPerDay": -1})
        assert status == 400 and body["error"]["status"] == "INVALID_ARGUMENT"
        fields = {v["field"] for v in body["error"]["details"][0]["fieldViolations"]}
        assert fields == {"outcome.measured_score", "outcome.requests_per_day"}
        status, body = _post(server, decision, {"fineTuned": "perhaps"})
        assert status == 400
        assert body["error"]["details"][0]["fieldViolations"][0]["field"] == \
            "outcome.fine_tuned"
        status, body = _post(server, decision, {"note": "a\u0000b", "fineTuned": False})
        assert status == 400 and "NUL" in body["error"]["message"]
        empty = urllib.request.Request(f"{server.http_url}/v1/decisions/{decision}/outcome",
                                       data=b"", method="POST",
                                       headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(empty, timeout=30)
        assert refused.value.code == 400
        assert "outcome" in json.loads(refused.value.read())["error"]["message"]
        status, body = _post(server, "0f8fad5b-d9cb-469f-a165-70867728950e", {"fineTuned": True})
        assert status == 404 and body["error"]["status"] == "NOT_FOUND"
        status, body = _post(server, "not-an-id", {"fineTuned": True})
        assert status == 400 and body["error"]["details"][0]["fieldViolations"][0]["field"] == \
            "decision_id"
        status, body = _get(server, "/v1/outcomes:summary?since=yesterday")
        assert status == 400 and "since" in body["error"]["message"]
        # Offsets within ±14:00, as at every door that reads a time (api/timestamps.py).
        status, body = _get(server, "/v1/outcomes:summary?until=2026-01-01T00:00:00%2B20:00")
        assert status == 400 and "±14:00" in body["error"]["message"], body
        address = server.address
        # The CLI names the flag, and checks figures before calling.
        out = _ftgate("outcomes", "record", decision, "--server", address, "--fine-tuned", "yes",
                      "--measured-score", "2")
        assert out.returncode == 2 and "--measured-score: must be in [0, 1]" in out.stderr
        out = _ftgate("outcomes", "record", decision, "--server", address, "--fine-tuned",
                      "maybe")
        assert out.returncode == 2 and "--fine-tuned" in out.stderr
        out = _ftgate("outcomes", "record", decision, "--server", address, "--fine-tuned", "no",
                      "--requests-per-day", "lots")
        assert out.returncode == 2 and "expected a number, got 'lots'" in out.stderr
        out = _ftgate("outcomes", "record", decision, "--server", address, "--fine-tuned", "yes",
                      "--met-target", "yes")
        assert out.returncode == 0, out.stderr
        assert "verdict FINE_TUNE" in out.stdout
    finally:
        assert server.stop() == 0
    # Straight into the store, with the server gone; the report sees the latest report.
    out = _ftgate("outcomes", "record", decision, "--audit-db", str(db), "--fine-tuned", "yes",
                  "--met-target", "no", "--output", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["replaced"] is True
    out = _ftgate("outcomes", "record", "0f8fad5b-d9cb-469f-a165-70867728950e", "--audit-db",
                  str(db), "--fine-tuned", "yes")
    assert out.returncode == 1 and "no decision" in out.stderr
    report = json.loads(_ftgate("outcomes", "report", "--audit-db", str(db), "--format",
                                "json").stdout)
    assert report["by_verdict"]["FINE_TUNE"]["missed_target"] == 1
    from ftgate.audit import DecisionStore

    history = DecisionStore(db, readonly=True).outcome_history(decision)
    assert [o.met_target for o in history] == [True, False]


def test_an_sqlite_log_of_schema_1_gains_outcomes_and_keeps_its_decisions(
        tmp_path: Path) -> None:
    """A file written before outcomes existed: read as is (no outcome yet), then brought to
    the current schema by the first writer, its decisions kept."""
    import sqlite3

    from ftgate.audit.database import SCHEMA_VERSION

    db = tmp_path / "old.db"
    server = start_server(tmp_path, "--audit-db", str(db), "--audit-durability", "sync",
                          "--workers", "1")
    try:
        with grpc.insecure_channel(server.address) as channel:
            decision = pb_grpc.FineTuningAdvisorServiceStub(channel).Evaluate(
                pb.EvaluateRequest(project=fine_tune_profile("old")),
                timeout=30).assessment.decision_id
    finally:
        assert server.stop() == 0
    with sqlite3.connect(db) as conn:  # as the previous ftgate left it
        conn.execute("DROP TABLE outcomes")
        conn.execute("DROP TABLE waivers")
        conn.execute("PRAGMA user_version=1")
    conn.close()
    out = _ftgate("outcomes", "report", "--audit-db", str(db), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["by_verdict"]["FINE_TUNE"]["no_outcome"] == 1
    out = _ftgate("outcomes", "record", decision, "--audit-db", str(db), "--fine-tuned", "no")
    assert out.returncode == 0, out.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT count(*) FROM decisions").fetchone()[0] == 1
    conn.close()
    out = _ftgate("outcomes", "report", "--audit-db", str(db), "--format", "json")
    assert json.loads(out.stdout)["by_verdict"]["FINE_TUNE"]["not_fine_tuned"] == 1


def test_report_on_a_postgresql_store_not_yet_migrated_says_what_to_run(pg_url: str) -> None:
    from ftgate.audit.postgres import PostgresStore

    store = PostgresStore(pg_url)
    try:
        store.migrate()
        with store.connect() as conn:  # as the previous ftgate left it: schema 1
            conn.execute("DROP TABLE outcomes")
            conn.execute("DROP TABLE IF EXISTS waivers")  # (migration 3)
            conn.execute("DELETE FROM ftgate_schema WHERE version >= 2")
    finally:
        store.close()
    out = _ftgate("outcomes", "report", "--audit-db", pg_url)
    assert out.returncode == 1 and "ftgate audit migrate" in out.stderr, out.stderr
    assert _ftgate("audit", "migrate", "--audit-db", pg_url).returncode == 0
    out = _ftgate("outcomes", "report", "--audit-db", pg_url, "--format", "json")
    assert out.returncode == 0 and json.loads(out.stdout)["decisions"] == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_purged_decisions_take_their_outcomes_with_them(tmp_path: Path, backend: str,
                                                        request: pytest.FixtureRequest) -> None:
    import time

    from ftgate.audit.outcomes import StoredOutcome
    from ftgate.audit.stores import check_store, open_store
    from rows import row

    target = (str(request.getfixturevalue("pg_url")) if backend == "postgresql"
              else str(tmp_path / "audit.db"))
    check_store(target, migrate=True)
    now = int(time.time() * 1e6)
    old, young = row(1, now - 10_000_000), row(2, now)
    store = open_store(target)
    try:
        store.insert([old, young])
        for decision in (old, young, old):
            assert store.record_outcome(StoredOutcome(decision.decision_id, now, True))
        assert store.purge(now - 5_000_000, batch=1) == 1
        assert store.outcome_history(old.decision_id) == ()
        assert len(store.outcome_history(young.decision_id)) == 1
        assert set(store.latest_outcomes()) == {young.decision_id}
    finally:
        store.close()
