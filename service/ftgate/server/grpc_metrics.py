"""The gRPC server series of go-grpc-prometheus / py-grpc-prometheus, for less per call.

Same names, labels and meaning as py-grpc-prometheus 0.8 (dashboards and alerts keep working):
grpc_server_started_total, grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code},
grpc_server_handling_seconds (histogram), grpc_server_msg_received_total and
grpc_server_msg_sent_total (streams). py-grpc-prometheus looks the labelled children up by keyword
on every call (three look-ups, each sorting its labels); here they are resolved once per method
and status code and kept, and each method is wrapped once, when it is registered, instead of by an
interceptor on every call (server/handlers.py, docs/performance.md).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import grpc
from prometheus_client import Counter, Histogram

from ftgate.obs.deferred import deferred
from ftgate.server.handlers import parts

_LABELS = ["grpc_type", "grpc_service", "grpc_method"]
STARTED = Counter("grpc_server_started_total", "Total number of RPCs started on the server.",
                  _LABELS)
HANDLED = Counter(
    "grpc_server_handled_total",
    "Total number of RPCs completed on the server, regardless of success or failure.",
    [*_LABELS, "grpc_code"])
HANDLING_SECONDS = Histogram(
    "grpc_server_handling_seconds",
    "Histogram of response latency (seconds) of gRPC that had been application-level "
    "handled by the server.", _LABELS)
MSG_RECEIVED = Counter("grpc_server_msg_received_total",
                       "Total number of RPC stream messages received on the server.", _LABELS)
MSG_SENT = Counter("grpc_server_msg_sent_total",
                   "Total number of gRPC stream messages sent by the server.", _LABELS)

_TYPES = {(False, False): "UNARY", (True, False): "CLIENT_STREAM",
          (False, True): "SERVER_STREAM", (True, True): "BIDI_STREAM"}


class _Method:
    """The labelled children of one method, resolved once."""

    __slots__ = ("_handled", "labels", "received", "seconds", "sent", "started")

    def __init__(self, grpc_type: str, service: str, method: str) -> None:
        self.labels = (grpc_type, service, method)
        self.started = deferred(STARTED.labels(*self.labels))
        self.seconds = HANDLING_SECONDS.labels(*self.labels)
        self.received = MSG_RECEIVED.labels(*self.labels)
        self.sent = MSG_SENT.labels(*self.labels)
        self._handled: dict[grpc.StatusCode, Any] = {}

    def handled(self, code: grpc.StatusCode) -> Any:
        child = self._handled.get(code)
        if child is None:
            child = self._handled[code] = deferred(HANDLED.labels(*self.labels, code.name))
        return child


def _status(context: Any) -> grpc.StatusCode:
    # As py-grpc-prometheus: the code the servicer set (abort, set_code), CANCELLED when the
    # call is no longer active without one (the client went away or its deadline passed),
    # else OK. ServicerContext.code() is public since grpcio 1.38.
    code = context.code()
    if code is not None:
        return code
    return grpc.StatusCode.OK if context.is_active() else grpc.StatusCode.CANCELLED


def _counted(items: Iterator[Any], counter: Any) -> Iterator[Any]:
    for item in items:
        counter.inc()
        yield item


class ServerMetrics:
    """Counts and times every call of every method. A wrapper of server/handlers.py: applied once per
    method when it is registered, with the method's labelled children resolved then."""

    def __call__(self, name: str, handler: Any) -> Any:
        req_stream, resp_stream = handler.request_streaming, handler.response_streaming
        names = name.split("/")
        service, method = (names[1], names[2]) if len(names) >= 3 else ("", "")
        m = _Method(_TYPES[req_stream, resp_stream], service, method)
        behavior, factory = parts(handler)
        started, seconds, handled = m.started, m.seconds, m.handled
        perf_counter = time.perf_counter

        def measured(request: Any, context: Any) -> Any:
            start = perf_counter()
            if req_stream:
                request = _counted(request, m.received)
            else:
                started.inc()
            try:
                response = behavior(request, context)
            except Exception:
                code = _status(context)
                handled(grpc.StatusCode.UNKNOWN if code == grpc.StatusCode.OK else code).inc()
                raise
            finally:
                if not resp_stream:
                    seconds.observe(max(perf_counter() - start, 0.0))
            if resp_stream:
                return _counted(response, m.sent)
            handled(_status(context)).inc()
            return response

        return factory(measured, request_deserializer=handler.request_deserializer,
                       response_serializer=handler.response_serializer)
