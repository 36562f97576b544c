"""The HTTP front door: uvicorn serving the HTTP application in a thread of the gRPC server's
process, with the gRPC server's TLS files, tokens and limits; drained on stop like gRPC."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
import uvicorn

from ftgate.access import TokenAuth
from ftgate.admission import Admission
from ftgate.api.service import AdvisorService
from ftgate.engine import Engine
from ftgate.server.http.address import ListenError, split_address
from ftgate.server.http.app import build_app
from ftgate.server.http.gate import EdgeState
from ftgate.server.http.guard import GuardedListener, guarded_protocol
from ftgate.server.http.limits import ConnectionLimits
from ftgate.server.http.workers import Workers

log = structlog.get_logger("ftgate")


class _UvicornToLog(logging.Handler):
    """uvicorn's own warnings (a request it cannot parse, a connection lost...) as key/value log
    lines like every other of ftgate's, not plain text on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        log.warning("http_server", message=record.getMessage()[:300], source=record.name)


class _Server(uvicorn.Server):
    """uvicorn's server, waking once a second (the resolution of its Date header) where uvicorn
    wakes ten times to see whether it should stop: the idle listener's cost
    (docs/performance.md). `exit` stops it at once, from any thread."""

    _loop: asyncio.AbstractEventLoop | None = None
    _wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        counter = 0  # (uvicorn's on_tick renews the Date header when it is a multiple of 10)
        while not await self.on_tick(counter):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)
            counter = (counter + 10) % 864_000

    def exit(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:  # (else main_loop has yet to look)
            with contextlib.suppress(RuntimeError):  # the loop has closed already
                loop.call_soon_threadsafe(wake.set)


def _route_uvicorn_logs() -> None:
    logger = logging.getLogger("uvicorn")
    if not any(isinstance(h, _UvicornToLog) for h in logger.handlers):
        logger.addHandler(_UvicornToLog(logging.WARNING))
    logger.setLevel(logging.WARNING)
    logger.propagate = False


def _bind(address: str, reuse_port: bool) -> socket.socket:
    host, port = split_address(address)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = GuardedListener(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it: without it, an answer written in two pieces (head, then
    # body) waits for the client's delayed ACK, 40 ms a call (docs/http.md).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if reuse_port:  # worker processes share the port, as they share the gRPC one
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ListenError(f"--http-listen: cannot listen on {address}: {exc.strerror}; "
                          f"choose another with --http-listen HOST:PORT") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _client_ca(options: Any) -> Path | None:
    """The CA of the client certificates the HTTP port requires: --http-client-ca; else gRPC's
    --tls-client-ca, unless the HTTP port has a certificate of its own (the Kubernetes API
    server calls the webhook without a client certificate unless told to present one:
    docs/gate.md)."""
    if getattr(options, "http_client_ca", None):
        return Path(options.http_client_ca)
    if options.tls_client_ca and not getattr(options, "http_tls_cert", None):
        return Path(options.tls_client_ca)
    return None


class HttpEdge:
    """A running HTTP server; `stop` refuses new calls, lets those in flight finish within the
    grace, then closes; `wait` returns once it has."""

    def __init__(self, options: Any, service: AdvisorService, engine: Engine,
                 auth: TokenAuth | None, draining: Callable[[], bool]) -> None:
        self.state = EdgeState(options.max_concurrent, draining)
        admission = Admission.of(getattr(options, "admission_kinds", ()),
                                 getattr(options, "admission_mode", "enforce"))
        self.workers = Workers(options.threads)
        app = build_app(service, engine, self.state, auth, workers=self.workers,
                        max_request_bytes=options.max_request_bytes,
                        default_deadline=options.default_deadline or None,
                        admission=admission)
        self.socket = _bind(options.http_listen, options.reuse_port)
        self.port = int(self.socket.getsockname()[1])
        tls: dict[str, Any] = {}
        # --http-tls-cert/--http-tls-key: HTTPS here with gRPC left as it is (the admission
        # webhook must be HTTPS); otherwise the gRPC server's TLS files.
        cert = getattr(options, "http_tls_cert", None) or options.tls_cert
        key = getattr(options, "http_tls_key", None) or options.tls_key
        if cert and key:
            tls = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
            client_ca = _client_ca(options)
            if client_ca:
                tls |= {"ssl_ca_certs": str(client_ca), "ssl_cert_reqs": ssl.CERT_REQUIRED}
        self.tls = bool(tls)
        limits: ConnectionLimits = getattr(options, "http_limits", None) or ConnectionLimits()
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off",
                                server_header=False, timeout_graceful_shutdown=options.grace_seconds,
                                http=guarded_protocol(limits),
                                # (typed int by uvicorn; it is a delay of call_later: any float)
                                timeout_keep_alive=limits.keepalive_timeout,  # type: ignore[arg-type]
                                **tls)
        try:  # now, not in the server's thread: a TLS file that does not load fails the start
            config.load()
        except (OSError, ssl.SSLError) as exc:
            self.socket.close()
            raise ListenError(f"cannot serve HTTPS on {options.http_listen}: {exc}") from None
        _route_uvicorn_logs()
        self.server = _Server(config)
        self._thread = threading.Thread(target=self._run, name="ftgate-http", daemon=True)
        self._stopped = threading.Event()

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.socket])
        except Exception as exc:  # the gRPC port keeps serving; say why HTTP stopped
            log.error("http_failed", exc_info=exc)
        finally:
            self.workers.close()
            self._stopped.set()

    def start(self) -> HttpEdge:
        self._thread.start()
        log.info("http_serving", address=self.socket_address(), tls=self.tls)
        return self

    def socket_address(self) -> str:
        host = self.socket.getsockname()[0]
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"

    def stop(self, grace: float) -> HttpEdge:
        """Refuse new API calls (503) and, in the background, close once the calls in flight
        have ended or `grace` seconds have passed."""
        self.state.refusing = True

        def close() -> None:
            deadline = time.monotonic() + grace
            while self.state.in_flight and time.monotonic() < deadline:
                time.sleep(0.02)  # bounded by the grace; the count lives in the event loop
            self.server.exit()

        threading.Thread(target=close, name="ftgate-http-stop", daemon=True).start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the server has closed (within `timeout` seconds)."""
        return self._stopped.wait(timeout)


def start_http(options: Any, service: AdvisorService, engine: Engine, auth: TokenAuth | None,
               draining: Callable[[], bool]) -> HttpEdge | None:
    """The HTTP front door on `options.http_listen`, started (with the admission webhook, POST
    /k8s/validate); None when that is empty."""
    if not getattr(options, "http_listen", None):
        return None
    return HttpEdge(options, service, engine, auth, draining).start()
