"""Answer: what the service hands every door for one decided profile (typed, no wire format).

The gRPC edge writes it as Assessment bytes (server/grpc/assessments.py), the HTTP edge and the
webhook as the proto3 JSON mapping (server/http/assessment_json.py) or their own words, the CLI
as its report; nothing on the request path parses an answer back.
"""

from __future__ import annotations

from dataclasses import dataclass

from ftgate.domain.decision import Decision


@dataclass(frozen=True, slots=True)
class Answer:
    """One decision as answered: its id, the Decision, and what the call asked for."""

    decision_id: str
    decision: Decision
    policy: object  # the compiled policy that made it (the edges key their caches by it)
    lang: str  # of the Decision's texts
    explained: bool  # explanations asked for (the Decision holds them then)

    @property
    def ruleset_version(self) -> str:
        return self.decision.ruleset_version
