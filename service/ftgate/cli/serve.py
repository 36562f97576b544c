"""`ftgate serve`: run the gRPC service (and its Prometheus /metrics endpoint)."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from typing import Any

from ftgate.cli.audit_flags import AUDIT_DB_ENV, audit_target, retention
from ftgate.cli.exits import EXIT_BAD_INPUT
from ftgate.cli.flags import (
    add_rule_file_cap,
    directory,
    listen_address,
    listen_problem,
    log_level,
    optional_listen_address,
    positive_int,
    positive_seconds,
    readable_file,
)
from ftgate.cli.help import HelpFormatter
from ftgate.server.hooks import ServerHooks
from ftgate.server.http.address import ListenError, listen_flag
from ftgate.server.http.limits import ConnectionLimits
from ftgate.server.options import SERVE_DEFAULTS as D
from ftgate.server.options import ServeOptions


def add_parser(sub: Any) -> None:
    s = sub.add_parser("serve", help="run the gRPC service", description=__doc__,
                       formatter_class=HelpFormatter)
    s.add_argument("--listen", type=listen_address, metavar="HOST:PORT",
                   default=D.listen, help="gRPC address HOST:PORT")
    s.add_argument("--http-listen", default=D.http_listen, type=listen_flag, metavar="HOST:PORT",
                   help="HTTP/JSON API and web console address HOST:PORT ('' to disable; "
                        "docs/http.md)")
    s.add_argument("--metrics-listen", type=optional_listen_address, metavar="HOST:PORT",
                   default=D.metrics_listen, help="Prometheus /metrics address HOST:PORT ('' to disable)")
    s.add_argument("--rules", type=directory, default=None, metavar="DIR",
                   help="rule directory (default: the shipped rules)")
    add_rule_file_cap(s)
    s.add_argument("--max-batch", type=int, default=D.max_batch, help="largest EvaluateBatch accepted")
    s.add_argument("--drain-delay", type=float, default=D.drain_delay_seconds,
                   help="seconds between health NOT_SERVING and refusing new calls on SIGTERM "
                        "(give load balancers time to notice; e.g. 5 on Kubernetes)")
    s.add_argument("--grace", type=float, default=D.grace_seconds,
                   help="seconds calls in flight get to finish after SIGTERM")
    s.add_argument("--threads", type=int, default=D.threads,
                   help="gRPC worker threads per worker process (docs/performance.md)")
    s.add_argument("--decision-cache", type=int, default=D.decision_cache,
                   help="answers kept per worker for profiles asked about again, least recently "
                        "used out first (0: off; docs/performance.md)")
    s.add_argument("--workers", type=int, default=None,
                   help="server processes sharing the port (SO_REUSEPORT), each with its own "
                        "engine (default: the number of cores; docs/performance.md)")
    s.add_argument("--log-level", type=log_level, default="info",
                   help="debug, info, warning or error")
    _operations_flags(s)


def _operations_flags(s: argparse.ArgumentParser) -> None:
    """Reload, limits, access and audit flags of `serve` (docs/operations.md)."""
    s.add_argument("--reload-interval", type=float, default=D.reload_interval,
                   help="seconds between looks at the rule directory; 0: reload on SIGHUP only")
    s.add_argument("--max-request-bytes", type=int, default=D.max_request_bytes,
                   help="largest request message accepted (bytes)")
    s.add_argument("--max-streams-per-connection", type=int,
                   default=D.max_streams_per_connection,
                   help="HTTP/2 streams one connection may hold open; beyond: refused "
                        "(docs/operations.md: clients that never read)")
    s.add_argument("--max-connections", type=int, default=D.max_connections,
                   help="connections accepted at once (per process); beyond: closed")
    s.add_argument("--max-concurrent", type=int, default=D.max_concurrent,
                   help="calls accepted at once (running or waiting for a thread); beyond: "
                        "RESOURCE_EXHAUSTED; 0: no limit")
    s.add_argument("--default-deadline", type=float, default=D.default_deadline,
                   help="deadline (seconds) of calls whose client set none or a longer one; "
                        "0: none")
    s.add_argument("--tls-cert", type=readable_file, metavar="FILE", help="PEM certificate chain: serve TLS")
    s.add_argument("--tls-key", type=readable_file, metavar="FILE", help="PEM private key of --tls-cert")
    s.add_argument("--tls-client-ca", type=readable_file, metavar="FILE",
                   help="PEM CA bundle: require client certificates signed by it (mutual TLS)")
    s.add_argument("--auth-tokens", type=readable_file, metavar="FILE",
                   help="file of bearer tokens, one a line: calls need 'authorization: Bearer T'")
    s.add_argument("--waiver-tokens", type=readable_file, metavar="FILE",
                   help="file of tokens, one a line, that may grant and revoke waivers "
                        "('ftgate-waiver-token: T'); without it the server refuses those writes")
    s.add_argument("--max-waiver-days", type=positive_int, default=D.max_waiver_days,
                   metavar="DAYS",
                   help="how far ahead a waiver may expire")
    s.add_argument("--audit-db", type=audit_target, metavar="PATH|URL",
                   help="decision audit log: an SQLite file, or a postgresql:// URL shared by "
                        "every replica (default: $FTGATE_AUDIT_DB, else no audit log)")
    s.add_argument("--audit-durability", choices=("async", "sync"),
                   default=D.audit_durability,
                   help="async: answer at once, record a batch later (dropped and counted when "
                        "the store is down past --audit-queue); sync: answer only once the "
                        "record is committed, UNAVAILABLE when it cannot be")
    s.add_argument("--audit-queue", type=int, default=D.audit_queue,
                   help="decisions waiting for the audit writer; beyond: dropped and counted")
    s.add_argument("--audit-retention", type=retention, metavar="AGE",
                   help="delete recorded decisions older than this, e.g. 90d, 12h (0: keep "
                        f"forever; default {D.audit_retention_days:g}d)")
    s.add_argument("--audit-retention-days", type=float, default=None,
                   help="the same in days (kept for existing set-ups)")
    s.add_argument("--audit-migrate", action="store_true",
                   help="apply the PostgreSQL audit store's schema migrations at start")
    s.add_argument("--http-tls-cert", type=readable_file, metavar="FILE",
                   help="PEM certificate chain of the HTTP listener alone (default: --tls-cert); "
                        "the admission webhook needs HTTPS")
    s.add_argument("--http-tls-key", type=readable_file, metavar="FILE",
                   help="PEM private key of --http-tls-cert")
    s.add_argument("--http-client-ca", type=readable_file, metavar="FILE",
                   help="PEM CA bundle: the HTTP listener requires client certificates signed "
                        "by it (the admission webhook's guard; docs/gate.md)")
    _http_limit_flags(s)
    s.add_argument("--admission-kinds", type=_admission_kinds, default=None, metavar="KINDS",
                   help="the admission webhook (POST /k8s/validate on --http-listen) gates "
                        "batch/v1 Job and these kinds, comma-separated 'GROUP/VERSION Kind', "
                        "e.g. 'kubeflow.org/v1 PyTorchJob,jobset.x-k8s.io/v1alpha2 JobSet' "
                        "(docs/gate.md)")
    s.add_argument("--admission-mode", choices=("enforce", "warn"),
                   default=D.admission_mode,
                   help="enforce: the webhook refuses what the policy refuses; warn: it admits "
                        "everything and says what it would refuse (a first rollout)")


def _http_limit_flags(s: argparse.ArgumentParser) -> None:
    """The HTTP listener's connection cap and read deadlines (docs/operations.md)."""
    s.add_argument("--http-max-connections", type=int, default=D.http_limits.max_connections,
                   metavar="N",
                   help="HTTP connections open at once (per process); beyond: answered 503 and "
                        "closed")
    s.add_argument("--http-header-timeout", type=positive_seconds,
                   default=D.http_limits.header_timeout, metavar="SECONDS",
                   help="seconds a request's headers may take to arrive, from its first byte (or "
                        "the connection's opening); beyond: 408 and closed")
    s.add_argument("--http-body-timeout", type=positive_seconds,
                   default=D.http_limits.body_timeout, metavar="SECONDS",
                   help="seconds a request's body may take to arrive after its headers; "
                        "beyond: 408 and closed")
    s.add_argument("--http-keepalive-timeout", type=positive_seconds,
                   default=D.http_limits.keepalive_timeout, metavar="SECONDS",
                   help="seconds an HTTP connection may stay idle between requests; beyond: closed")


def _admission_kinds(text: str) -> tuple[Any, ...]:
    """argparse type of --admission-kinds."""
    from ftgate.admission import parse_kinds

    try:
        return parse_kinds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def options_errors(args: argparse.Namespace) -> list[str]:
    """Every flag combination `serve` refuses, each naming its flag."""
    errors = []
    if bool(args.tls_cert) != bool(args.tls_key):
        errors.append("--tls-cert and --tls-key go together")
    if bool(args.http_tls_cert) != bool(args.http_tls_key):
        errors.append("--http-tls-cert and --http-tls-key go together")
    if args.tls_client_ca and not args.tls_cert:
        errors.append("--tls-client-ca needs --tls-cert and --tls-key")
    if args.http_client_ca and not (args.http_tls_cert or args.tls_cert):
        errors.append("--http-client-ca needs HTTPS: --http-tls-cert and --http-tls-key "
                      "(or --tls-cert and --tls-key)")
    for flag in ("max_request_bytes", "max_batch", "threads", "audit_queue",
                 "max_streams_per_connection", "max_connections", "http_max_connections"):
        if getattr(args, flag) < 1:
            errors.append(f"--{flag.replace('_', '-')} must be at least 1")
    for flag in ("max_concurrent", "default_deadline", "decision_cache", "reload_interval",
                 "grace", "drain_delay", "audit_retention_days"):
        if (getattr(args, flag) or 0) < 0:
            errors.append(f"--{flag.replace('_', '-')} must not be negative")
    if args.audit_retention is not None and args.audit_retention_days is not None:
        errors.append("--audit-retention and --audit-retention-days: give one of them")
    if args.audit_durability == "sync" and not args.audit_db:
        errors.append("--audit-durability sync needs --audit-db")
    if args.workers is not None and args.workers < 1:
        errors.append("--workers must be at least 1")
    if args.metrics_listen == args.listen and not args.listen.endswith(":0"):
        errors.append(f"--listen and --metrics-listen are the same address {args.listen}")
    return errors


def _listen_errors(args: argparse.Namespace) -> list[str]:
    """Each port that cannot be listened on now, named by its flag, with how to choose another
    (one line each: the usual cause is a second server, or anything else, on a default port)."""
    errors = []
    for flag, address in (("--listen", args.listen), ("--metrics-listen", args.metrics_listen),
                          ("--http-listen", args.http_listen)):
        problem = listen_problem(address) if address else None
        if problem:
            errors.append(f"{flag}: {problem}; choose another with {flag} HOST:PORT")
    return errors


def _audit_db_from_env(args: argparse.Namespace) -> list[str]:
    """--audit-db from FTGATE_AUDIT_DB when the flag is not given: a Kubernetes Secret can hold
    the URL (and its password) without it appearing in the command line."""
    value = os.environ.get(AUDIT_DB_ENV, "").strip()
    if args.audit_db is not None or not value:
        return []
    try:
        args.audit_db = audit_target(value)
    except argparse.ArgumentTypeError as exc:
        return [f"{AUDIT_DB_ENV}: {exc}"]
    return []


def _retention_days(args: argparse.Namespace) -> float:
    if args.audit_retention is not None:
        return float(args.audit_retention) / 86400
    if args.audit_retention_days is None:
        return D.audit_retention_days
    return float(args.audit_retention_days)


def serve_options(args: argparse.Namespace, hooks: ServerHooks) -> ServeOptions:
    """The server's options from the parsed (and checked) flags; no flag given: SERVE_DEFAULTS."""
    return ServeOptions(
        listen=args.listen, metrics_listen=args.metrics_listen or None,
        http_listen=args.http_listen or None,
        max_batch=args.max_batch, grace_seconds=args.grace, threads=args.threads,
        drain_delay_seconds=args.drain_delay,
        max_request_bytes=args.max_request_bytes, max_concurrent=args.max_concurrent,
        max_streams_per_connection=args.max_streams_per_connection,
        max_connections=args.max_connections,
        default_deadline=args.default_deadline or None,
        reload_interval=args.reload_interval, max_rule_file_bytes=args.max_rule_file_bytes,
        tls_cert=args.tls_cert, tls_key=args.tls_key, tls_client_ca=args.tls_client_ca,
        auth_tokens=args.auth_tokens, audit_db=args.audit_db, audit_queue=args.audit_queue,
        waiver_tokens=args.waiver_tokens, max_waiver_days=args.max_waiver_days,
        audit_retention_days=_retention_days(args), audit_durability=args.audit_durability,
        audit_migrate=args.audit_migrate, decision_cache=args.decision_cache,
        admission_kinds=args.admission_kinds or (), admission_mode=args.admission_mode,
        http_tls_cert=args.http_tls_cert, http_tls_key=args.http_tls_key,
        http_client_ca=args.http_client_ca, http_limits=ConnectionLimits(
            max_connections=args.http_max_connections,
            header_timeout=args.http_header_timeout, body_timeout=args.http_body_timeout,
            keepalive_timeout=args.http_keepalive_timeout),
        hooks=hooks)


def run(args: argparse.Namespace, hooks: ServerHooks | None = None) -> int:
    """`ftgate serve`; `hooks`: test-only behaviour (server/hooks.py, handed in by ftgate.testing)."""
    # First, before anything slow (the rules load in a second or two): from here on SIGTERM and
    # SIGINT are a stop like any other, exit 0 (server/signals.py), not the default death (143).
    from ftgate.server.fdlimit import raise_open_files_limit
    from ftgate.server.signals import process_flags

    signals = process_flags()  # (installed already when started as `ftgate serve`)
    open_files = raise_open_files_limit()
    import structlog

    from ftgate.engine import Engine
    from ftgate.obs.logging import configure
    from ftgate.obs.tracing import protocol_error
    from ftgate.server.preflight import check_start_files
    from ftgate.server.server import serve
    from ftgate.server.workers import default_workers, serve_workers

    decision_log = configure(args.log_level)
    tracing_error = protocol_error()  # OTEL_* (obs/tracing.py), refused before any worker starts
    errors = (_audit_db_from_env(args) or options_errors(args) or _listen_errors(args)
              or ([tracing_error] if tracing_error else []))
    for error in errors:
        print(f"ftgate serve: {error}", file=sys.stderr)
    if errors:
        return EXIT_BAD_INPUT
    engine = Engine(args.rules, args.max_rule_file_bytes)  # validates the rules before any worker starts
    workers = default_workers() if args.workers is None else args.workers
    def start(engine: Engine, options: ServeOptions) -> int:
        if workers == 1:
            return serve(engine, options, decision_log, signals=signals)
        return serve_workers(options, args.rules, args.log_level, workers, signals=signals)
    options = serve_options(args, hooks or ServerHooks())
    check_start_files(options)  # token, TLS and audit files: named here, before any worker
    log = structlog.get_logger("ftgate")
    log.info("starting", open_files_limit=open_files, workers=workers)
    if signals.stopped_by is not None:  # asked to stop while the rules and files were read
        log.info("stopped_before_serving", signal=signals.stop_name)
        return 0
    try:
        return start(engine, options)
    except ListenError as exc:  # the HTTP port, taken between the probe and the bind
        print(f"ftgate serve: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        # Taken between the probe and the bind (a race), or refused by the system.
        if exc.errno == errno.EADDRINUSE:
            print(f"ftgate serve: --metrics-listen: {args.metrics_listen} is already in use",
                  file=sys.stderr)
            return EXIT_BAD_INPUT
        if exc.errno is None and "cannot listen" in str(exc):
            print(f"ftgate serve: --listen: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        raise
