"""GetDecision and ListDecisions: requests checked, the decision store queried, rows → messages."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import structlog
from google.protobuf.timestamp_pb2 import Timestamp

from ftgate.api.errors import DataLoss, FailedPrecondition, NotFound, Unavailable
from ftgate.audit import AuditFileError, BadPageToken, DecisionQuery, StoredDecision, damage
from ftgate.audit.backend import AuditStore
from ftgate.audit.errors import StoreError
from ftgate.audit.page_token import MAX_TOKEN_CHARS
from ftgate.errors import InvalidInput, Violation
from ftgate.v1 import advisor_pb2 as pb

log = structlog.get_logger("ftgate")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
# What one ListDecisions page may hold (stored input and answer of its decisions, past the
# first): well under the 4 MiB a default gRPC client accepts. The rest comes on the next page.
MAX_PAGE_BYTES = 1024 * 1024
# google.protobuf.Timestamp's range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
_MIN_SECONDS, _MAX_SECONDS = -62_135_596_800, 253_402_300_799


def parse_decision_id(text: str, field: str = "decision_id") -> str:
    """The canonical (lower-case, hyphenated) form of a decision id; InvalidInput otherwise."""
    try:
        if len(text) != 36:
            raise ValueError
        canonical = str(uuid.UUID(text))
    except ValueError:
        raise InvalidInput([Violation(field, "not a decision id (a UUID such as "
                                             "'0f8fad5b-d9cb-469f-a165-70867728950e')")]) from None
    return canonical


def record_to_proto(row: StoredDecision) -> pb.DecisionRecord:
    """A stored decision as sent to a client: fields this service does not know (kept by
    servers that stored the input as received) are left out, so that a record stays the size
    of what ftgate understood, not of what a client padded it with."""
    why = damage.problem(row)
    if why is not None:
        raise damage.DamagedRecord(damage.decision_id_of(row), why)
    record = pb.DecisionRecord(decision_id=row.decision_id, ruleset_version=row.ruleset_version)
    record.decided_at.FromMicroseconds(row.decided_at_us)
    record.project.ParseFromString(row.project)
    record.assessment.ParseFromString(row.assessment)
    record.DiscardUnknownFields()
    return record


def _micros(stamp: Timestamp, field: str, violations: list[Violation]) -> int | None:
    """A Timestamp in microseconds; a violation naming `field` when out of its range."""
    if not _MIN_SECONDS <= stamp.seconds <= _MAX_SECONDS:
        violations.append(Violation(f"{field}.seconds", "outside the Timestamp range "
                                    "(0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z)"))
        return None
    if not 0 <= stamp.nanos < 1_000_000_000:
        violations.append(Violation(f"{field}.nanos", "must be in [0, 999999999]"))
        return None
    return int(stamp.ToMicroseconds())


def query_from_proto(request: pb.ListDecisionsRequest) -> tuple[DecisionQuery, int]:
    """The filters and the page size of a ListDecisions request; InvalidInput when bad."""
    violations: list[Violation] = []
    since = _micros(request.since, "since", violations) if request.HasField("since") else None
    until = _micros(request.until, "until", violations) if request.HasField("until") else None
    if since is not None and until is not None and since > until:
        violations.append(Violation("until", "must not be before since"))
    verdict = None
    if request.verdict:
        if request.verdict in pb.Verdict.values():
            verdict = pb.Verdict.Name(request.verdict)
        else:
            violations.append(Violation("verdict", f"unknown Verdict value {request.verdict}"))
    if request.page_size < 0:
        violations.append(Violation("page_size", "must not be negative"))
    if len(request.page_token) > MAX_TOKEN_CHARS:
        violations.append(Violation("page_token", f"longer than {MAX_TOKEN_CHARS} characters: "
                                    "not a page token of this service"))
    if violations:
        raise InvalidInput(violations)
    size = min(request.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    return DecisionQuery(since, until, verdict), size


class DecisionLookup:
    """Answers GetDecision and ListDecisions from a store (None: the audit log is off).
    `log_damaged`: log each damaged row met (a server; the CLI says it on stderr itself)."""

    def __init__(self, store: AuditStore | None, log_damaged: bool = True) -> None:
        self.store = store
        self.log_damaged = log_damaged

    def _store(self) -> AuditStore:
        if self.store is None:
            raise FailedPrecondition("the audit log is off: start the server with --audit-db PATH")
        return self.store

    def get(self, request: pb.GetDecisionRequest) -> pb.GetDecisionResponse:
        decision_id = parse_decision_id(request.decision_id)
        try:
            row = self._store().get(decision_id)
        except AuditFileError as exc:  # the file itself damaged
            raise DataLoss(str(exc)) from None
        except StoreError as exc:
            raise _unavailable(exc) from None
        if row is None:
            raise NotFound(f"no decision {decision_id}")
        try:
            return pb.GetDecisionResponse(decision=record_to_proto(row))
        except damage.DamagedRecord as exc:
            self._damaged([exc])
            raise DataLoss(f"{exc}: restore this row from a backup of the audit store; the "
                              f"other decisions are readable") from None

    def list(self, request: pb.ListDecisionsRequest) -> pb.ListDecisionsResponse:
        """A page; its damaged rows are left out (logged with their ids)."""
        page, damaged = self.list_page(request)
        self._damaged(damaged)
        return page

    def _damaged(self, damaged: Sequence[damage.DamagedRecord]) -> None:
        if self.log_damaged:
            for exc in damaged:
                log.error("audit_record_damaged", decision_id=exc.decision_id, error=exc.why)

    def list_page(self, request: pb.ListDecisionsRequest,
                  ) -> tuple[pb.ListDecisionsResponse, Sequence[damage.DamagedRecord]]:
        """A page, and the rows of it left out because they are damaged."""
        query, size = query_from_proto(request)
        try:
            rows, token = self._store().list(query, size, request.page_token, MAX_PAGE_BYTES)
        except BadPageToken as exc:
            raise InvalidInput([Violation("page_token", str(exc))]) from None
        except AuditFileError as exc:  # the file itself damaged
            raise DataLoss(str(exc)) from None
        except StoreError as exc:
            raise _unavailable(exc) from None
        records, damaged = _records(rows)
        return pb.ListDecisionsResponse(decisions=records, next_page_token=token), damaged


def _records(rows: Sequence[StoredDecision],
             ) -> tuple[list[pb.DecisionRecord], list[damage.DamagedRecord]]:
    """The rows as messages, and those that are damaged (left out)."""
    records, damaged = [], []
    for row in rows:
        try:
            records.append(record_to_proto(row))
        except damage.DamagedRecord as exc:
            damaged.append(exc)
    return records, damaged


def _unavailable(exc: StoreError) -> Unavailable:
    return Unavailable(f"the audit store cannot answer now: {exc}")
