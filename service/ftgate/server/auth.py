"""Who may call: TLS (mutual with a client CA) and bearer tokens.

Tokens travel as `authorization: Bearer <token>` metadata and are checked in constant time. They
come from a file, one a line (blank lines and `#` comments ignored). Only their SHA-256 digests
are kept in memory, and neither a token, a digest nor a key is ever logged. Health checks stay
open so that probes need no secret.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import grpc
import structlog

from ftgate.errors import FtgateError
from ftgate.obs.operations import AUTH_REFUSED
from ftgate.server.handlers import parts, with_behavior

log = structlog.get_logger("ftgate")
OPEN_METHOD_PREFIXES = ("/grpc.health.v1.Health/",)


class AccessFileError(FtgateError):
    """A token, certificate or key file cannot be read (or the token file holds no token)."""


def read_tokens(path: str | Path) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise AccessFileError(f"cannot read the token file {path}: {type(exc).__name__}") from None
    tokens = [line.strip() for line in lines]
    tokens = [t for t in tokens if t and not t.startswith("#")]
    if not tokens:
        raise AccessFileError(f"the token file {path} holds no token")
    return tokens


def bearer_token(metadata: Sequence[tuple[str, Any]] | None) -> str | None:
    """The token of the first `authorization: Bearer ...` entry, or None."""
    for key, value in metadata or ():
        if key.lower() != "authorization" or not isinstance(value, str):
            continue
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return None


class TokenAuth:
    """Refuse with UNAUTHENTICATED every call without a known token, health checks aside."""

    def __init__(self, tokens: Sequence[str], path: str | Path | None = None,
                 open_prefixes: tuple[str, ...] = OPEN_METHOD_PREFIXES) -> None:
        self._digests = _digests(tokens)
        self.path = Path(path) if path else None
        self.open_prefixes = open_prefixes

    @classmethod
    def from_file(cls, path: str | Path) -> TokenAuth:
        return cls(read_tokens(path), path)

    def reload(self) -> None:
        """Re-read the token file (SIGHUP); keep the current tokens when it is unreadable."""
        if self.path is None:
            return
        try:
            self._digests = _digests(read_tokens(self.path))
        except AccessFileError as exc:
            log.error("auth_tokens_reload_failed", error=str(exc))
            return
        log.info("auth_tokens_reloaded", tokens=len(self._digests))

    def allows(self, token: str | None) -> bool:
        if token is None:
            return False
        presented = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        found = False
        for digest in self._digests:  # no early exit: the time does not tell which token matched
            found |= hmac.compare_digest(presented, digest)
        return found

    def __call__(self, method: str, handler: Any) -> Any:
        """A wrapper of api.handlers: every call of `method` must carry a known token (health
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


def _digests(tokens: Sequence[str]) -> list[bytes]:
    return [hashlib.sha256(t.encode("utf-8")).digest() for t in tokens]


def server_credentials(cert: str | Path, key: str | Path,
                       client_ca: str | Path | None = None) -> grpc.ServerCredentials:
    """TLS with this certificate chain and key; with `client_ca`, mutual TLS: every client must
    present a certificate signed by it."""
    try:
        chain, private_key = Path(cert).read_bytes(), Path(key).read_bytes()
        ca = Path(client_ca).read_bytes() if client_ca else None
    except OSError as exc:  # the message names the file, never its content
        raise AccessFileError(f"cannot read a TLS file: {exc.filename}: {exc.strerror}") from None
    return grpc.ssl_server_credentials([(private_key, chain)], root_certificates=ca,
                                       require_client_auth=ca is not None)
