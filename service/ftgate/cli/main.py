"""The `ftgate` command: serve, check, rules list|lint|test, decisions show|list, health."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ftgate.cli.connect import add_connection_flags, call_metadata, open_channel
from ftgate.errors import FtgateError

# Exit codes of `ftgate check`, for provisioning gates (SPEC §6).
EXIT_ALLOWED, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_NOT_ALLOWED, EXIT_NEEDS_INFO = 0, 1, 2, 3, 4
VERDICT_EXIT = {"VERDICT_FINE_TUNE": EXIT_ALLOWED, "VERDICT_DO_NOT_FINE_TUNE": EXIT_NOT_ALLOWED,
                "VERDICT_NEEDS_INFORMATION": EXIT_NEEDS_INFO}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ftgate", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the gRPC service")
    s.add_argument("--listen", default="127.0.0.1:50051", help="gRPC address HOST:PORT")
    s.add_argument("--metrics-listen", default="127.0.0.1:9464",
                   help="Prometheus /metrics address HOST:PORT ('' to disable)")
    s.add_argument("--rules", type=Path, default=None, help="rule directory (default: shipped)")
    s.add_argument("--max-batch", type=int, default=100, help="largest EvaluateBatch accepted")
    s.add_argument("--drain-delay", type=float, default=0.0,
                   help="seconds between health NOT_SERVING and refusing new calls on SIGTERM "
                        "(give load balancers time to notice; e.g. 5 on Kubernetes)")
    s.add_argument("--grace", type=float, default=10.0,
                   help="seconds calls in flight get to finish after SIGTERM")
    s.add_argument("--threads", type=int, default=4,
                   help="gRPC worker threads per worker process (docs/performance.md)")
    s.add_argument("--decision-cache", type=int, default=4096,
                   help="answers kept per worker for profiles asked about again, least recently "
                        "used out first (0: off; docs/performance.md)")
    s.add_argument("--workers", type=int, default=None,
                   help="server processes sharing the port (SO_REUSEPORT), each with its own "
                        "engine (default: the number of cores; docs/performance.md)")
    s.add_argument("--log-level", default="info")
    _serve_operations_flags(s)

    c = sub.add_parser("check", help="evaluate a project profile (YAML or JSON)")
    c.add_argument("file", help="profile file, or - for standard input")
    c.add_argument("--server", help="evaluate on a running server HOST:PORT (default in-process)")
    c.add_argument("--rules", type=Path, default=None, help="rule directory for in-process")
    c.add_argument("--output", choices=("text", "json"), default="text")
    c.add_argument("--policy", choices=("enforce", "advise"), default="enforce",
                   help="enforce: exit code follows the verdict; advise: always 0")
    c.add_argument("--timeout", type=float, default=10.0, help="deadline of the call (seconds)")
    add_connection_flags(c)

    r = sub.add_parser("rules", help="show, validate or test rule files")
    rsub = r.add_subparsers(dest="rules_command", required=True)
    for name, text in (("list", "show the loaded rules"), ("lint", "validate rule files"),
                       ("test", "run the rule test tables (DIR/tests/*.yaml)")):
        x = rsub.add_parser(name, help=text)
        x.add_argument("--rules", type=Path, default=None, help="rule directory")
        if name == "test":
            x.add_argument("--tests", type=Path, default=None, help="test table directory")

    from ftgate.cli.decisions import add_parser as add_decisions_parser

    add_decisions_parser(sub)

    h = sub.add_parser("health", help="exit 0 when a server reports SERVING")
    h.add_argument("--address", default="127.0.0.1:50051")
    h.add_argument("--service", default="", help="service name ('' = the whole server)")
    h.add_argument("--timeout", type=float, default=3.0)
    add_connection_flags(h)
    return p


def _serve_operations_flags(s: argparse.ArgumentParser) -> None:
    """Reload, limits, access and audit flags of `serve` (docs/operations.md)."""
    s.add_argument("--reload-interval", type=float, default=2.0,
                   help="seconds between looks at the rule directory; 0: reload on SIGHUP only")
    s.add_argument("--max-request-bytes", type=int, default=4 * 1024 * 1024,
                   help="largest request message accepted (bytes)")
    s.add_argument("--max-concurrent", type=int, default=64,
                   help="calls accepted at once (running or waiting for a thread); beyond: "
                        "RESOURCE_EXHAUSTED; 0: no limit")
    s.add_argument("--max-streams-per-connection", type=int, default=16,
                   help="HTTP/2 streams one connection may hold open; beyond: refused")
    s.add_argument("--max-connections", type=int, default=512,
                   help="connections accepted at once (per process); beyond: closed")
    s.add_argument("--default-deadline", type=float, default=10.0,
                   help="deadline (seconds) of calls whose client set none or a longer one; "
                        "0: none")
    s.add_argument("--tls-cert", type=Path, help="PEM certificate chain: serve TLS")
    s.add_argument("--tls-key", type=Path, help="PEM private key of --tls-cert")
    s.add_argument("--tls-client-ca", type=Path,
                   help="PEM CA bundle: require client certificates signed by it (mutual TLS)")
    s.add_argument("--auth-tokens", type=Path,
                   help="file of bearer tokens, one a line: calls need 'authorization: Bearer T'")
    s.add_argument("--audit-db", type=Path,
                   help="SQLite file of the decision audit log (default: no audit log)")
    s.add_argument("--audit-queue", type=int, default=10_000,
                   help="decisions waiting for the audit writer; beyond: dropped and counted")
    s.add_argument("--audit-retention-days", type=float, default=30.0,
                   help="delete recorded decisions older than this; 0: keep forever")


def _serve_options_errors(args: argparse.Namespace) -> list[str]:
    errors = []
    if bool(args.tls_cert) != bool(args.tls_key):
        errors.append("--tls-cert and --tls-key go together")
    if args.tls_client_ca and not args.tls_cert:
        errors.append("--tls-client-ca needs --tls-cert and --tls-key")
    for flag in ("max_request_bytes", "max_batch", "threads", "audit_queue",
                 "max_streams_per_connection", "max_connections"):
        if getattr(args, flag) < 1:
            errors.append(f"--{flag.replace('_', '-')} must be at least 1")
    for flag in ("max_concurrent", "default_deadline", "decision_cache", "reload_interval",
                 "grace", "drain_delay", "audit_retention_days"):
        if getattr(args, flag) < 0:
            errors.append(f"--{flag.replace('_', '-')} must not be negative")
    return errors


def _serve(args: argparse.Namespace) -> int:
    from ftgate.engine import Engine
    from ftgate.obs.logging import configure
    from ftgate.server.server import ServeOptions, serve
    from ftgate.server.workers import default_workers, serve_workers

    decision_log = configure(args.log_level)
    errors = _serve_options_errors(args)
    for error in errors:
        print(f"ftgate serve: {error}", file=sys.stderr)
    if errors:
        return EXIT_BAD_INPUT
    engine = Engine(args.rules)  # validates the rules before any worker starts
    workers = default_workers() if args.workers is None else args.workers
    if workers < 1:
        print("ftgate serve: --workers must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    options = ServeOptions(
        listen=args.listen, metrics_listen=args.metrics_listen or None,
        max_batch=args.max_batch, grace_seconds=args.grace, threads=args.threads,
        drain_delay_seconds=args.drain_delay,
        max_request_bytes=args.max_request_bytes, max_concurrent=args.max_concurrent,
        max_streams_per_connection=args.max_streams_per_connection,
        max_connections=args.max_connections,
        default_deadline=args.default_deadline or None, reload_interval=args.reload_interval,
        tls_cert=args.tls_cert, tls_key=args.tls_key, tls_client_ca=args.tls_client_ca,
        auth_tokens=args.auth_tokens, audit_db=args.audit_db, audit_queue=args.audit_queue,
        audit_retention_days=args.audit_retention_days, decision_cache=args.decision_cache)
    if workers == 1:
        return serve(engine, options, decision_log)
    return serve_workers(options, args.rules, args.log_level, workers)


def _read_profile(source: str) -> dict[str, Any]:
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("the profile must be a mapping (YAML or JSON object)")
    project = data.get("project")
    return dict(project) if isinstance(project, dict) else dict(data)


def _bad_input(fields: list[tuple[str, str]]) -> int:
    for field, description in fields:
        print(f"ftgate: bad input: {field}: {description}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _check(args: argparse.Namespace) -> int:
    """Evaluate a profile; `--policy advise` reports the same and always exits 0."""
    code = _check_verdict(args)
    if args.policy == "advise":
        if code not in (EXIT_ALLOWED, EXIT_NOT_ALLOWED, EXIT_NEEDS_INFO):
            print(f"ftgate: advise mode: exit {code} reported as 0", file=sys.stderr)
        return EXIT_ALLOWED
    return code


def _check_verdict(args: argparse.Namespace) -> int:
    from google.protobuf import json_format

    from ftgate.v1 import advisor_pb2 as pb

    try:
        data = _read_profile(args.file)
        message = json_format.ParseDict(data, pb.ProjectProfile())
    except (OSError, ValueError, yaml.YAMLError, json_format.ParseError) as exc:
        return _bad_input([("project", str(exc))])
    try:
        assessment = (_check_remote(args, message) if args.server
                      else _check_local(args, message))
    except _BadInput as exc:
        return _bad_input(exc.fields)
    except _Failure as exc:
        print(f"ftgate: error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    if args.output == "json":
        text = json_format.MessageToJson(assessment, preserving_proto_field_name=False, indent=2)
        text += "\n"
    else:
        from ftgate.cli.report import render_report

        text = render_report(assessment)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): the verdict still decides the exit code.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silences the flush at exit
    return VERDICT_EXIT.get(pb.Verdict.Name(assessment.verdict), EXIT_INTERNAL)


class _BadInput(Exception):
    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self.fields = fields


class _Failure(Exception):
    pass


def _check_local(args: argparse.Namespace, message: Any) -> Any:
    from ftgate.api import convert
    from ftgate.engine import Engine
    from ftgate.errors import FtgateError, InvalidInput

    try:
        engine = Engine(args.rules)
        return engine.evaluate(convert.profile_from_proto(message))
    except InvalidInput as exc:
        raise _BadInput([(v.field, v.description) for v in exc.violations]) from exc
    except FtgateError as exc:
        raise _Failure(str(exc)) from exc


def _check_remote(args: argparse.Namespace, message: Any) -> Any:
    import grpc
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    from ftgate.v1 import advisor_pb2 as pb
    from ftgate.v1 import advisor_pb2_grpc as pb_grpc

    with open_channel(args.server, args) as channel:
        stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
        try:
            reply = stub.Evaluate(pb.EvaluateRequest(project=message), timeout=args.timeout,
                                  metadata=call_metadata(args))
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                fields = []
                status = rpc_status.from_call(exc)
                for detail in status.details if status else []:
                    bad = error_details_pb2.BadRequest()
                    if detail.Unpack(bad):
                        fields += [(v.field, v.description) for v in bad.field_violations]
                raise _BadInput(fields or [("project", str(exc.details()))]) from exc
            raise _Failure(f"{exc.code().name}: {exc.details()}") from exc
    return reply.assessment


def _rules(args: argparse.Namespace) -> int:
    from ftgate.engine import Engine
    from ftgate.engine.engine import default_rules_dir
    from ftgate.errors import RuleFileError
    from ftgate.ruleset import load_ruleset
    from ftgate.ruleset.conditions import to_text

    directory = args.rules or default_rules_dir()
    try:
        rs = load_ruleset(directory)
        if args.rules_command == "lint":
            Engine(directory)  # compiles too: what lints is what serves
    except RuleFileError as exc:
        print(f"ftgate: invalid rules: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.rules_command == "lint":
        print(f"ok: {len(rs.files)} files, {len(rs.rules)} rules, {len(rs.steps)} tree steps, "
              f"version {rs.version}")
        return 0
    if args.rules_command == "list":
        print(f"ruleset {rs.version}")
        for r in rs.rules:
            print(f"{r.id:32} {r.severity or '-':8} {r.failure_mode or 'alternative':22} "
                  f"step {r.step if r.step <= 6 else '-'}  {to_text(r.when, rs.thresholds)}")
        return 0
    from ftgate.ruletest import load_cases, run_cases

    cases = load_cases(args.tests or Path(directory) / "tests")
    if not cases:
        print("ftgate: no test case found", file=sys.stderr)
        return EXIT_INTERNAL
    failed = 0
    for case, problems in run_cases(Engine(directory), cases):
        print(f"{'FAIL' if problems else 'ok  '} {case.id}")
        for p in problems:
            print(f"       {p}")
        failed += bool(problems)
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _health(args: argparse.Namespace) -> int:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with open_channel(args.address, args) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=args.service), timeout=args.timeout)
        except grpc.RpcError as exc:
            print(f"unhealthy: {exc.code().name}", file=sys.stderr)
            return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(status)
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1


def _decisions(args: argparse.Namespace) -> int:
    from ftgate.cli.decisions import run

    return run(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {"serve": _serve, "check": _check, "rules": _rules, "health": _health,
                "decisions": _decisions}
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        return 130
    except FtgateError as exc:  # a rule, token or certificate file the user must fix
        print(f"ftgate: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # the last line of defence: exit 1, never a stack trace to a gate
        print(f"ftgate: internal error: {exc!r}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
