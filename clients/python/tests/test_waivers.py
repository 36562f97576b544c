"""grant_waiver, list_waivers and revoke_waiver against a live server with an audit log and a
waiver token file: a blocked profile allowed under the waiver, refused again once it is revoked,
a bad waiver refused by field, a write without the token refused."""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ftgate_client import Client, InvalidArgument, PermissionDenied, v1

from _server import FtgateServer

TOKEN = "sdk-waiver-token"
PROFILE = {
    "name": "sdk-low-volume",
    "taskType": "TASK_TYPE_CLASSIFICATION",
    "goal": "GOAL_STYLE",
    "qualityExamples": 5000,
    "dataChangeFrequency": "CHANGE_FREQUENCY_STATIC",
    "baseModelScore": 0.5,
    "targetScore": 0.9,
    "dedicatedModel": True,
    "plannedMethod": "TUNING_METHOD_LORA",
    "promptEngineering": {
        "promptVariationsTested": 6,
        "fewShotTried": True,
        "moreCapableModelTried": True,
    },
    "economics": {"requestsPerDay": 2000, "savingsPerRequestUsd": 0.05, "investmentUsd": 1000},
}


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with tempfile.TemporaryDirectory() as tmp:
        tokens = Path(tmp) / "waiver-tokens"
        tokens.write_text(TOKEN + "\n", encoding="utf-8")
        server = FtgateServer(
            args=("--audit-db", str(Path(tmp) / "audit.db"), "--waiver-tokens", str(tokens))
        ).start()
        try:
            with Client(server.address, timeout=10) as c:
                yield c
        finally:
            server.stop()


def _in_days(days: int) -> str:
    when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)
    return when.isoformat().replace("+00:00", "Z")


def test_grant_list_revoke(client: Client) -> None:
    refused = client.evaluate(PROFILE)
    assert refused.verdict == v1.Verdict.VERDICT_DO_NOT_FINE_TUNE
    rules = [f.rule_id for f in refused.findings if f.severity == v1.Severity.SEVERITY_BLOCKER]
    waiver = client.grant_waiver(
        {
            "projectName": PROFILE["name"],
            "ruleIds": rules,
            "reason": "pilot",
            "approvedBy": "cto",
            "expiresAt": _in_days(3),
        },
        waiver_token=TOKEN,
    )
    allowed = client.evaluate(PROFILE)
    assert allowed.verdict == v1.Verdict.VERDICT_FINE_TUNE
    assert [w.id for w in allowed.waivers_applied] == [waiver.id]
    assert [w.id for w in client.list_waivers(project_name=PROFILE["name"], state="active")] == [
        waiver.id
    ]
    revoked = client.revoke_waiver(waiver.id, waiver_token=TOKEN)
    assert revoked.HasField("revoked_at")
    assert client.evaluate(PROFILE).verdict == v1.Verdict.VERDICT_DO_NOT_FINE_TUNE
    assert client.list_waivers(state="active") == []


def test_bad_waivers_and_missing_tokens(client: Client) -> None:
    good = {
        "projectName": "x",
        "ruleIds": ["FM6.low-volume"],
        "reason": "r",
        "approvedBy": "cto",
        "expiresAt": _in_days(3),
    }
    with pytest.raises(InvalidArgument) as info:
        client.grant_waiver({**good, "reason": ""}, waiver_token=TOKEN)
    assert "waiver.reason" in info.value.fields
    with pytest.raises(PermissionDenied):
        client.grant_waiver(good, waiver_token="wrong")
