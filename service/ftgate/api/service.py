"""The API, without a transport: request messages in, typed answers out.

Every front door (the gRPC servicer, the HTTP/JSON one, the webhook) calls this class and maps
its errors: `ftgate.errors.InvalidInput` (the fields a client got wrong) and the typed errors of
`api/errors.py` (unavailable, not found, deadline exceeded, cancelled…). Evaluate and
EvaluateBatch share one decision path, `_decide`:

    request → drop unknown fields → decision cache? → validate (api/convert.py)
            → engine.decide → record (api/record.py) → Answer (api/answer.py)

(A door whose input reader validated the profiles already, the HTTP door's
ftgate.profile_input, hands them over as `validated`: they are not checked twice.)

Each door writes the answers in its own format: the gRPC edge as bytes
(server/grpc/assessments.py), the HTTP edge as JSON; nothing here knows a wire format.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ftgate.api import clock, convert, outcomes, waivers
from ftgate.api.answer import Answer
from ftgate.api.audit_queries import DecisionLookup
from ftgate.api.cache import CachedAnswer, DecisionCache
from ftgate.api.limits import CallBudget
from ftgate.api.record import Decided, Recorder
from ftgate.api.waiver_book import WaiverBook
from ftgate.api.waivers import WaiverDesk
from ftgate.domain.profile import Profile
from ftgate.domain.waiver import Waiver, active_for
from ftgate.engine import CompiledPolicy, Engine
from ftgate.errors import InvalidProfile, Violation
from ftgate.languages import DEFAULT_LANGUAGE
from ftgate.obs import tracing
from ftgate.v1 import advisor_pb2 as pb

# A profile of a call, validated or found in the cache: (as received, as validated, the cached
# answer or None, its cache key or None).
_LookedUp = tuple[pb.ProjectProfile, Profile, CachedAnswer | None, bytes | None]


class _Waivers(NamedTuple):
    """The waivers a call decides with, and the time they are judged at."""

    waivers: tuple[Waiver, ...]
    now_us: int  # µs since the epoch


@dataclass(frozen=True, slots=True)
class Asked:
    """What a call asks for beyond the verdict: explanations, and the language of the texts."""

    explain: bool = False
    lang: str = DEFAULT_LANGUAGE

    def key_prefix(self, waiver_ids: Sequence[str] = ()) -> bytes:
        """What sets the cache key of such an answer apart: nothing for the default; else a
        0 byte (a serialized profile never starts with one: field 0 does not exist). The ids of
        the project's active waivers are part of it: a grant, revocation or expiry is a miss."""
        if not self.explain and self.lang == DEFAULT_LANGUAGE and not waiver_ids:
            return b""
        return (b"\x00" + f"{self.lang}:{int(self.explain)}:{','.join(waiver_ids)}".encode()
                + b"\x00")


class AdvisorService:
    """FineTuningAdvisorService's methods, for any transport."""

    def __init__(self, engine: Engine, recorder: Recorder, *, max_batch: int = 100,
                 cache: DecisionCache | None = None,
                 decisions: DecisionLookup | None = None,
                 waiver_book: WaiverBook | None = None,
                 waiver_desk: WaiverDesk | None = None) -> None:
        self.engine = engine
        self.recorder = recorder
        self.max_batch = max_batch
        self.cache = cache
        self.decisions = decisions or DecisionLookup(None)
        self.waiver_book = waiver_book or WaiverBook(self.decisions.store)
        self.waiver_desk = waiver_desk or WaiverDesk(self.decisions.store, lambda: engine.ruleset,
                                                     changed=self.waiver_book.changed)

    def evaluate(self, request: pb.EvaluateRequest, budget: CallBudget,
                 lang: str = DEFAULT_LANGUAGE, *, audit: bool = True,
                 validated: Sequence[Profile] | None = None) -> Answer:
        """The answer of an Evaluate; its texts in `lang` (api/language.py).
        `audit=False`: a dry run, kept out of the audit log (the admission webhook's dryRun).
        `validated`: the request's profile as a door's input reader already validated it
        (api/convert.profile_from_proto on the same message: ftgate.profile_input), not
        checked again."""
        return self._decide((request.project,), ("project.",), budget,
                            Asked(request.explain, lang), audit, validated)[0]

    def evaluate_batch(self, request: pb.EvaluateBatchRequest, budget: CallBudget,
                       lang: str = DEFAULT_LANGUAGE, *,
                       validated: Sequence[Profile] | None = None) -> list[Answer]:
        """The answers of an EvaluateBatch, in order: every profile decided, or none.
        `validated`: as for `evaluate`, each profile in order."""
        projects = request.projects
        if len(projects) > self.max_batch:
            raise InvalidProfile([Violation("projects", f"at most {self.max_batch} projects per "
                                                        f"batch, got {len(projects)}")])
        if not projects:
            raise InvalidProfile([Violation("projects", "must hold at least one project")])
        prefixes = [f"projects[{i}]." for i in range(len(projects))]
        return self._decide(projects, prefixes, budget, Asked(request.explain, lang),
                            validated=validated)

    def _decide(self, projects: Sequence[pb.ProjectProfile], prefixes: Sequence[str],
                budget: CallBudget, asked: Asked, audit: bool = True,
                validated: Sequence[Profile] | None = None) -> list[Answer]:
        """Decide each profile on one policy (the one active when the call started): validated
        all first (InvalidInput naming every bad field of every profile: nothing is decided
        then), each decided as the call's budget allows (api.errors.CallStopped when it runs
        out), then each recorded; their answers."""
        policy = self.engine.policy
        looked_up: list[_LookedUp] = []
        violations: list[Violation] = []
        # The waivers, and the time they are judged at, for every profile of the call.
        book = _Waivers(self.waiver_book.current(), clock.now_us())
        with tracing.span("ftgate.validate"):
            self._validate(projects, prefixes, policy, asked, looked_up, violations, book,
                           validated if validated and len(validated) == len(projects)
                           else None)
        if violations:
            raise InvalidProfile(violations)
        with tracing.span("ftgate.evaluate"):
            decided = self._evaluate(looked_up, policy, budget, asked, book)
        # Recorded once all are decided: a call stopped part-way answers nothing, so it records
        # nothing either.
        return self.recorder.record_all(decided, budget.expires, audit)

    def _validate(self, projects: Sequence[pb.ProjectProfile], prefixes: Sequence[str],
                  policy: CompiledPolicy, asked: Asked, looked_up: list[_LookedUp],
                  violations: list[Violation], book: _Waivers,
                  validated: Sequence[Profile] | None) -> None:
        cache = self.cache
        for i, (project, prefix) in enumerate(zip(projects, prefixes, strict=True)):
            # Unknown fields are nobody's business: never cached, stored or echoed.
            project.DiscardUnknownFields()
            key = hit = None
            if cache is not None:
                active = (active_for(book.waivers, project.name, book.now_us)
                          if book.waivers else ())
                key = (asked.key_prefix(tuple(w.id for w in active))
                       + project.SerializeToString(deterministic=True))
                hit = cache.get(policy, key)
            if hit is not None:
                looked_up.append((project, hit.profile, hit, key))
                continue
            if validated is not None:
                looked_up.append((project, validated[i], None, key))
                continue
            try:
                looked_up.append((project, convert.profile_from_proto(project, prefix), None, key))
            except InvalidProfile as exc:
                violations += exc.violations

    def _evaluate(self, looked_up: list[_LookedUp], policy: CompiledPolicy,
                  budget: CallBudget, asked: Asked, book: _Waivers) -> list[Decided]:
        decided: list[Decided] = []
        for project, profile, hit, key in looked_up:
            budget.check()
            if hit is not None:
                decided.append(Decided(project, profile, hit.decision, policy, None, None,
                                       asked.lang, asked.explain))
                continue
            started = time.perf_counter()
            decision = policy.decide(profile, explain=asked.explain, lang=asked.lang,
                                     waivers=book.waivers, now_us=book.now_us)
            seconds = time.perf_counter() - started
            decided.append(Decided(project, profile, decision, policy, seconds, key, asked.lang,
                                   asked.explain))
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

    def record_outcome(self, request: pb.RecordOutcomeRequest) -> pb.RecordOutcomeResponse:
        return outcomes.record_outcome(self.decisions.store, request)

    def grant_waiver(self, request: pb.GrantWaiverRequest,
                     token: str | None) -> pb.GrantWaiverResponse:
        return self.waiver_desk.grant(request, token)

    def list_waivers(self, request: pb.ListWaiversRequest) -> pb.ListWaiversResponse:
        return waivers.list_waivers(self.decisions.store, request)

    def revoke_waiver(self, request: pb.RevokeWaiverRequest,
                      token: str | None) -> pb.RevokeWaiverResponse:
        return self.waiver_desk.revoke(request, token)
