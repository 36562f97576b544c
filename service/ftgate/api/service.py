"""The API, without a transport: request messages in, response messages out.

Every front door (the gRPC servicer, the HTTP/JSON one) calls this class and maps its errors:
`ftgate.errors.InvalidInput` (the fields a client got wrong) and `api.status.StatusError` (a
status of its own: deadline, not found, audit log off). Evaluate and EvaluateBatch share one
decision path, `_decide`:

    request → drop unknown fields → decision cache? → validate (api/convert.py)
            → engine.decide → wire bytes (api/wire.py) → record (api/record.py) → answer

The two answer in wire format (bytes): the server sends them as they are.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from ftgate.api import convert, wire
from ftgate.api.audit_queries import DecisionLookup
from ftgate.api.cache import CachedAnswer, DecisionCache
from ftgate.api.limits import CallBudget
from ftgate.api.record import Decided, Recorder
from ftgate.domain.profile import Profile
from ftgate.engine import CompiledPolicy, Engine
from ftgate.errors import InvalidProfile, Violation
from ftgate.obs import tracing
from ftgate.v1 import advisor_pb2 as pb

# A profile of a call, validated or found in the cache: (as received, as validated, the cached
# answer or None, its cache key or None).
_LookedUp = tuple[pb.ProjectProfile, Profile, CachedAnswer | None, bytes | None]


class AdvisorService:
    """FineTuningAdvisorService's methods, for any transport."""

    def __init__(self, engine: Engine, recorder: Recorder, *, max_batch: int = 100,
                 cache: DecisionCache | None = None,
                 decisions: DecisionLookup | None = None) -> None:
        self.engine = engine
        self.recorder = recorder
        self.max_batch = max_batch
        self.cache = cache
        self.decisions = decisions or DecisionLookup(None)

    def evaluate(self, request: pb.EvaluateRequest, budget: CallBudget, *,
                 audit: bool = True) -> bytes:
        """The EvaluateResponse, serialized. `audit=False`: a dry run, kept out of the audit log
        (the admission webhook's dryRun requests)."""
        return wire.evaluate_response(
            self._decide((request.project,), ("project.",), budget, audit)[0])

    def evaluate_batch(self, request: pb.EvaluateBatchRequest, budget: CallBudget) -> bytes:
        """The EvaluateBatchResponse, serialized: every profile decided, or none."""
        projects = request.projects
        if len(projects) > self.max_batch:
            raise InvalidProfile([Violation("projects", f"at most {self.max_batch} projects per "
                                                        f"batch, got {len(projects)}")])
        if not projects:
            raise InvalidProfile([Violation("projects", "must hold at least one project")])
        prefixes = [f"projects[{i}]." for i in range(len(projects))]
        return wire.batch_response(self._decide(projects, prefixes, budget))

    def _decide(self, projects: Sequence[pb.ProjectProfile], prefixes: Sequence[str],
                budget: CallBudget, audit: bool = True) -> list[bytes]:
        """Decide each profile on one policy (the one active when the call started): validated
        all first (InvalidInput naming every bad field of every profile: nothing is decided
        then), each decided as the call's budget allows (CallStopped when it runs out), then
        each recorded; their Assessments."""
        policy = self.engine.policy
        looked_up: list[_LookedUp] = []
        violations: list[Violation] = []
        with tracing.span("ftgate.validate"):
            self._validate(projects, prefixes, policy, looked_up, violations)
        if violations:
            raise InvalidProfile(violations)
        with tracing.span("ftgate.evaluate"):
            decided = self._evaluate(looked_up, policy, budget)
        # Recorded once all are decided: a call stopped part-way answers nothing, so it records
        # nothing either.
        return self.recorder.record_all(decided, budget.expires, audit)

    def _validate(self, projects: Sequence[pb.ProjectProfile], prefixes: Sequence[str],
                  policy: CompiledPolicy, looked_up: list[_LookedUp],
                  violations: list[Violation]) -> None:
        cache = self.cache
        for project, prefix in zip(projects, prefixes, strict=True):
            # Unknown fields are nobody's business: never cached, stored or echoed.
            project.DiscardUnknownFields()
            key = hit = None
            if cache is not None:
                key = project.SerializeToString(deterministic=True)
                hit = cache.get(policy, key)
            if hit is not None:
                looked_up.append((project, hit.profile, hit, key))
                continue
            try:
                looked_up.append((project, convert.profile_from_proto(project, prefix), None, key))
            except InvalidProfile as exc:
                violations += exc.violations

    def _evaluate(self, looked_up: list[_LookedUp], policy: CompiledPolicy,
                  budget: CallBudget) -> list[Decided]:
        writer: wire.AssessmentWriter | None = None  # (only needed for a miss)
        decided: list[Decided] = []
        for project, profile, hit, key in looked_up:
            budget.check()
            if hit is not None:
                decided.append(Decided(project, profile, hit.decision, hit.body, policy, None,
                                       None))
                continue
            started = time.perf_counter()
            decision = policy.decide(profile)
            seconds = time.perf_counter() - started
            writer = writer or wire.writer_for(policy)
            decided.append(Decided(project, profile, decision, writer.body(decision), policy,
                                   seconds, key))
        return decided

    def check_regression(self, request: pb.CheckRegressionRequest,
                         ) -> pb.CheckRegressionResponse:
        report = self.engine.check_regression(*convert.regression_request(request))
        return convert.regression_to_proto(report)

    def list_rules(self, request: pb.ListRulesRequest) -> pb.ListRulesResponse:
        return convert.rules_to_proto(self.engine.ruleset)

    def get_decision(self, request: pb.GetDecisionRequest) -> pb.GetDecisionResponse:
        return self.decisions.get(request)

    def list_decisions(self, request: pb.ListDecisionsRequest) -> pb.ListDecisionsResponse:
        return self.decisions.list(request)
