"""What a server is started with, and every default of `ftgate serve`, written once.

`ServeOptions` is the table: its field defaults are the defaults of the `serve` flags
(cli/serve.py reads them from `SERVE_DEFAULTS`, and `ftgate serve --help` shows them). A module
of plain data: the CLI builds its parser from it without loading gRPC or the HTTP stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ftgate.ruleset import DEFAULT_MAX_FILE_BYTES
from ftgate.server.hooks import ServerHooks
from ftgate.server.http.limits import ConnectionLimits

if TYPE_CHECKING:
    from ftgate.admission.kinds import AdmissionKind

MAX_MESSAGE_BYTES = 4 * 1024 * 1024


@dataclass
class ServeOptions:
    # The three listeners, HOST:PORT (None: off).
    listen: str = "127.0.0.1:50051"
    metrics_listen: str | None = "127.0.0.1:9464"
    # HTTP/JSON API and console (server/http/). Same TLS, tokens and limits as gRPC.
    http_listen: str | None = "127.0.0.1:8080"
    max_batch: int = 100
    grace_seconds: float = 10.0
    # Seconds between health NOT_SERVING and refusing new calls, so that load balancers and
    # clients see the change before the port closes (rolling updates lose no call).
    drain_delay_seconds: float = 0.0
    # Per worker process. The handlers are CPU-bound Python: beyond a few threads they only
    # queue on the GIL, and every extra thread adds hand-overs (docs/performance.md).
    threads: int = 4
    # Evaluate answers kept for profiles asked about again (api/cache.py; 0: off), and the
    # most bytes they may hold.
    decision_cache: int = 4096
    decision_cache_bytes: int = 64 * 1024 * 1024
    # Limits (docs/operations.md): beyond max_concurrent calls at once, RESOURCE_EXHAUSTED.
    max_request_bytes: int = MAX_MESSAGE_BYTES
    max_concurrent: int = 64
    # Clients that do not read (docs/operations.md): an HTTP/2 stream whose answer its client
    # does not take stays open, the answer held in memory. At most this many streams per
    # connection (more are refused), answers of at most max_response_bytes, and at most
    # max_connections connections: together they bound what such clients can make a server hold.
    max_streams_per_connection: int = 16
    max_response_bytes: int = MAX_MESSAGE_BYTES
    max_connections: int = 512
    default_deadline: float | None = 10.0
    # Rule reload: seconds between looks at the rule directory (0: only on SIGHUP), and the
    # largest rule file read, at start and on each reload (ruleset/loader.py).
    reload_interval: float = 2.0
    max_rule_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    # Access: TLS (mutual with a client CA) and bearer tokens.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None
    auth_tokens: Path | None = None
    # Who may grant and revoke waivers (None: nobody through the server), and how far ahead.
    waiver_tokens: Path | None = None
    max_waiver_days: int = 90
    # Decision audit log (None: off): an SQLite path or a postgresql:// URL (audit/backend.py);
    # sync: a call is answered only once its record is committed (audit/writer.py).
    audit_db: Path | str | None = None
    audit_queue: int = 10_000
    audit_retention_days: float = 30.0
    audit_durability: str = "async"
    audit_migrate: bool = False  # apply the store's schema migrations at start
    # Share the port with other processes (SO_REUSEPORT): set for `--workers` (server/workers.py)
    # only, so that a second server started by mistake fails instead of sharing.
    reuse_port: bool = False
    # The admission webhook on the HTTP listener (ftgate.admission, docs/gate.md): the kinds it
    # gates besides batch/v1 Job, and whether it refuses ("enforce") or only warns ("warn").
    admission_kinds: tuple[AdmissionKind, ...] = ()
    # HTTPS on the HTTP listener only (default: tls_cert/tls_key, as gRPC).
    http_tls_cert: Path | None = None
    http_tls_key: Path | None = None
    admission_mode: str = "enforce"
    # Client certificates the HTTP listener requires (the webhook's guard: docs/gate.md).
    http_client_ca: Path | None = None
    # The HTTP listener's connection cap and read deadlines (server/http/guard.py).
    http_limits: ConnectionLimits = field(default_factory=ConnectionLimits)
    # Test-only behaviour handed in by `ftgate.testing` (server/hooks.py); none in production.
    hooks: ServerHooks = field(default_factory=ServerHooks)


SERVE_DEFAULTS = ServeOptions()
