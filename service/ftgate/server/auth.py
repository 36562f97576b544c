"""Who may call: TLS (mutual with a client CA) and bearer tokens.

Tokens travel as `authorization: Bearer <token>` metadata and are checked in constant time. They
come from a file, one a line (blank lines and `#` comments ignored). Only their SHA-256 digests
are kept in memory, and neither a token, a digest nor a key is ever logged. Health checks stay
open so that probes need no secret.

The scheme is matched without regard to case and may be followed by several spaces (RFC 7235
§2.1 and RFC 6750 §2.1: `Bearer`, `bearer` and `BEARER` are the same scheme).

The token file on SIGHUP (docs/operations.md): a file that holds no token means that no caller
is allowed any more, and is applied; a file that cannot be read (deleted, unreadable) keeps the
last good tokens, is logged at error and shows as ftgate_auth_tokens_file_ok 0 until a reload
succeeds. At start, both are errors (exit 2): a server nobody may call is a mistake.
"""

from __future__ import annotations

import hashlib
import hmac
import ssl
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import grpc
import structlog

from ftgate.errors import FtgateError
from ftgate.obs.operations import AUTH_REFUSED, AUTH_TOKENS_FILE_OK
from ftgate.server.handlers import parts, with_behavior
from ftgate.userfile import FileRefused, read_file

log = structlog.get_logger("ftgate")
OPEN_METHOD_PREFIXES = ("/grpc.health.v1.Health/",)
# The largest token, certificate, key or CA file read (a system CA bundle is about 200 KB).
MAX_ACCESS_FILE_BYTES = 4 * 1024 * 1024


class AccessFileError(FtgateError):
    """A token, certificate or key file cannot be read (or the token file holds no token)."""


def read_tokens(path: str | Path, allow_empty: bool = False) -> list[str]:
    """The tokens of a token file; AccessFileError when it cannot be read, or (unless
    `allow_empty`) holds none."""
    try:  # a regular file only: a FIFO swapped in cannot block a SIGHUP reload
        lines = read_file(path, MAX_ACCESS_FILE_BYTES).decode("utf-8").splitlines()
    except FileRefused as exc:
        raise AccessFileError(f"cannot read the token file {path}: {exc.reason}") from None
    except UnicodeDecodeError:
        raise AccessFileError(f"cannot read the token file {path}: not UTF-8 text") from None
    tokens = [line.strip() for line in lines]
    tokens = [t for t in tokens if t and not t.startswith("#")]
    if not tokens and not allow_empty:
        raise AccessFileError(f"the token file {path} holds no token: no caller could be "
                              f"allowed; put one token a line in it")
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
        auth = cls(read_tokens(path), path)
        AUTH_TOKENS_FILE_OK.set(1)
        return auth

    def reload(self) -> None:
        """Re-read the token file (SIGHUP). No token in it: no caller allowed from now on. The
        file unreadable or gone: the current tokens are kept, and that is alerted (log at
        error, ftgate_auth_tokens_file_ok 0) until a reload succeeds."""
        if self.path is None:
            return
        try:
            tokens = read_tokens(self.path, allow_empty=True)
        except AccessFileError as exc:
            AUTH_TOKENS_FILE_OK.set(0)
            log.error("auth_tokens_reload_failed", error=str(exc),
                      kept="the previous tokens, until the file can be read")
            return
        self._digests = _digests(tokens)
        AUTH_TOKENS_FILE_OK.set(1)
        if tokens:
            log.info("auth_tokens_reloaded", tokens=len(tokens))
        else:
            log.warning("auth_tokens_reloaded", tokens=0, effect="every call is refused")

    def allows(self, token: str | None) -> bool:
        if token is None:
            return False
        presented = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        found = False
        for digest in self._digests:  # no early exit: the time does not tell which token matched
            found |= hmac.compare_digest(presented, digest)
        return found

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


def _digests(tokens: Sequence[str]) -> list[bytes]:
    return [hashlib.sha256(t.encode("utf-8")).digest() for t in tokens]


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


def check_tls_files(cert: str | Path, key: str | Path, client_ca: str | Path | None = None) -> None:
    """AccessFileError naming the file when the certificate, its key or the client CA cannot
    be used (unreadable, not PEM, or a key of another certificate). gRPC itself only says that
    it failed to bind the address."""
    for name, path in (("certificate", cert), ("key", key), ("client CA", client_ca)):
        if path is None:
            continue
        try:  # a regular file only: the ssl module below would block on a FIFO
            read_file(path, MAX_ACCESS_FILE_BYTES)
        except FileRefused as exc:  # the message names the file, never its content
            raise AccessFileError(f"cannot read the TLS {name} file {path}: {exc.reason}") \
                from None
    _load(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations, cert,
          f"the TLS certificate file {cert} holds no PEM certificate")
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert, key, password=_no_password)
    except (ssl.SSLError, ValueError) as exc:
        if "KEY_VALUES_MISMATCH" in str(exc) or "key values mismatch" in str(exc):
            raise AccessFileError(f"the TLS key file {key} is not the key of the certificate "
                                  f"{cert}: give the key the certificate was made for") from None
        raise AccessFileError(f"the TLS key file {key} holds no usable private key (expected "
                              f"an unencrypted PEM key)") from None
    if client_ca is not None:
        _load(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations, client_ca,
              f"the client CA file {client_ca} holds no PEM certificate")


def _no_password() -> str:
    return ""  # an encrypted key fails here instead of asking on the terminal


def _load(load: Any, path: str | Path, message: str) -> None:
    try:
        load(str(path))
    except (ssl.SSLError, ValueError) as exc:
        raise AccessFileError(f"{message} ({_reason(exc)})") from None


def _reason(exc: Exception) -> str:
    return exc.reason if isinstance(exc, ssl.SSLError) and exc.reason else type(exc).__name__
