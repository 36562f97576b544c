"""Synthetic stored decisions, for store tests that need many rows fast."""

from __future__ import annotations

import uuid

from ftgate.audit import StoredDecision
from ftgate.v1 import advisor_pb2 as pb

VERDICTS = ("VERDICT_FINE_TUNE", "VERDICT_DO_NOT_FINE_TUNE", "VERDICT_NEEDS_INFORMATION")


def row(i: int, decided_at_us: int, payload: int = 0) -> StoredDecision:
    name = f"p{i}"
    return StoredDecision(
        decision_id=str(uuid.uuid4()), decided_at_us=decided_at_us, ruleset_version="v-test",
        project_name=name, verdict=VERDICTS[i % 3], outcome=None, findings="[]",
        profile_json=f'{{"name": "{name}"}}',
        project=pb.ProjectProfile(name=name).SerializeToString(),
        assessment=pb.Assessment(project_name=name, missing_fields=["x" * payload]).SerializeToString())
