"""Waivers on a live `ftgate serve` (SQLite audit store), at every door: granted over HTTP, the
same blocked profile then allowed and marked over gRPC, HTTP and the admission webhook, another
project's profile still refused, a revoked and an expired waiver refused again everywhere, bad
waivers refused by field (docs/waivers.md)."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from conftest import Webhook, _start
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from google.protobuf import json_format
from k8s import job, review
from opstools import metric, scrape, wait_until
from pki import ServerCert
from serverproc import FTGATE, REPO

EXAMPLES = REPO / "service" / "ftgate" / "examples"
TOKEN = "waiver-token-for-tests"
PROJECT = "internal-faq-rewriter"  # low-volume-roi.yaml: refused at step 5 (ROI)


def _profile_text(name: str = PROJECT) -> str:
    text = (EXAMPLES / "low-volume-roi.yaml").read_text(encoding="utf-8")
    return text.replace(f"name: {PROJECT}", f"name: {name}")


def _profile(name: str = PROJECT) -> pb.ProjectProfile:
    return json_format.ParseDict(yaml.safe_load(_profile_text(name)), pb.ProjectProfile())


@pytest.fixture(scope="module")
def hook(cert: ServerCert, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webhook]:
    tmp = tmp_path_factory.mktemp("waivers")
    tokens = tmp / "waiver-tokens"
    tokens.write_text(f"# who may grant\n{TOKEN}\n", encoding="utf-8")
    # The server judges waivers by a clock the tests move (the test seam's --clock-file).
    server = _start(tmp, cert, "--waiver-tokens", str(tokens), "--max-waiver-days", "30",
                    hooks=("--clock-file", str(tmp / "clock-offset-seconds")))
    yield server
    assert server.server.stop() == 0


@pytest.fixture(scope="module")
def stub(hook: Webhook, cert: ServerCert) -> pb_grpc.FineTuningAdvisorServiceStub:
    channel = grpc.secure_channel(hook.server.address, grpc.ssl_channel_credentials(cert.pem()))
    return pb_grpc.FineTuningAdvisorServiceStub(channel)


def _api(hook: Webhook, method: str, path: str, body: Any = None,
         token: str | None = TOKEN) -> Any:
    from httpcall import call

    headers = {"ftgate-waiver-token": token} if token else {}
    return call(hook.server.http_port or 0, method, path, body, headers=headers,
                context=hook.tls)


def _in(days: float = 0, seconds: float = 0) -> str:
    when = datetime.now(UTC) + timedelta(days=days, seconds=seconds)
    return when.isoformat().replace("+00:00", "Z")


def _waiver(rule_ids: list[str], **kw: Any) -> dict[str, Any]:
    return {"projectName": PROJECT, "ruleIds": rule_ids, "reason": "pilot for Q3, signed off",
            "approvedBy": "head of ML", "ticket": "CHG-1", "expiresAt": _in(days=7), **kw}


def _grant(hook: Webhook, waiver: dict[str, Any]) -> dict[str, Any]:
    reply = _api(hook, "POST", "/v1/waivers", waiver)
    assert reply.status == 200, reply.body
    return dict(reply.json["waiver"])


def _doors(hook: Webhook, stub: pb_grpc.FineTuningAdvisorServiceStub,
           name: str = PROJECT) -> dict[str, Any]:
    """The answer of each door to the same profile: the gRPC and HTTP Assessments, the
    webhook's AdmissionReview response."""
    grpc_answer = stub.Evaluate(pb.EvaluateRequest(project=_profile(name)), timeout=30)
    http_reply = _api(hook, "POST", "/v1/evaluate",
                      {"project": yaml.safe_load(_profile_text(name))}, token=None)
    assert http_reply.status == 200, http_reply.body
    admitted = hook.admit(review(job(labels={"ftgate.dev/gate": "enforce"},
                                     annotations={"ftgate.dev/profile": _profile_text(name)})))
    return {"grpc": grpc_answer.assessment, "http": http_reply.json["assessment"],
            "webhook": admitted}


def _blockers(stub: pb_grpc.FineTuningAdvisorServiceStub) -> list[str]:
    a = stub.Evaluate(pb.EvaluateRequest(project=_profile()), timeout=30).assessment
    assert a.verdict == pb.VERDICT_DO_NOT_FINE_TUNE
    found = [f.rule_id for f in a.findings if f.severity == pb.SEVERITY_BLOCKER]
    assert found
    return found


def _refused_everywhere(answers: dict[str, Any]) -> None:
    assert answers["grpc"].verdict == pb.VERDICT_DO_NOT_FINE_TUNE
    assert not answers["grpc"].waivers_applied
    assert all(not f.waiver_id for f in answers["grpc"].findings)
    assert answers["http"]["verdict"] == "VERDICT_DO_NOT_FINE_TUNE"
    assert not answers["http"].get("waiversApplied")
    assert answers["webhook"]["allowed"] is False
    assert "waiver-ids" not in answers["webhook"]["auditAnnotations"]


def _allowed_under(answers: dict[str, Any], waiver: dict[str, Any]) -> None:
    a = answers["grpc"]
    assert a.verdict == pb.VERDICT_FINE_TUNE and a.outcome == pb.OUTCOME_FINE_TUNE
    assert [w.id for w in a.waivers_applied] == [waiver["id"]]
    waived = {f.rule_id: f.waiver_id for f in a.findings if f.waiver_id}
    assert waived == dict.fromkeys(waiver["ruleIds"], waiver["id"])  # kept, and marked
    h = answers["http"]
    assert h["verdict"] == "VERDICT_FINE_TUNE"
    assert [w["id"] for w in h["waiversApplied"]] == [waiver["id"]]
    assert {f["ruleId"] for f in h["findings"] if f.get("waiverId") == waiver["id"]} == \
        set(waiver["ruleIds"])
    r = answers["webhook"]
    assert r["allowed"] is True
    assert r["auditAnnotations"]["waiver-ids"] == waiver["id"]
    (note,) = [w for w in r["warnings"] if "allowed under waiver" in w]
    assert waiver["id"] in note and "expires" in note


def test_a_waiver_is_honoured_at_every_door_then_revoked(
        hook: Webhook, stub: pb_grpc.FineTuningAdvisorServiceStub) -> None:
    blockers = _blockers(stub)
    _refused_everywhere(_doors(hook, stub))
    waiver = _grant(hook, _waiver(blockers))
    assert waiver["id"] and waiver["createdAt"]
    _allowed_under(_doors(hook, stub), waiver)
    text = scrape(hook.server)
    assert metric(text, "ftgate_waivers_active") >= 1
    assert metric(text, "ftgate_waiver_next_expiry_timestamp_seconds") > time.time()
    for rule_id in blockers:  # one per door
        assert metric(text, "ftgate_waived_decisions_total", rule_id=rule_id) >= 3
    # Another project with the same profile is not covered: exact name match.
    _refused_everywhere(_doors(hook, stub, name=f"{PROJECT}-2"))
    batch = stub.EvaluateBatch(pb.EvaluateBatchRequest(
        projects=[_profile(), _profile(f"{PROJECT}-2")]), timeout=30).assessments
    assert [a.verdict for a in batch] == [pb.VERDICT_FINE_TUNE, pb.VERDICT_DO_NOT_FINE_TUNE]
    assert [w.id for w in batch[0].waivers_applied] == [waiver["id"]]
    # The decision as recorded carries the waiver it was made under.
    decision_id = _doors(hook, stub)["webhook"]["auditAnnotations"]["decision-id"]

    def recorded() -> bytes | None:
        with sqlite3.connect(hook.audit_db) as db:
            row = db.execute("SELECT assessment FROM decisions WHERE decision_id = ?",
                             (decision_id,)).fetchone()
        return None if row is None else bytes(row[0])

    stored = pb.Assessment.FromString(wait_until(recorded, 30, what="the decision recorded"))
    assert [w.id for w in stored.waivers_applied] == [waiver["id"]]
    # Revoked over gRPC: refused again at every door, at once (this server's copy is renewed).
    revoked = stub.RevokeWaiver(pb.RevokeWaiverRequest(waiver_id=waiver["id"]), timeout=30,
                                metadata=[("ftgate-waiver-token", TOKEN)]).waiver
    assert revoked.HasField("revoked_at")
    _refused_everywhere(_doors(hook, stub))
    listed = stub.ListWaivers(pb.ListWaiversRequest(project_name=PROJECT,
                                                    state=pb.WAIVER_STATE_REVOKED), timeout=30)
    assert waiver["id"] in [w.id for w in listed.waivers]


def test_an_expired_waiver_changes_nothing(hook: Webhook,
                                           stub: pb_grpc.FineTuningAdvisorServiceStub) -> None:
    blockers = _blockers(stub)
    # A project of its own: once the clock is set back, this waiver is in force again.
    name = f"{PROJECT}-expiry"
    waiver = _grant(hook, _waiver(blockers, projectName=name, expiresAt=_in(days=1)))
    _allowed_under(_doors(hook, stub, name), waiver)
    # The server's clock moved two days on (the test seam): the waiver has expired.
    clock = hook.server.log_path.parent / "clock-offset-seconds"
    clock.write_text(str(2 * 86400), encoding="utf-8")
    try:
        _refused_everywhere(_doors(hook, stub, name))
        listed = stub.ListWaivers(pb.ListWaiversRequest(state=pb.WAIVER_STATE_EXPIRED),
                                  timeout=30)
        assert waiver["id"] in [w.id for w in listed.waivers]
    finally:
        clock.write_text("0", encoding="utf-8")


def test_writes_need_a_waiver_token(hook: Webhook,
                                    stub: pb_grpc.FineTuningAdvisorServiceStub) -> None:
    for token in (None, "not-the-token"):
        reply = _api(hook, "POST", "/v1/waivers", _waiver(["FM6.low-volume"]), token=token)
        assert reply.status == 403, reply.body
        assert "waiver token" in reply.json["error"]["message"]
    with pytest.raises(grpc.RpcError) as caught:
        stub.RevokeWaiver(pb.RevokeWaiverRequest(waiver_id="x"), timeout=30)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    # Reading needs none.
    assert _api(hook, "GET", f"/v1/waivers?projectName={PROJECT}", token=None).status == 200


def test_revoke_over_http(hook: Webhook, stub: pb_grpc.FineTuningAdvisorServiceStub) -> None:
    name = f"{PROJECT}-http"
    waiver = _grant(hook, _waiver(_blockers(stub), projectName=name))
    path = f"/v1/waivers/{waiver['id']}:revoke"
    assert _api(hook, "POST", path, token=None).status == 403
    assert stub.Evaluate(pb.EvaluateRequest(project=_profile(name)),
                         timeout=30).assessment.verdict == pb.VERDICT_FINE_TUNE
    reply = _api(hook, "POST", path)
    assert reply.status == 200, reply.body
    assert reply.json["waiver"]["id"] == waiver["id"] and reply.json["waiver"]["revokedAt"]
    assert stub.Evaluate(pb.EvaluateRequest(project=_profile(name)),
                         timeout=30).assessment.verdict == pb.VERDICT_DO_NOT_FINE_TUNE
    listed = _api(hook, "GET", f"/v1/waivers?projectName={name}&state=WAIVER_STATE_REVOKED",
                  token=None)
    assert [w["id"] for w in listed.json["waivers"]] == [waiver["id"]]
    missing = _api(hook, "POST", "/v1/waivers/no-such-waiver:revoke")
    assert missing.status == 404


BAD = [
    ({"ruleIds": ["FM9.no-such-rule"]}, "waiver.rule_ids[0]", "no rule"),
    ({"ruleIds": ["FM6.low-volume", "FM6.low-volume"]}, "waiver.rule_ids[1]", "twice"),
    ({"expiresAt": "2020-01-01T00:00:00Z"}, "waiver.expires_at", "in the future"),
    ({"expiresAt": _in(days=31)}, "waiver.expires_at", "at most 30 days"),
    ({"reason": "  "}, "waiver.reason", "required"),
    ({"approvedBy": ""}, "waiver.approved_by", "required"),
    ({"projectName": "a\u0000b"}, "waiver.project_name", "NUL"),
    ({"ticket": "T\u0000"}, "waiver.ticket", "NUL"),
]


def test_a_bad_waiver_over_grpc_is_invalid_argument_naming_the_field(
        stub: pb_grpc.FineTuningAdvisorServiceStub) -> None:
    waiver = json_format.ParseDict(_waiver(["FM6.low-volume"], reason=""), pb.Waiver())
    with pytest.raises(grpc.RpcError) as caught:
        stub.GrantWaiver(pb.GrantWaiverRequest(waiver=waiver), timeout=30,
                         metadata=[("ftgate-waiver-token", TOKEN)])
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "waiver.reason" in str(caught.value.details())


@pytest.mark.parametrize(("change", "field", "words"), BAD)
def test_bad_waivers_are_refused_by_field(hook: Webhook, change: dict[str, Any], field: str,
                                          words: str) -> None:
    reply = _api(hook, "POST", "/v1/waivers", _waiver(["FM6.low-volume"]) | change)
    assert reply.status == 400, reply.body
    fields = dict(reply.violations)
    assert field in fields, reply.violations
    assert words in fields[field]


def test_a_warning_rule_cannot_be_waived(hook: Webhook) -> None:
    from ftgate.engine import Engine

    warning = next(r.id for r in Engine().ruleset.rules if r.severity == "WARNING")
    reply = _api(hook, "POST", "/v1/waivers", _waiver([warning]))
    assert reply.status == 400
    assert "only BLOCKER rules" in dict(reply.violations)["waiver.rule_ids[0]"]


def _ftgate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FTGATE, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def test_cli_grants_lists_and_revokes_in_the_store(tmp_path: Path) -> None:
    db = str(tmp_path / "audit.db")
    bad = _ftgate("waivers", "grant", "--project", PROJECT, "--rule", "FM6.low-volume",
                  "--reason", "", "--approved-by", "me", "--expires", "7d", "--audit-db", db)
    assert bad.returncode == 2 and "--reason: required" in bad.stderr, bad.stderr
    bad = _ftgate("waivers", "grant", "--project", PROJECT, "--rule", "FM9.nope",
                  "--reason", "r", "--approved-by", "me", "--expires", "7d", "--audit-db", db)
    assert bad.returncode == 2 and "--rule[0]: no rule" in bad.stderr, bad.stderr
    bad = _ftgate("waivers", "grant", "--project", PROJECT, "--rule", "FM6.low-volume",
                  "--reason", "r", "--approved-by", "me", "--expires", "200d", "--audit-db", db)
    assert bad.returncode == 2 and "--expires: at most 90 days" in bad.stderr, bad.stderr
    done = _ftgate("waivers", "grant", "--project", PROJECT, "--rule", "FM6.low-volume",
                   "--reason", "pilot", "--approved-by", "me", "--expires", "7d",
                   "--audit-db", db, "--output", "json")
    assert done.returncode == 0, done.stderr
    import json

    waiver_id = json.loads(done.stdout)["waiver"]["id"]
    listed = _ftgate("waivers", "list", "--audit-db", db, "--state", "active")
    assert waiver_id in listed.stdout and "active" in listed.stdout
    revoked = _ftgate("waivers", "revoke", waiver_id, "--audit-db", db)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    listed = _ftgate("waivers", "list", "--audit-db", db, "--state", "active")
    assert waiver_id not in listed.stdout
    missing = _ftgate("waivers", "revoke", "no-such-waiver", "--audit-db", db)
    assert missing.returncode == 1 and "no waiver" in missing.stderr




def test_check_prints_the_waiver_and_its_expiry(hook: Webhook, cert: ServerCert,
                                                stub: pb_grpc.FineTuningAdvisorServiceStub,
                                                tmp_path: Path) -> None:
    name = f"{PROJECT}-check"
    profile = tmp_path / "profile.yaml"
    profile.write_text(_profile_text(name), encoding="utf-8")
    flags = ("--server", hook.server.address, "--ca-cert", str(cert.cert))
    refused = _ftgate("check", str(profile), *flags)
    assert refused.returncode == 3, refused.stderr
    waiver = _grant(hook, _waiver(_blockers(stub), projectName=name))
    allowed = _ftgate("check", str(profile), *flags)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert f"waived by {waiver['id']}: does not block" in allowed.stdout
    assert f"{waiver['id']}: waives" in allowed.stdout
    assert f"expires {waiver['expiresAt'][:10]}" in allowed.stdout
    tokens = tmp_path / "token"
    tokens.write_text(TOKEN, encoding="utf-8")
    # The server's refusal of a bad waiver, named by flag: exit 2.
    bad = _ftgate("waivers", "grant", "--project", name, "--rule", "FM6.low-volume",
                  "--rule", "FM9.nope", "--reason", "r", "--approved-by", "", "--expires",
                  "7d", *flags, "--waiver-token-file", str(tokens))
    assert bad.returncode == 2, bad.stderr
    assert "--rule[1]: no rule" in bad.stderr and "--approved-by: required" in bad.stderr
    unauthorised = _ftgate("waivers", "grant", "--project", name, "--rule", "FM6.low-volume",
                           "--reason", "r", "--approved-by", "me", "--expires", "7d", *flags)
    assert unauthorised.returncode == 1 and "PERMISSION_DENIED" in unauthorised.stderr
    listed = _ftgate("waivers", "list", "--project", name, "--state", "active", *flags)
    assert waiver["id"] in listed.stdout and "active" in listed.stdout
    revoked = _ftgate("waivers", "revoke", waiver["id"], *flags,
                      "--waiver-token-file", str(tokens))
    assert revoked.returncode == 0, revoked.stderr
    assert _ftgate("check", str(profile), *flags).returncode == 3


def test_replay_decides_with_the_waivers_recorded(hook: Webhook,
                                                  stub: pb_grpc.FineTuningAdvisorServiceStub,
                                                  tmp_path: Path) -> None:
    """A decision made under a waiver (revoked since) replays as it was decided: with that
    waiver, the same answer; the report says how many were replayed so."""
    import json
    import shutil

    from ftgate.engine.engine import default_rules_dir

    name = f"{PROJECT}-replay"
    waiver = _grant(hook, _waiver(_blockers(stub), projectName=name))
    answer = stub.Evaluate(pb.EvaluateRequest(project=_profile(name)), timeout=30).assessment
    assert answer.verdict == pb.VERDICT_FINE_TUNE
    stub.RevokeWaiver(pb.RevokeWaiverRequest(waiver_id=waiver["id"]), timeout=30,
                      metadata=[("ftgate-waiver-token", TOKEN)])

    def recorded() -> bool:
        with sqlite3.connect(hook.audit_db) as db:
            return db.execute("SELECT 1 FROM decisions WHERE decision_id = ?",
                              (answer.decision_id,)).fetchone() is not None

    wait_until(recorded, 30, what="the decision recorded")
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    run = _ftgate("rules", "replay", "--rules", str(rules), "--audit-db", str(hook.audit_db),
                  "--output", "json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["changed"] == 0 and report["waived"] >= 1
    text = _ftgate("rules", "replay", "--rules", str(rules), "--audit-db", str(hook.audit_db))
    assert "decided with the waivers recorded with them" in text.stdout
