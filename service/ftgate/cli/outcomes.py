"""`ftgate outcomes record|report`: what became of the projects ftgate advised, and whether the
advice held (docs/outcomes.md).

`record` stores the outcome of one decision, through a running server (--server, RecordOutcome)
or straight into the audit store (--audit-db); `report` prints the outcomes report of the store,
the same one GET /v1/outcomes:summary answers.

Exit codes: 0 done; 1 the server or the store could not do it (unreachable, no such decision);
2 a bad flag, figure or store, named on stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from ftgate.cli.audit_flags import audit_source
from ftgate.cli.connect import add_connection_flags, call_metadata, open_channel
from ftgate.cli.exits import EXIT_BAD_INPUT, EXIT_ERROR, EXIT_OK, CommandFailed
from ftgate.cli.flags import positive_seconds, server_address
from ftgate.cli.help import HelpFormatter
from ftgate.v1 import advisor_pb2 as pb

_YES, _NO = ("yes", "true", "1"), ("no", "false", "0")
# Figures of ProjectOutcome and their flags.
_FLAGS = {"fine_tuned": "--fine-tuned", "met_target": "--met-target",
          "measured_score": "--measured-score", "monthly_savings_usd": "--monthly-savings-usd",
          "requests_per_day": "--requests-per-day",
          "retraining_runs_last_year": "--retraining-runs-last-year", "note": "--note",
          "decision_id": "DECISION_ID"}


def _yes_no(text: str) -> bool:
    value = text.strip().lower()
    if value in _YES or value in _NO:
        return value in _YES
    raise argparse.ArgumentTypeError(f"expected yes or no, got {text!r}")


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _count(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def add_parser(sub: Any) -> None:
    o = sub.add_parser("outcomes", help="record what became of advised projects; report on it",
                       description=__doc__, formatter_class=HelpFormatter)
    osub = o.add_subparsers(dest="outcomes_command", required=True)
    rec = osub.add_parser("record", help="record the outcome of one decision",
                          description="Record the outcome of one decision (a later one "
                          "replaces it in reports; both stay in the store's history).",
                          formatter_class=HelpFormatter)
    rec.add_argument("decision_id", metavar="DECISION_ID", help="the decision id (a UUID)")
    rec.add_argument("--fine-tuned", type=_yes_no, required=True, metavar="yes|no",
                     help="whether the project was fine-tuned, whatever the verdict")
    rec.add_argument("--met-target", type=_yes_no, metavar="yes|no",
                     help="whether the fine-tuned model reached the target quality")
    rec.add_argument("--measured-score", type=_number, metavar="X", help="in [0, 1]")
    rec.add_argument("--monthly-savings-usd", type=_number, metavar="USD",
                     help="measured savings a month (negative: it costs more)")
    rec.add_argument("--requests-per-day", type=_number, metavar="N", help="measured")
    rec.add_argument("--retraining-runs-last-year", type=_count, metavar="N")
    rec.add_argument("--note", default="", help="free text (at most 2,000 characters)")
    where = rec.add_mutually_exclusive_group(required=True)
    where.add_argument("--server", type=server_address, metavar="HOST:PORT",
                       help="a running server HOST:PORT")
    where.add_argument("--audit-db", type=audit_source, metavar="PATH|URL",
                       help="the audit store: its SQLite file or postgresql:// URL")
    rec.add_argument("--timeout", type=positive_seconds, metavar="SECONDS", default=10.0,
                     help="deadline of the call to --server (seconds)")
    rec.add_argument("--output", choices=("text", "json"), default="text", help="answer format")
    add_connection_flags(rec)
    rep = osub.add_parser("report", help="did the advice hold? counts, savings, rules",
                          description="The outcomes report of the decisions made in [--since, "
                          "--until) (docs/outcomes.md).", formatter_class=HelpFormatter)
    rep.add_argument("--audit-db", type=audit_source, required=True, metavar="PATH|URL",
                     help="the audit store: an SQLite file or a postgresql:// URL")
    rep.add_argument("--since", help="ISO 8601 time (UTC when no offset) or an age: 12h, 30d "
                                     "(default: every decision)")
    rep.add_argument("--until", help="same forms as --since; exclusive (default: now)")
    rep.add_argument("--format", choices=("text", "json"), default="text", help="report format")



def run(args: argparse.Namespace) -> int:
    name = f"ftgate outcomes {args.outcomes_command}"
    try:
        if args.outcomes_command == "record":
            return _record(args)
        return _report(args)
    except CommandFailed as exc:
        print(f"{name}: {exc.message}", file=sys.stderr)
        return exc.exit_code


def _request(args: argparse.Namespace) -> pb.RecordOutcomeRequest:
    outcome = pb.ProjectOutcome(fine_tuned=args.fine_tuned, note=args.note)
    for field in ("met_target", "measured_score", "monthly_savings_usd", "requests_per_day",
                  "retraining_runs_last_year"):
        value = getattr(args, field)
        if value is not None:
            setattr(outcome, field, value)
    return pb.RecordOutcomeRequest(decision_id=args.decision_id, outcome=outcome)


def _check(request: pb.RecordOutcomeRequest) -> None:
    """The server's own check of the figures, named by flag (exit 2)."""
    from ftgate.api.outcomes import outcome_from_proto
    from ftgate.errors import InvalidInput

    try:
        outcome_from_proto(request.decision_id, request.outcome, 0)
    except InvalidInput as exc:
        raise CommandFailed(EXIT_BAD_INPUT, "bad input: " + "; ".join(
            f"{_FLAGS.get(v.field.removeprefix('outcome.'), v.field)}: {v.description}"
            for v in exc.violations)) from None


def _record(args: argparse.Namespace) -> int:
    request = _request(args)
    _check(request)
    response = _remote(args, request) if args.server else _local(args, request)
    if args.output == "json":
        from google.protobuf import json_format

        print(json_format.MessageToJson(response, indent=2, preserving_proto_field_name=True,
                                        always_print_fields_with_no_presence=True))
    else:
        verdict = pb.Verdict.Name(response.verdict).removeprefix("VERDICT_")
        again = "; it replaces the earlier one" if response.replaced else ""
        print(f"recorded the outcome of decision {response.decision_id} "
              f"(verdict {verdict}){again}")
    return EXIT_OK


def _remote(args: argparse.Namespace,
            request: pb.RecordOutcomeRequest) -> pb.RecordOutcomeResponse:
    import grpc

    from ftgate.v1 import advisor_pb2_grpc as pb_grpc

    stub = pb_grpc.FineTuningAdvisorServiceStub(open_channel(args.server, args))
    try:
        response: pb.RecordOutcomeResponse = stub.RecordOutcome(
            request, timeout=args.timeout, metadata=call_metadata(args))
    except grpc.RpcError as exc:
        code = EXIT_BAD_INPUT if exc.code() == grpc.StatusCode.INVALID_ARGUMENT else EXIT_ERROR
        raise CommandFailed(code, f"{exc.code().name}: {exc.details()}") from None
    return response


def _local(args: argparse.Namespace,
           request: pb.RecordOutcomeRequest) -> pb.RecordOutcomeResponse:
    from ftgate.api.errors import ServiceError
    from ftgate.api.outcomes import record_outcome
    from ftgate.audit.stores import check_store, open_store
    from ftgate.errors import FtgateError

    try:
        check_store(args.audit_db)  # ours, and at this ftgate's schema
        store = open_store(args.audit_db)
        try:
            return record_outcome(store, request)
        finally:
            store.close()
    except ServiceError as exc:
        raise CommandFailed(EXIT_ERROR, exc.message) from None
    except FtgateError as exc:
        raise CommandFailed(EXIT_ERROR, str(exc)) from None


def _report(args: argparse.Namespace) -> int:
    from ftgate.audit.outcome_report import report
    from ftgate.audit.stores import check_store, exists, kind_of, open_store
    from ftgate.cli.decisions import BadFlag, parse_time
    from ftgate.errors import FtgateError

    try:
        since = int(parse_time(args.since).timestamp() * 1e6) if args.since else None
        until = int(parse_time(args.until).timestamp() * 1e6) if args.until else None
    except BadFlag as exc:
        raise CommandFailed(EXIT_BAD_INPUT, f"bad input: {exc}") from None
    if since is not None and until is not None and until < since:
        raise CommandFailed(EXIT_BAD_INPUT, "bad input: --until is before --since")
    if not exists(args.audit_db):
        raise CommandFailed(EXIT_BAD_INPUT, f"--audit-db: no audit log at {args.audit_db}")
    try:
        if kind_of(args.audit_db).migrate is not None:  # at this ftgate's schema, or say so
            check_store(args.audit_db)
        store = open_store(args.audit_db, readonly=True)
        try:
            summary = report(store, since, until)
        finally:
            store.close()
    except FtgateError as exc:
        raise CommandFailed(EXIT_ERROR, str(exc)) from None
    if args.format == "json":
        print(json.dumps(summary, indent=2))
    else:
        from ftgate.cli.outcome_text import render

        sys.stdout.write(render(summary))
    return EXIT_OK
