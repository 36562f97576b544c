"""`ftgate waivers grant|list|revoke`: approved, time-bound exceptions to BLOCKER rules
(docs/waivers.md).

Each goes through a running server (--server: GrantWaiver, ListWaivers, RevokeWaiver; writing
needs a token of the server's --waiver-tokens, from --waiver-token-file) or straight into the
audit store (--audit-db: whoever can write the store can grant). Either way the waiver is
checked by the server's own reader (api/waivers.py), against the server's rules or, with
--audit-db, against --rules (the shipped rules by default).

Exit codes: 0 done; 1 the server or the store could not do it (unreachable, refused, no such
waiver); 2 a bad flag or waiver, the flag named on stderr.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ftgate.cli.audit_flags import audit_source, audit_target
from ftgate.cli.connect import add_connection_flags, call_metadata, open_channel
from ftgate.cli.exits import EXIT_BAD_INPUT, EXIT_ERROR, EXIT_OK, CommandFailed
from ftgate.cli.flags import positive_int, positive_seconds, readable_file, server_address
from ftgate.cli.help import HelpFormatter
from ftgate.v1 import advisor_pb2 as pb

# Fields of Waiver and the flags that set them.
_FLAGS = {"project_name": "--project", "rule_ids": "--rule", "reason": "--reason",
          "approved_by": "--approved-by", "expires_at": "--expires", "ticket": "--ticket",
          "waiver_id": "WAIVER_ID", "state": "--state"}
_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_STATES = ("all", "active", "expired", "revoked")


def expiry(text: str, now: float | None = None) -> datetime:
    """--expires: a duration from now (90m, 12h, 30d, 2w), a date (YYYY-MM-DD: 00:00 UTC that
    day) or an RFC 3339 time."""
    value = text.strip()
    m = _DURATION.match(value)
    if m:
        start = time.time() if now is None else now
        return datetime.fromtimestamp(start + int(m.group(1)) * _UNITS[m.group(2)], UTC)
    from ftgate.api.timestamps import BadTimestamp, parse

    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        value += "T00:00:00Z"
    try:
        return parse(value, offset_required=False)[0]
    except BadTimestamp:
        raise argparse.ArgumentTypeError(
            f"expected a duration (90m, 12h, 30d, 2w), a date (2026-12-31) or an RFC 3339 "
            f"time, got {text[:40]!r}") from None


def _where(parser: argparse.ArgumentParser, store_type: Any) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--server", type=server_address, metavar="HOST:PORT",
                       help="a running server HOST:PORT")
    where.add_argument("--audit-db", type=store_type, metavar="PATH|URL",
                       help="the audit store: its SQLite file or postgresql:// URL")
    parser.add_argument("--timeout", type=positive_seconds, metavar="SECONDS", default=10.0,
                        help="deadline of the call to --server (seconds)")
    parser.add_argument("--output", choices=("text", "json"), default="text",
                        help="answer format")
    add_connection_flags(parser)


def _token_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--waiver-token-file", type=readable_file, metavar="FILE",
                        help="file holding a waiver token of the server's --waiver-tokens "
                             "(with --server)")


def add_parser(sub: Any) -> None:
    w = sub.add_parser("waivers", help="grant, list and revoke waivers of BLOCKER rules",
                       description=__doc__, formatter_class=HelpFormatter)
    wsub = w.add_subparsers(dest="waivers_command", required=True)
    g = wsub.add_parser("grant", help="grant a waiver", formatter_class=HelpFormatter,
                        description="Let a project pass the BLOCKER rules named, until "
                                    "--expires (docs/waivers.md).")
    g.add_argument("--project", required=True, metavar="NAME",
                   help="the project's name, exactly as in its profile")
    g.add_argument("--rule", action="append", required=True, metavar="ID",
                   help="a BLOCKER rule id to waive (repeat for several)")
    g.add_argument("--reason", required=True, metavar="TEXT", help="why (required)")
    g.add_argument("--approved-by", required=True, metavar="WHO", help="who approved it")
    g.add_argument("--expires", required=True, type=expiry, metavar="DATE|DURATION",
                   help="when it ends: 30d, 12h, 2w, 2026-12-31 or an RFC 3339 time")
    g.add_argument("--ticket", default="", metavar="T", help="a reference to the approval")
    g.add_argument("--rules", type=Path, metavar="DIR",
                   help="with --audit-db: the rule files to check rule ids against "
                        "(default: the shipped rules)")
    g.add_argument("--max-waiver-days", type=positive_int, default=90, metavar="DAYS",
                   help="with --audit-db: how far ahead it may expire")
    _token_flag(g)
    _where(g, audit_target)
    ls = wsub.add_parser("list", help="list waivers, newest first", formatter_class=HelpFormatter,
                         description="List waivers, newest first.")
    ls.add_argument("--project", default="", metavar="NAME", help="only this project's")
    ls.add_argument("--state", choices=_STATES, default="all", help="only those in this state")
    _where(ls, audit_source)
    rv = wsub.add_parser("revoke", help="revoke a waiver now", formatter_class=HelpFormatter,
                         description="Revoke a waiver: from now on it changes nothing.")
    rv.add_argument("waiver_id", metavar="WAIVER_ID", help="the waiver's id")
    _token_flag(rv)
    _where(rv, audit_source)



def run(args: argparse.Namespace) -> int:
    name = f"ftgate waivers {args.waivers_command}"
    try:
        if args.waivers_command == "grant":
            response: Any = _call(args, "GrantWaiver", _grant_request(args))
            _print(args, response, [response.waiver], "granted")
        elif args.waivers_command == "list":
            state = pb.WaiverState.Value(f"WAIVER_STATE_{args.state.upper()}") \
                if args.state != "all" else pb.WAIVER_STATE_UNSPECIFIED
            response = _call(args, "ListWaivers",
                             pb.ListWaiversRequest(project_name=args.project, state=state))
            _print(args, response, list(response.waivers), "")
        else:
            response = _call(args, "RevokeWaiver",
                             pb.RevokeWaiverRequest(waiver_id=args.waiver_id))
            _print(args, response, [response.waiver], "revoked")
    except CommandFailed as exc:
        print(f"{name}: {exc.message}", file=sys.stderr)
        return exc.exit_code
    return EXIT_OK


def _grant_request(args: argparse.Namespace) -> pb.GrantWaiverRequest:
    waiver = pb.Waiver(project_name=args.project, rule_ids=args.rule, reason=args.reason,
                       approved_by=args.approved_by, ticket=args.ticket)
    waiver.expires_at.FromDatetime(args.expires)
    return pb.GrantWaiverRequest(waiver=waiver)


def _flag_of(field: str) -> str:
    name = field.removeprefix("waiver.")
    base = name.split("[")[0]
    return _FLAGS.get(base, field) + (name[len(base):] if base == "rule_ids" else "")


def _bad_input(violations: Any) -> CommandFailed:
    return CommandFailed(EXIT_BAD_INPUT, "bad input: " + "; ".join(
        f"{_flag_of(v.field)}: {v.description}" for v in violations))


def _call(args: argparse.Namespace, method: str, request: Any) -> Any:
    return _remote(args, method, request) if args.server else _local(args, method, request)


def _token(args: argparse.Namespace) -> list[tuple[str, str]]:
    from ftgate.api.waivers import TOKEN_HEADER

    path = getattr(args, "waiver_token_file", None)
    if not path:
        return []
    try:
        token = Path(path).read_text(encoding="utf-8").strip().splitlines()[0].strip()
    except (OSError, UnicodeDecodeError, IndexError):
        raise CommandFailed(EXIT_BAD_INPUT, f"--waiver-token-file: cannot read a token from "
                                      f"{path}") from None
    return [(TOKEN_HEADER, token)]


def _remote(args: argparse.Namespace, method: str, request: Any) -> Any:
    import grpc
    from grpc_status import rpc_status

    from ftgate.errors import Violation
    from ftgate.v1 import advisor_pb2_grpc as pb_grpc

    stub = pb_grpc.FineTuningAdvisorServiceStub(open_channel(args.server, args))
    try:
        return getattr(stub, method)(request, timeout=args.timeout,
                                     metadata=call_metadata(args) + _token(args))
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
            from google.rpc import error_details_pb2

            status = rpc_status.from_call(exc)
            violations = []
            for detail in status.details if status else ():
                bad = error_details_pb2.BadRequest()
                if detail.Unpack(bad):
                    violations += [Violation(v.field, v.description)
                                   for v in bad.field_violations]
            if violations:
                raise _bad_input(violations) from None
            raise CommandFailed(EXIT_BAD_INPUT, f"bad input: {exc.details()}") from None
        raise CommandFailed(EXIT_ERROR, f"{exc.code().name}: {exc.details()}") from None


def _local(args: argparse.Namespace, method: str, request: Any) -> Any:
    from ftgate.api import waivers
    from ftgate.api.errors import ServiceError
    from ftgate.audit.stores import check_store, open_store
    from ftgate.errors import FtgateError, InvalidInput

    reading = method == "ListWaivers"
    try:
        if not reading or isinstance(args.audit_db, str):
            check_store(args.audit_db)  # ours, and at this ftgate's schema
        store = open_store(args.audit_db, readonly=reading)  # (a list writes nothing)
        try:
            if reading:
                return waivers.list_waivers(store, request)
            desk = waivers.WaiverDesk(store, lambda: _ruleset(args), lambda _: True,
                                      getattr(args, "max_waiver_days", 90))
            if method == "GrantWaiver":
                return desk.grant(request, None)
            return desk.revoke(request, None)
        finally:
            store.close()
    except InvalidInput as exc:
        raise _bad_input(exc.violations) from None
    except ServiceError as exc:
        raise CommandFailed(EXIT_ERROR, exc.message) from None
    except FtgateError as exc:
        raise CommandFailed(EXIT_ERROR, str(exc)) from None


def _ruleset(args: argparse.Namespace) -> Any:
    from ftgate.engine.engine import default_rules_dir
    from ftgate.ruleset import load_ruleset

    return load_ruleset(args.rules or default_rules_dir())


def _when(ts: Any) -> str:
    return str(ts.ToDatetime().replace(tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))


def _print(args: argparse.Namespace, response: Any, found: list[pb.Waiver], done: str) -> None:
    if args.output == "json":
        from google.protobuf import json_format

        print(json_format.MessageToJson(response, indent=2, preserving_proto_field_name=True))
        return
    now = datetime.now(UTC)
    for w in found:
        state = ("revoked " + _when(w.revoked_at) if w.HasField("revoked_at")
                 else "expired" if w.expires_at.ToDatetime().replace(tzinfo=UTC) <= now
                 else "active")
        head = f"{done} waiver" if done else "waiver"
        print(f"{head} {w.id}: project {w.project_name!r}, rules {', '.join(w.rule_ids)}; "
              f"expires {_when(w.expires_at)} ({state}); approved by {w.approved_by}"
              + (f", ticket {w.ticket}" if w.ticket else "") + f"; reason: {w.reason}")
    if not found and not done:
        print("no waiver")


