"""`ftgate decisions show|list|export`: read the audit log through a server or straight from its
store (an SQLite file or a postgresql:// URL).

Both ways go through the same requests (GetDecision, ListDecisions): against `--server` over
gRPC, against `--db` through the server's own lookup code on a read-only connection.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from google.protobuf import json_format

from ftgate import enums
from ftgate.cli import export
from ftgate.cli.audit_flags import audit_source
from ftgate.cli.connect import add_connection_flags, call_metadata, open_channel
from ftgate.cli.exits import EXIT_BAD_INPUT, EXIT_ERROR, EXIT_OK, CommandFailed
from ftgate.cli.flags import positive_int, positive_seconds, server_address
from ftgate.cli.help import HelpFormatter
from ftgate.v1 import advisor_pb2 as pb

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class BadFlag(ValueError):
    """A flag value the command cannot use."""


def add_parser(sub: Any) -> None:
    d = sub.add_parser("decisions", help="show or list decisions from the audit log",
                       description=__doc__, formatter_class=HelpFormatter)
    dsub = d.add_subparsers(dest="decisions_command", required=True)
    show = dsub.add_parser("show", help="one decision by id", description="One decision by id.",
                           formatter_class=HelpFormatter)
    show.add_argument("decision_id", help="the decision id of an assessment (a UUID)")
    ls = dsub.add_parser("list", help="decisions, newest first",
                         description="Decisions, newest first.", formatter_class=HelpFormatter)
    ls.add_argument("--verdict", help="FINE_TUNE, DO_NOT_FINE_TUNE or NEEDS_INFORMATION")
    ls.add_argument("--since", help="ISO 8601 time (UTC when no offset) or an age: 30m, 2h, 7d")
    ls.add_argument("--until", help="same forms as --since; exclusive")
    ls.add_argument("--limit", type=positive_int, default=50, help="most decisions to print")
    for p in (show, ls):
        where = p.add_mutually_exclusive_group(required=True)
        where.add_argument("--server", type=server_address, metavar="HOST:PORT",
                           help="a running server HOST:PORT")
        where.add_argument("--db", type=audit_source, metavar="PATH|URL",
                           help="the audit store: its SQLite file or postgresql:// URL "
                                "(--audit-db of serve)")
        p.add_argument("--output", choices=("text", "json"), default="text",
                       help="report format")
        p.add_argument("--timeout", type=positive_seconds, metavar="SECONDS", default=10.0,
                       help="deadline of each call to --server (seconds)")
        add_connection_flags(p)
    export.add_parser(dsub)


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """An ISO 8601 time (UTC when it has no offset) or an age such as 30m, 2h, 7d."""
    from ftgate.api import timestamps

    now = now or datetime.now(UTC)
    match = _RELATIVE.match(text.strip())
    if match:
        return now - timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2]])
    if _DATE_TIME.match(text.strip()):  # RFC 3339, told precisely when wrong
        try:
            return timestamps.parse(text, offset_required=False)[0]
        except timestamps.BadTimestamp as exc:
            raise BadFlag(f"{exc}; or an age such as 2h or 7d") from None
    try:  # the other ISO 8601 forms (a date alone: its midnight, UTC)
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        when = None
    offset = when.utcoffset() if when else None
    if when is None or (offset is not None and abs(offset) > timestamps.MAX_OFFSET):
        raise BadFlag(f"expected an ISO 8601 time such as {timestamps.EXAMPLE} (UTC when no "
                      f"offset; offsets within ±14:00) or an age such as 2h or 7d; found "
                      f"{text[:40]!r}")
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_verdict(text: str) -> int:
    name = text.strip().upper().replace("-", "_")
    short = enums.VERDICT.from_full(name) or enums.VERDICT.from_full(enums.VERDICT.prefix + name)
    if short is None:
        raise BadFlag(f"unknown verdict {text!r} ({', '.join(enums.VERDICT.names)})")
    return int(enums.VERDICT.number(short))


def list_request(args: argparse.Namespace) -> pb.ListDecisionsRequest:
    request = pb.ListDecisionsRequest(page_size=max(1, min(args.limit, 500)))
    if args.verdict:
        request.verdict = parse_verdict(args.verdict)  # type: ignore[assignment]
    if args.since:
        request.since.FromDatetime(parse_time(args.since))
    if args.until:
        request.until.FromDatetime(parse_time(args.until))
    return request


def run(args: argparse.Namespace) -> int:
    """The `decisions` command; returns the exit code."""
    try:
        if args.decisions_command == "export":
            return _export(args)
        get, list_ = _remote(args) if args.server else _local(args)
        if args.decisions_command == "show":
            record = get(pb.GetDecisionRequest(decision_id=args.decision_id)).decision
            _print_record(record, args.output)
            return EXIT_OK
        request = list_request(args)
        records: list[pb.DecisionRecord] = []
        while len(records) < args.limit:
            page = list_(request)
            records += page.decisions
            if not page.next_page_token:
                break
            request.page_token = page.next_page_token
        _print_list(records[:args.limit], args.output)
        return EXIT_OK
    except CommandFailed as exc:
        print(f"ftgate decisions: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except BadFlag as exc:
        print(f"ftgate decisions: bad input: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _export(args: argparse.Namespace) -> int:
    from ftgate.audit.database import AuditFileError
    from ftgate.errors import FtgateError

    since = _micros(parse_time(args.since))
    until = _micros(parse_time(args.until)) if args.until else None
    if until is not None and until < since:
        raise BadFlag("--until is before --since")
    _require_store(args.db)
    try:
        return export.run(args, since, until)
    except AuditFileError as exc:  # not an ftgate store (or a damaged one)
        raise CommandFailed(EXIT_BAD_INPUT, str(exc)) from None
    except FtgateError as exc:  # the store unreachable
        raise CommandFailed(EXIT_ERROR, str(exc)) from None


def _micros(when: datetime) -> int:
    return int(when.timestamp() * 1_000_000)


def _require_store(db: Path | str) -> None:
    from ftgate.audit.stores import exists

    if not exists(db):
        raise CommandFailed(EXIT_BAD_INPUT, f"--db: no audit log at {db}")



Call = Callable[[Any], Any]


def _local(args: argparse.Namespace) -> tuple[Call, Call]:
    from ftgate.api.audit_queries import DecisionLookup
    from ftgate.api.errors import DataLoss, ServiceError
    from ftgate.audit.stores import open_store
    from ftgate.errors import InvalidInput

    _require_store(args.db)
    lookup = DecisionLookup(open_store(args.db, readonly=True), log_damaged=False)

    def list_reporting_damage(request: pb.ListDecisionsRequest) -> pb.ListDecisionsResponse:
        page, damaged = lookup.list_page(request)
        for exc in damaged:
            print(f"ftgate decisions: skipped {exc}", file=sys.stderr)
        return page

    def guarded(method: Call) -> Call:
        def call(request: Any) -> Any:
            try:
                return method(request)
            except InvalidInput as exc:
                raise CommandFailed(EXIT_BAD_INPUT, f"bad input: {exc}") from None
            except ServiceError as exc:
                code = EXIT_BAD_INPUT if isinstance(exc, DataLoss) else EXIT_ERROR
                raise CommandFailed(code, exc.message) from None
        return call
    return guarded(lookup.get), guarded(list_reporting_damage)


def _remote(args: argparse.Namespace) -> tuple[Call, Call]:
    import grpc

    from ftgate.v1 import advisor_pb2_grpc as pb_grpc

    channel = open_channel(args.server, args)
    metadata = call_metadata(args)
    stub = pb_grpc.FineTuningAdvisorServiceStub(channel)

    def guarded(method: Callable[..., Any]) -> Call:
        def call(request: Any) -> Any:
            try:
                return method(request, timeout=args.timeout, metadata=metadata)
            except grpc.RpcError as exc:
                raise CommandFailed(_exit_of(exc.code()),
                              f"{exc.code().name}: {exc.details()}") from None
        return call
    return guarded(stub.GetDecision), guarded(stub.ListDecisions)


def _exit_of(code: Any) -> int:
    """2 for what the user must fix: a bad request, or a store that holds damage (DATA_LOSS:
    a damaged record or file, named in the message); 1 otherwise."""
    import grpc

    bad = (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.DATA_LOSS)
    return EXIT_BAD_INPUT if code in bad else EXIT_ERROR


def _when(record: pb.DecisionRecord) -> str:
    return str(record.decided_at.ToDatetime(tzinfo=UTC).isoformat(timespec="milliseconds"))


def _print_record(record: pb.DecisionRecord, output: str) -> None:
    if output == "json":
        print(json_format.MessageToJson(record, indent=2,
                                        always_print_fields_with_no_presence=True))
        return
    from ftgate.cli.report import render_report

    print(f"decision {record.decision_id}  at {_when(record)}  ruleset {record.ruleset_version}")
    print("input:  " + json_format.MessageToJson(record.project, indent=None,
                                                 preserving_proto_field_name=True))
    sys.stdout.write(render_report(record.assessment))


def _print_list(records: list[pb.DecisionRecord], output: str) -> None:
    if output == "json":
        print(json_format.MessageToJson(pb.ListDecisionsResponse(decisions=records), indent=2,
                                        always_print_fields_with_no_presence=True))
        return
    for r in records:
        a = r.assessment
        outcome = enums.OUTCOME.full(enums.OUTCOME.short(a.outcome)) if a.outcome else "-"
        verdict = enums.VERDICT.full(enums.VERDICT.short(a.verdict))
        print(f"{_when(r)}  {r.decision_id}  {verdict:27} {outcome:33} "
              f"{r.ruleset_version}  {a.project_name}")
