"""A server span per HTTP call of the API (/v1/...) and the admission webhook (/k8s/...),
continuing the caller's W3C trace context (the `traceparent` header), installed only when
tracing is on (obs/tracing.py); the HTTP twin of server/tracing.py.

Follows the OpenTelemetry HTTP conventions: span "METHOD route" of kind SERVER with
http.request.method, http.route, url.path and http.response.status_code; a 5xx marks the span
as an error. The decision path runs in a worker thread that inherits the span as its current
one (server/http/workers.py copies the context), so its child spans and the decision attributes land under it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ftgate.server.http.gate import GATED_PREFIXES


class TracedRequests:
    """ASGI middleware: the gated paths' calls each in a server span; others pass untouched."""

    def __init__(self, app: ASGIApp, tracer: Any, route: Callable[[Scope], str]) -> None:
        from opentelemetry.propagate import extract
        from opentelemetry.trace import SpanKind, Status, StatusCode

        self.app = app
        self.tracer = tracer
        self.route = route
        self.extract = extract
        self.kind = SpanKind.SERVER
        self.status = Status
        self.error = StatusCode.ERROR

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(GATED_PREFIXES):
            await self.app(scope, receive, send)
            return
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        method, route = scope["method"], self.route(scope)
        attributes = {"http.request.method": method, "http.route": route,
                      "url.path": scope["path"][:200]}
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        with self.tracer.start_as_current_span(f"{method} {route}", context=self.extract(carrier),
                                               kind=self.kind, attributes=attributes,
                                               record_exception=False) as span:
            try:
                await self.app(scope, receive, sending)
            finally:
                span.set_attribute("http.response.status_code", status[0])
                if status[0] >= 500:
                    span.set_status(self.status(self.error, f"HTTP {status[0]}"))
