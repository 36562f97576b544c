"""What every HTTP request passes before its route: metrics, then for the API (/v1/...) and the
admission webhook (/k8s/...) draining (503), bearer tokens (401, the API only: the Kubernetes API
server sends none) and the concurrency limit (429) — the limits of the gRPC server."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import structlog
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ftgate.access import TokenAuth, bearer_token
from ftgate.obs.operations import AUTH_REFUSED
from ftgate.server.http import metrics
from ftgate.server.http.errors import http_error

log = structlog.get_logger("ftgate")
API_PREFIX = "/v1/"
_KEPT_TEMPLATES = 1024  # paths whose route template is kept (ids make paths many)
GATED_PREFIXES = (API_PREFIX, "/k8s/")


@dataclass
class EdgeState:
    """Shared by the event loop and the thread that stops the server."""

    max_concurrent: int  # 0: no limit
    draining: Callable[[], bool] = lambda: False  # the server is stopping (readiness is off)
    refusing: bool = False  # new API calls get 503
    in_flight: int = 0


class Gate:
    """ASGI middleware around the whole HTTP application."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute], state: EdgeState,
                 auth: TokenAuth | None,
                 direct: Mapping[tuple[str, str], ASGIApp] | None = None) -> None:
        self.app = app
        # Gated routes the gate calls itself, by method and exact path (app.direct_routes).
        self.direct = dict(direct or {})
        self.routes = routes
        self.state = state
        self.auth = auth
        self._templates: dict[tuple[str, str], str] = {}

    def route(self, scope: Scope) -> str:
        """The route template of a request (a bounded metric label); the templates of the
        last paths seen are kept (matching every route was a regex per route per call)."""
        key = (scope["method"], scope["path"])
        template = self._templates.get(key)
        if template is None:
            template = "other"
            for route in self.routes:
                match, _ = route.matches(scope)
                if match != Match.NONE:
                    template = str(getattr(route, "path", "other")) or "other"
                    break
            if len(self._templates) >= _KEPT_TEMPLATES:
                self._templates.clear()
            self._templates[key] = template
        return template

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            if scope["path"].startswith(GATED_PREFIXES):
                await self._api(scope, receive, sending)
            else:
                await self.app(scope, receive, sending)
        finally:
            metrics.record(scope["method"], self.route(scope), status[0],
                           time.perf_counter() - started)

    async def _api(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        if state.refusing:
            response = http_error(503, "the server is shutting down; retry on another instance",
                                  headers={"Retry-After": "1"})
        elif (self.auth is not None and scope["path"].startswith(API_PREFIX)
              and not self._authorized(scope)):
            response = http_error(401, "missing or invalid bearer token",
                                  headers={"WWW-Authenticate": "Bearer"})
        elif state.max_concurrent and state.in_flight >= state.max_concurrent:
            response = http_error(429, f"more than {state.max_concurrent} calls at once; "
                                       "retry later", headers={"Retry-After": "1"})
        else:
            state.in_flight += 1
            metrics.IN_FLIGHT.inc()
            try:
                app = self.direct.get((scope["method"], scope["path"]), self.app)
                await app(scope, receive, send)
            finally:
                state.in_flight -= 1
                metrics.IN_FLIGHT.dec()
            return
        await response(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        assert self.auth is not None
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        token = bearer_token(headers)
        if self.auth.allows(token):
            return True
        reason = "missing" if token is None else "wrong"
        AUTH_REFUSED.labels(reason).inc()
        log.info("unauthenticated", method=f"HTTP {scope['method']} {scope['path'][:100]}",
                 reason=reason)
        return False
