"""Who may call over gRPC: the token check of ftgate/access.py as a wrapper of each method's
handler (UNAUTHENTICATED before the behaviour runs), and the server's TLS credentials."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import structlog

from ftgate import access
from ftgate.access import AccessFileError, bearer_token, check_tls_files
from ftgate.obs.operations import AUTH_REFUSED
from ftgate.server.handlers import parts, with_behavior

log = structlog.get_logger("ftgate")


class TokenAuth(access.TokenAuth):
    """Refuse with UNAUTHENTICATED every call without a known token, health checks aside."""

    def __call__(self, method: str, handler: Any) -> Any:
        """A wrapper of server/handlers.py: every call of `method` must carry a known token (health
        checks excepted), or it ends UNAUTHENTICATED before its behaviour runs."""
        if method.startswith(self.open_prefixes):
            return handler
        behavior, _ = parts(handler)

        def checked(request: Any, context: Any) -> Any:
            token = bearer_token(context.invocation_metadata())
            if not self.allows(token):
                reason = "missing" if token is None else "wrong"
                AUTH_REFUSED.labels(reason).inc()
                log.info("unauthenticated", method=method, reason=reason)
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or invalid bearer token")
            return behavior(request, context)

        return with_behavior(handler, checked)


def server_credentials(cert: str | Path, key: str | Path,
                       client_ca: str | Path | None = None) -> grpc.ServerCredentials:
    """TLS with this certificate chain and key; with `client_ca`, mutual TLS: every client must
    present a certificate signed by it."""
    check_tls_files(cert, key, client_ca)
    try:
        chain, private_key = Path(cert).read_bytes(), Path(key).read_bytes()
        ca = Path(client_ca).read_bytes() if client_ca else None
    except OSError as exc:  # the message names the file, never its content
        raise AccessFileError(f"cannot read a TLS file: {exc.filename}: {exc.strerror}") from None
    return grpc.ssl_server_credentials([(private_key, chain)], root_certificates=ca,
                                       require_client_auth=ca is not None)
