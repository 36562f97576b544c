"""POST /k8s/validate over HTTPS on a live `ftgate serve`: AdmissionReview v1 requests as the API
server sends them (Jobs and a JobSet), every answer checked against the AdmissionReview schema
and echoing the request's uid."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Webhook
from k8s import job, jobset, review
from opstools import wait_until

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "service" / "ftgate" / "examples"
GATE = {"ftgate.dev/gate": "enforce"}


def profile(example: str) -> str:
    return (EXAMPLES / example).read_text(encoding="utf-8")


def gated_job(example: str = "support-ticket-classifier.yaml", **kw: Any) -> dict[str, Any]:
    return job(labels=GATE, annotations={"ftgate.dev/profile": profile(example)}, **kw)


def audited(hook: Webhook, decision_id: str) -> bool:
    with sqlite3.connect(hook.audit_db) as db:
        return db.execute("SELECT 1 FROM decisions WHERE decision_id = ?",
                          (decision_id,)).fetchone() is not None


def test_fine_tune_is_allowed_with_the_decision_id(webhook: Webhook) -> None:
    answer = webhook.admit(review(gated_job()))
    assert answer["allowed"] is True
    decision_id = answer["auditAnnotations"]["decision-id"]
    assert answer["auditAnnotations"]["ruleset-version"].startswith("sha256:")
    assert "status" not in answer
    (warning,) = answer["warnings"]
    assert "FINE_TUNE" in warning and decision_id in warning
    wait_until(lambda: audited(webhook, decision_id), 30, what="the decision in the audit log")


def test_do_not_fine_tune_is_refused_with_reasons_to_act_on(webhook: Webhook) -> None:
    answer = webhook.admit(review(gated_job("low-volume-roi.yaml")))
    assert answer["allowed"] is False
    status = answer["status"]
    assert status["code"] == 403 and status["reason"] == "Forbidden"
    message = status["message"]
    decision_id = answer["auditAnnotations"]["decision-id"]
    assert "DO_NOT_FINE_TUNE" in message and "PROMPT_ENGINEERING" in message
    assert "Blocked at step 5" in message and "1,000 requests/day" in message
    assert "Instead: prompt engineering" in message
    assert decision_id in message


def test_needs_information_is_refused_listing_the_missing_fields(webhook: Webhook) -> None:
    answer = webhook.admit(review(gated_job("sql-assistant-incomplete.json")))
    assert answer["allowed"] is False
    assert answer["status"]["code"] == 422
    message = answer["status"]["message"]
    assert "NEEDS_INFORMATION" in message
    assert "  - data_change_frequency" in message
    assert answer["auditAnnotations"]["decision-id"] in message


def test_a_labelled_job_without_the_profile_annotation_is_refused(webhook: Webhook) -> None:
    answer = webhook.admit(review(job(labels=GATE)))
    assert answer["allowed"] is False
    assert "ftgate.dev/profile" in answer["status"]["message"]
    assert "auditAnnotations" not in answer


@pytest.mark.parametrize("text, named", [
    ("name: x\nqualityExamples: many\n", "ftgate.dev/profile:2: project.qualityExamples"),
    ("name: x\nbaseModelScore: 1.5\n", "ftgate.dev/profile:2: project.baseModelScore"),
    ("{not yaml: [", "ftgate.dev/profile:1"),
    ("name: x\nqualityExampels: 3\n", "qualityExampels"),
])
def test_a_profile_that_does_not_read_or_validate_is_refused_naming_the_field(
        webhook: Webhook, text: str, named: str) -> None:
    answer = webhook.admit(review(job(labels=GATE, annotations={"ftgate.dev/profile": text})))
    assert answer["allowed"] is False
    assert answer["status"]["code"] == 422
    assert named in answer["status"]["message"], answer["status"]["message"]


def test_unlabelled_objects_are_allowed_without_a_decision(webhook: Webhook) -> None:
    for labels in (None, {"ftgate.dev/gate": "off"}):
        answer = webhook.admit(review(job(labels=labels)))
        assert answer == {"uid": answer["uid"], "allowed": True}


def test_dry_run_is_answered_but_not_audited(webhook: Webhook) -> None:
    dry = webhook.admit(review(gated_job(), dry_run=True))
    assert dry["allowed"] is True
    dry_id = dry["auditAnnotations"]["decision-id"]
    assert "dry run" in dry["warnings"][0]
    refused = webhook.admit(review(gated_job("low-volume-roi.yaml"), dry_run=True))
    assert refused["allowed"] is False and "dry run, not recorded" in refused["status"]["message"]
    # The audit log is written in order: once a later decision is there, an earlier one would be.
    later = webhook.admit(review(gated_job()))["auditAnnotations"]["decision-id"]
    wait_until(lambda: audited(webhook, later), 30, what="the later decision in the audit log")
    assert not audited(webhook, dry_id)
    assert not audited(webhook, refused["auditAnnotations"]["decision-id"])


def test_an_update_that_keeps_the_profile_needs_no_new_decision(webhook: Webhook) -> None:
    # Even a refused profile: the object exists, so it was admitted (before the webhook, or in
    # warn mode); only a new profile is decided again.
    old = gated_job("low-volume-roi.yaml")
    new = copy.deepcopy(old)
    new["metadata"]["labels"]["team"] = "ml"
    new["spec"]["suspend"] = True
    answer = webhook.admit(review(new, "UPDATE", old=old))
    assert answer == {"uid": answer["uid"], "allowed": True}


def test_an_update_that_changes_the_profile_is_decided_again(webhook: Webhook) -> None:
    old = gated_job()
    new = gated_job("low-volume-roi.yaml")
    answer = webhook.admit(review(new, "UPDATE", old=old))
    assert answer["allowed"] is False and "DO_NOT_FINE_TUNE" in answer["status"]["message"]
    unlabelled_before = job(annotations=new["metadata"]["annotations"])
    answer = webhook.admit(review(new, "UPDATE", old=unlabelled_before))
    assert answer["allowed"] is False, "a label added to an object gates it from then on"


def test_delete_is_not_gated(webhook: Webhook) -> None:
    answer = webhook.admit(review(None, "DELETE", old=gated_job("low-volume-roi.yaml")))
    assert answer == {"uid": answer["uid"], "allowed": True}


def test_a_custom_kind_named_by_admission_kinds_is_gated(webhook: Webhook) -> None:
    allowed = webhook.admit(review(jobset(labels=GATE, annotations={
        "ftgate.dev/profile": profile("support-ticket-classifier.yaml")})))
    assert allowed["allowed"] is True and "decision-id" in allowed["auditAnnotations"]
    refused = webhook.admit(review(jobset(labels=GATE, annotations={
        "ftgate.dev/profile": profile("low-volume-roi.yaml")})))
    assert refused["allowed"] is False


def test_a_labelled_kind_the_server_does_not_gate_is_refused_naming_the_flag(
        webhook: Webhook) -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": "x", "namespace": "ml-team", "labels": GATE},
                  "spec": {"selector": {"matchLabels": {"a": "b"}},
                           "template": {"metadata": {"labels": {"a": "b"}},
                                        "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    answer = webhook.admit(review(deployment))
    assert answer["allowed"] is False
    assert "--admission-kinds 'apps/v1 Deployment'" in answer["status"]["message"]


def test_warn_mode_admits_and_says_what_it_would_refuse(warn_webhook: Webhook) -> None:
    answer = warn_webhook.admit(review(gated_job("low-volume-roi.yaml")))
    assert answer["allowed"] is True and "status" not in answer
    warnings = answer["warnings"]
    assert "--admission-mode warn" in warnings[0]
    assert any("DO_NOT_FINE_TUNE" in w for w in warnings)
    assert any(answer["auditAnnotations"]["decision-id"] in w for w in warnings)
    assert all(len(w) <= 256 for w in warnings)
    missing = warn_webhook.admit(review(job(labels=GATE)))
    assert missing["allowed"] is True and any("ftgate.dev/profile" in w
                                              for w in missing["warnings"])
    # A JobSet is not gated by this server: it too is admitted, with the reason as a warning.
    other = warn_webhook.admit(review(jobset(labels=GATE)))
    assert other["allowed"] is True and any("--admission-kinds" in w for w in other["warnings"])


def test_the_documented_examples_get_the_documented_answers(webhook: Webhook) -> None:
    examples = REPO / "docs" / "gate" / "admission"
    expected = {"job.yaml": True, "job-refused.yaml": False, "jobset.yaml": True}
    assert sorted(p.name for p in examples.glob("*.yaml")) == sorted(expected)
    for name, allowed in expected.items():
        obj = yaml.safe_load((examples / name).read_text(encoding="utf-8"))
        if obj["kind"] == "Job":
            job(obj["metadata"]["name"], obj["metadata"]["labels"],
                obj["metadata"]["annotations"])  # the schema check of a Job like it
        assert webhook.admit(review(obj))["allowed"] is allowed, name


def test_the_documented_refusal_is_what_the_server_answers(webhook: Webhook) -> None:
    """docs/gate.md shows a captured refusal: it must still be the server's words."""
    import re

    text = (REPO / "docs" / "gate.md").read_text(encoding="utf-8")
    section = text[text.index("### What `kubectl apply` prints when the job is refused"):]
    block = section.split("```\n", 2)[1]
    prefix = 'admission webhook "gate.ftgate.dev" denied the request: '
    documented = block[block.index(prefix) + len(prefix):].rstrip("\n")
    obj = yaml.safe_load((REPO / "docs/gate/admission/job-refused.yaml").read_text())
    message = webhook.admit(review(obj))["status"]["message"]

    def plain(s: str) -> str:
        s = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", s)
        return re.sub(r"sha256:[0-9a-f]+", "VERSION", s)

    assert plain(documented) == plain(message)


def test_the_server_log_ties_the_job_to_its_decision(webhook: Webhook) -> None:
    import json

    document = review(gated_job())
    decision_id = webhook.admit(document)["auditAnnotations"]["decision-id"]

    def line() -> dict[str, Any] | None:
        for text in webhook.server.log().splitlines():
            if decision_id in text and '"admission"' in text:
                return dict(json.loads(text))
        return None

    event = wait_until(line, 30, what="the admission log line")
    assert event["uid"] == document["request"]["uid"]
    assert (event["kind"], event["namespace"], event["name"]) == ("batch/v1 Job", "ml-team",
                                                                  "fine-tune")
    assert event["user"] == "alice@example.com" and event["allowed"] is True


def test_reviews_are_counted_by_answer(webhook: Webhook) -> None:
    from opstools import metric, scrape

    def count(answer: str) -> float:
        return metric(scrape(webhook.server), "ftgate_admission_reviews_total", answer=answer)

    before = {a: count(a) for a in ("admitted", "refused", "not_gated", "unchanged")}
    webhook.admit(review(gated_job()))
    webhook.admit(review(gated_job("low-volume-roi.yaml")))
    webhook.admit(review(job()))
    old = gated_job()
    webhook.admit(review(copy.deepcopy(old), "UPDATE", old=old))
    for answer in before:
        assert count(answer) == before[answer] + 1, answer  # counted before the answer is sent
