"""A server span per call, continuing the caller's W3C trace context (a wrapper of
server/handlers.py, installed only when tracing is on: obs/tracing.py).

Follows the OpenTelemetry RPC conventions: span "package.Service/Method" of kind SERVER with
rpc.system, rpc.service, rpc.method and rpc.grpc.status_code; the server-side error codes mark
the span as an error. Unary calls only (the advisor's methods and health Check): streams
(health Watch, reflection) are left as they are.
"""

from __future__ import annotations

from typing import Any

import grpc

from ftgate.server.handlers import parts

# What the RPC conventions count as a server error (the others are the caller's).
_SERVER_ERRORS = frozenset({grpc.StatusCode.UNKNOWN, grpc.StatusCode.DEADLINE_EXCEEDED,
                            grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.INTERNAL,
                            grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DATA_LOSS})


class TracedCalls:
    """Wraps each unary method once, at registration, with its server span."""

    def __init__(self, tracer: Any) -> None:
        from opentelemetry.propagate import extract
        from opentelemetry.trace import SpanKind, Status, StatusCode

        self.tracer = tracer
        self.extract = extract
        self.kind = SpanKind.SERVER
        self.status = Status
        self.error = StatusCode.ERROR

    def __call__(self, method: str, handler: Any) -> Any:
        if handler.request_streaming or handler.response_streaming:
            return handler
        behavior, factory = parts(handler)
        name = method.lstrip("/")
        service, _, rpc_method = name.partition("/")
        attributes = {"rpc.system": "grpc", "rpc.service": service, "rpc.method": rpc_method}
        tracer, extract, kind = self.tracer, self.extract, self.kind

        def traced(request: Any, context: Any) -> Any:
            carrier = {m.key: m.value for m in context.invocation_metadata()
                       if isinstance(m.value, str)}
            with tracer.start_as_current_span(name, context=extract(carrier), kind=kind,
                                              attributes=attributes,
                                              record_exception=False) as span:
                try:
                    answer = behavior(request, context)
                except Exception:
                    self._finish(span, context, grpc.StatusCode.UNKNOWN)
                    raise
                self._finish(span, context, grpc.StatusCode.OK)
                return answer

        return factory(traced, request_deserializer=handler.request_deserializer,
                       response_serializer=handler.response_serializer)

    def _finish(self, span: Any, context: Any, default: grpc.StatusCode) -> None:
        code = context.code() or default
        span.set_attribute("rpc.grpc.status_code", code.value[0])
        if code in _SERVER_ERRORS:
            span.set_status(self.status(self.error, str(context.details() or code.name)))
