"""What `serve` checks before it starts anything: the files it is given.

A token, certificate, key or client CA file, or an audit database, that cannot be used is
reported here, once, naming the file and what to do (exit 2), instead of surfacing later as
gRPC's "Failed to bind to address" or an sqlite3 error in every worker.
"""

from __future__ import annotations

from ftgate.access import check_tls_files, read_tokens
from ftgate.audit.stores import check_store
from ftgate.server.options import ServeOptions


def check_start_files(options: ServeOptions) -> None:
    """AccessFileError or AuditFileError (both FtgateError) for the first file that cannot be
    used; an SQLite audit database is created when missing and given SQLite's quick check, a
    PostgreSQL one reached and its schema checked (migrated first with --audit-migrate)."""
    if options.auth_tokens:
        read_tokens(options.auth_tokens)
    if options.waiver_tokens:
        read_tokens(options.waiver_tokens)
    if options.tls_cert and options.tls_key:
        check_tls_files(options.tls_cert, options.tls_key, options.tls_client_ca)
    if options.audit_db:
        check_store(options.audit_db, migrate=options.audit_migrate)
