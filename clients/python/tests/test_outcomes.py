"""record_outcome against a live server with an audit log: recorded, replaced, refused by field."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ftgate_client import Client, InvalidArgument, NotFound, v1

from _server import FtgateServer

PROFILE = {
    "name": "outcome",
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
    "economics": {"requestsPerDay": 20000, "savingsPerRequestUsd": 0.05, "investmentUsd": 1000},
}


@pytest.fixture(scope="module")
def audited() -> Iterator[Client]:
    with tempfile.TemporaryDirectory() as tmp:
        server = FtgateServer(
            args=("--audit-db", str(Path(tmp) / "audit.db"), "--audit-durability", "sync")
        ).start()
        try:
            with Client(server.address, timeout=10) as client:
                yield client
        finally:
            server.stop()


def test_record_outcome(audited: Client) -> None:
    decision = audited.evaluate(PROFILE).decision_id
    first = audited.record_outcome(decision, {"fineTuned": True, "metTarget": False})
    assert first.verdict == v1.Verdict.VERDICT_FINE_TUNE and not first.replaced
    again = audited.record_outcome(
        decision, v1.ProjectOutcome(fine_tuned=True, met_target=True, monthly_savings_usd=900)
    )
    assert again.replaced and again.decision_id == decision
    with pytest.raises(InvalidArgument) as info:
        audited.record_outcome(decision, {"fineTuned": True, "measuredScore": 2})
    assert "outcome.measured_score" in info.value.fields
    with pytest.raises(InvalidArgument) as info:
        audited.record_outcome(decision, {"fineTuned": "perhaps"})
    assert info.value.fields and info.value.fields[0].startswith("outcome")
    with pytest.raises(NotFound):
        audited.record_outcome("0f8fad5b-d9cb-469f-a165-70867728950e", {"fineTuned": False})
