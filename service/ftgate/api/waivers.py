"""GrantWaiver, ListWaivers, RevokeWaiver: waivers checked field by field, stored, listed.

`waiver_from_proto` is the one reader of a Waiver: the gRPC and HTTP doors (through
AdvisorService) and `ftgate waivers grant --audit-db` all check waivers with it. Writing needs
a waiver token (`ftgate-waiver-token` metadata or HTTP header, from --waiver-tokens): a server
started without that flag refuses every write (api.errors.PermissionDenied).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from ftgate.api.clock import now_us
from ftgate.api.convert import NUL, text_problems
from ftgate.api.errors import FailedPrecondition, NotFound, PermissionDenied, Unavailable
from ftgate.assessment import waiver_message
from ftgate.audit.backend import AuditStore
from ftgate.audit.errors import StoreError
from ftgate.domain.waiver import Waiver
from ftgate.errors import InvalidInput, Violation
from ftgate.ruleset import RuleSet
from ftgate.v1 import advisor_pb2 as pb

TOKEN_HEADER = "ftgate-waiver-token"
DEFAULT_MAX_DAYS = 90
MAX_TEXT_CHARS = 2000
MAX_RULES = 64
_DAY_US = 86_400_000_000
_STATES = {pb.WAIVER_STATE_ACTIVE: "ACTIVE", pb.WAIVER_STATE_EXPIRED: "EXPIRED",
           pb.WAIVER_STATE_REVOKED: "REVOKED"}




def _text(value: str, field: str, required: bool, violations: list[Violation],
          limit: int = MAX_TEXT_CHARS) -> None:
    problems = text_problems(value, limit)
    if required and not value.strip() and not problems:
        problems = ["required: must not be empty"]
    violations += (Violation(field, p) for p in problems)


def waiver_from_proto(w: pb.Waiver, ruleset: RuleSet, at_us: int,
                      max_days: int = DEFAULT_MAX_DAYS, prefix: str = "waiver.") -> Waiver:
    """The waiver to store, granted at `at_us` with a new id; InvalidInput naming each bad field
    (`waiver.rule_ids[1]`, `waiver.expires_at`...)."""
    violations: list[Violation] = []
    _text(w.project_name, f"{prefix}project_name", True, violations, 256)
    _text(w.reason, f"{prefix}reason", True, violations)
    _text(w.ticket, f"{prefix}ticket", False, violations, 256)
    _text(w.approved_by, f"{prefix}approved_by", True, violations, 256)
    if not w.rule_ids:
        violations.append(Violation(f"{prefix}rule_ids", "required: name at least one BLOCKER "
                                                          "rule"))
    elif len(w.rule_ids) > MAX_RULES:
        violations.append(Violation(f"{prefix}rule_ids", f"at most {MAX_RULES} rules"))
    severity = {r.id: r.severity for r in ruleset.rules}
    for i, rule_id in enumerate(w.rule_ids):
        field = f"{prefix}rule_ids[{i}]"
        if NUL in rule_id:
            violations += (Violation(field, p) for p in text_problems(rule_id, len(rule_id)))
        elif rule_id not in severity:
            violations.append(Violation(field, f"no rule {rule_id[:80]!r} in the loaded rules "
                                               f"(ftgate rules list)"))
        elif severity[rule_id] != "BLOCKER":
            kind = severity[rule_id] or "non-failure-mode"
            violations.append(Violation(field, f"{rule_id} is a {kind} rule: only BLOCKER "
                                               f"rules can be waived"))
        elif rule_id in w.rule_ids[:i]:
            violations.append(Violation(field, f"{rule_id} is listed twice"))
    expires = w.expires_at.ToMicroseconds() if w.HasField("expires_at") else None
    if expires is None:
        violations.append(Violation(f"{prefix}expires_at", "required: when the waiver ends"))
    elif expires <= at_us:
        violations.append(Violation(f"{prefix}expires_at", "must be in the future"))
    elif expires > at_us + max_days * _DAY_US:
        violations.append(Violation(f"{prefix}expires_at",
                                    f"at most {max_days} days ahead (the server's "
                                    f"--max-waiver-days)"))
    if violations:
        raise InvalidInput(violations)
    return Waiver(str(uuid.uuid4()), w.project_name, tuple(w.rule_ids), w.reason, w.ticket,
                  w.approved_by, at_us, expires or 0, None)


def _unavailable(exc: StoreError) -> Unavailable:
    return Unavailable(f"the audit store cannot answer now: {exc}")


def _need(store: AuditStore | None) -> AuditStore:
    if store is None:
        raise FailedPrecondition("the audit log is off: start the server with --audit-db PATH")
    return store


def list_waivers(store: AuditStore | None, request: pb.ListWaiversRequest,
                 at_us: int | None = None) -> pb.ListWaiversResponse:
    """ListWaivers: newest first, filtered by project and by state at `at_us` (default now)."""
    if request.state not in pb.WaiverState.values():
        raise InvalidInput([Violation("state", f"unknown waiver state {request.state}")])
    try:
        found = _need(store).list_waivers(request.project_name or None)
    except StoreError as exc:
        raise _unavailable(exc) from None
    now = now_us() if at_us is None else at_us
    state = _STATES.get(request.state)
    return pb.ListWaiversResponse(waivers=[waiver_message(w) for w in found
                                           if state is None or w.state(now) == state])


@dataclass
class WaiverDesk:
    """The writing side: who may write (`allows(token)`; None: nobody through the server),
    the store, the rules a waiver is checked against, how far ahead it may run, and what to
    tell once a waiver changed (the book's refresh)."""

    store: AuditStore | None
    ruleset: Callable[[], RuleSet]
    allows: Callable[[str | None], bool] | None = None
    max_days: int = DEFAULT_MAX_DAYS
    changed: Callable[[], None] = lambda: None

    def _check_token(self, token: str | None) -> None:
        if self.allows is None:
            raise PermissionDenied("waivers cannot be written through this server (it runs "
                                   "without --waiver-tokens); use ftgate waivers grant "
                                   "--audit-db")
        if not self.allows(token):
            raise PermissionDenied(f"missing or unknown waiver token (the {TOKEN_HEADER} "
                                   f"header)")

    def grant(self, request: pb.GrantWaiverRequest, token: str | None,
              ) -> pb.GrantWaiverResponse:
        self._check_token(token)
        store = _need(self.store)
        if not request.HasField("waiver"):
            raise InvalidInput([Violation("waiver", "missing: give the waiver")])
        waiver = waiver_from_proto(request.waiver, self.ruleset(), now_us(), self.max_days)
        try:
            store.grant_waiver(waiver)
        except StoreError as exc:
            raise _unavailable(exc) from None
        self.changed()
        return pb.GrantWaiverResponse(waiver=waiver_message(waiver))

    def revoke(self, request: pb.RevokeWaiverRequest, token: str | None,
               ) -> pb.RevokeWaiverResponse:
        self._check_token(token)
        store = _need(self.store)
        waiver_id = request.waiver_id.strip()
        if not waiver_id or "\x00" in waiver_id:
            raise InvalidInput([Violation("waiver_id", "required: the id of a waiver")])
        try:
            found = store.revoke_waiver(waiver_id, now_us())
        except StoreError as exc:
            raise _unavailable(exc) from None
        if found is None:
            raise NotFound(f"no waiver {waiver_id[:80]}")
        self.changed()
        return pb.RevokeWaiverResponse(waiver=waiver_message(found))
