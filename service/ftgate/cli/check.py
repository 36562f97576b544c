"""`ftgate check FILE`: evaluate a profile file, in-process or on a server; the exit code is the
verdict (for provisioning gates)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ftgate import enums
from ftgate.cli.connect import add_connection_flags, call_metadata, open_channel
from ftgate.cli.exits import (
    EXIT_ALLOWED,
    EXIT_BAD_INPUT,
    EXIT_ERROR,
    EXIT_NEEDS_INFO,
    EXIT_NOT_ALLOWED,
    VERDICT_EXIT,
)
from ftgate.cli.flags import directory, positive_seconds, server_address
from ftgate.cli.help import HelpFormatter
from ftgate.errors import Violation
from ftgate.languages import DEFAULT_LANGUAGE, LANGUAGES
from ftgate.profile_input import Problem, ProfileFile, ProfileInputError, read_profile
from ftgate.profile_input.located import MAX_BYTES
from ftgate.userfile import FileRefused, NotARegularFile, read_head

EPILOG = """\
exit codes:
  0  fine-tuning may go ahead (VERDICT_FINE_TUNE), or --policy advise
  1  the check could not run (server unreachable, deadline exceeded, internal error)
  2  bad input: the profile file, a field or a flag, named on stderr with file and line
  3  do not fine-tune (VERDICT_DO_NOT_FINE_TUNE)
  4  information is missing to decide (VERDICT_NEEDS_INFORMATION)

Start a profile with `ftgate init profile.yaml`; `ftgate schema` gives editors its JSON Schema."""


def add_parser(sub: Any) -> None:
    c = sub.add_parser("check", help="evaluate a project profile (YAML or JSON)",
                       description=__doc__, epilog=EPILOG, formatter_class=HelpFormatter)
    c.add_argument("file", help="profile file (YAML or JSON), or - for standard input")
    c.add_argument("--server", type=server_address, metavar="HOST:PORT",
                   help="evaluate on a running server HOST:PORT (default: in-process)")
    c.add_argument("--rules", type=directory, default=None, metavar="DIR",
                   help="rule directory for in-process (default: the shipped rules)")
    c.add_argument("--output", choices=("text", "json"), default="text", help="report format")
    c.add_argument("--policy", choices=("enforce", "advise"), default="enforce",
                   help="enforce: exit code follows the verdict; advise: always 0")
    c.add_argument("--explain", action=argparse.BooleanOptionalAction, default=True,
                   help="also say what would change the verdict (counterfactuals) and what "
                        "each missing field's values lead to")
    c.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE,
                   help="language of the answer's texts")
    c.add_argument("--timeout", type=positive_seconds, metavar="SECONDS", default=10.0,
                   help="deadline of the call to --server (seconds)")
    add_connection_flags(c)


def run(args: argparse.Namespace) -> int:
    """Evaluate a profile; `--policy advise` reports the same and always exits 0."""
    code = _check(args)
    if args.policy == "advise":
        if code not in (EXIT_ALLOWED, EXIT_NOT_ALLOWED, EXIT_NEEDS_INFO):
            print(f"ftgate: advise mode: exit {code} reported as 0", file=sys.stderr)
        return EXIT_ALLOWED
    return code


def _check(args: argparse.Namespace) -> int:
    from google.protobuf import json_format


    try:
        profile = _read(args.file)
        assessment = (_check_remote(args, profile) if args.server
                      else _check_local(args, profile))
    except ProfileInputError as exc:
        for problem in exc.problems:
            print(f"ftgate: bad input: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except _Failure as exc:
        print(f"ftgate: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.output == "json":
        # Every field, "no" answers and zeros included: proto3 JSON would drop them.
        text = json_format.MessageToJson(assessment, indent=2,
                                         always_print_fields_with_no_presence=True) + "\n"
    else:
        from ftgate.cli.report import render_report

        text = render_report(assessment, args.lang)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): the verdict still decides the exit code.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silences the flush at exit
    return VERDICT_EXIT.get(enums.VERDICT.short_or_none(assessment.verdict) or "", EXIT_ERROR)


def _read(source: str) -> ProfileFile:
    name = "standard input" if source == "-" else source
    try:
        # One byte more than the reader takes: enough to refuse a huge file without reading it;
        # a regular file only: a FIFO or a device is refused, never opened (it could block).
        data = (sys.stdin.buffer.read(MAX_BYTES + 1) if source == "-"
                else read_head(source, MAX_BYTES + 1))
    except NotARegularFile as exc:
        raise ProfileInputError([Problem(name, None, None, f"{exc.what}, not a profile file")]) \
            from None
    except FileRefused as exc:
        raise ProfileInputError([Problem(name, None, None, exc.reason)]) from None
    except OSError as exc:
        raise ProfileInputError([Problem(name, None, None, f"cannot read the file: "
                                                           f"{exc.strerror or exc}")]) from None
    return read_profile(data, name)


class _Failure(Exception):
    pass


def _check_local(args: argparse.Namespace, profile: ProfileFile) -> Any:
    from ftgate.api import convert
    from ftgate.api.record import new_decision_id
    from ftgate.assessment import to_message
    from ftgate.engine import Engine
    from ftgate.errors import FtgateError, InvalidInput

    try:
        engine = Engine(args.rules)
        decision = engine.decide(convert.profile_from_proto(profile.message),
                                 explain=args.explain, lang=args.lang)
        return to_message(decision, new_decision_id())
    except InvalidInput as exc:
        raise profile.locate(exc.violations) from exc
    except FtgateError as exc:
        raise _Failure(str(exc)) from exc


def _check_remote(args: argparse.Namespace, profile: ProfileFile) -> Any:
    import grpc
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    from ftgate.v1 import advisor_pb2 as pb
    from ftgate.v1 import advisor_pb2_grpc as pb_grpc

    with open_channel(args.server, args) as channel:
        stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
        try:
            reply = stub.Evaluate(
                pb.EvaluateRequest(project=profile.message, explain=args.explain),
                timeout=args.timeout,
                metadata=[*call_metadata(args), ("accept-language", args.lang)])
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                violations = []
                status = rpc_status.from_call(exc)
                for detail in status.details if status else []:
                    bad = error_details_pb2.BadRequest()
                    if detail.Unpack(bad):
                        violations += [Violation(v.field, v.description)
                                       for v in bad.field_violations]
                raise profile.locate(violations or [
                    Violation("project", str(exc.details()))]) from exc
            raise _Failure(f"{exc.code().name}: {exc.details()} (server {args.server})") from exc
    return reply.assessment
