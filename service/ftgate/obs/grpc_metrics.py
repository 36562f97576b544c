"""The gRPC server series of go-grpc-prometheus / py-grpc-prometheus, for less per call.

Same names, labels and meaning as py-grpc-prometheus 0.8 (dashboards and alerts keep working):
grpc_server_started_total, grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code},
grpc_server_handling_seconds (histogram), grpc_server_msg_received_total and
grpc_server_msg_sent_total (streams). py-grpc-prometheus looks the labelled children up by keyword
on every call (three look-ups, each sorting its labels); here they are resolved once per method
and status code and kept (docs/performance.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
from prometheus_client import Counter, Histogram

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
        self.started = STARTED.labels(*self.labels)
        self.seconds = HANDLING_SECONDS.labels(*self.labels)
        self.received = MSG_RECEIVED.labels(*self.labels)
        self.sent = MSG_SENT.labels(*self.labels)
        self._handled: dict[grpc.StatusCode, Any] = {}

    def handled(self, code: grpc.StatusCode) -> Any:
        child = self._handled.get(code)
        if child is None:
            child = self._handled[code] = HANDLED.labels(*self.labels, code.name)
        return child


def _status(context: Any) -> grpc.StatusCode:
    # As py-grpc-prometheus: the code the servicer set (abort, set_code), CANCELLED, else OK.
    state = context._state
    if state.client == "cancelled":
        return grpc.StatusCode.CANCELLED
    return state.code if state.code is not None else grpc.StatusCode.OK


def _counted(items: Iterator[Any], counter: Any) -> Iterator[Any]:
    for item in items:
        counter.inc()
        yield item


class ServerMetrics(grpc.ServerInterceptor):  # type: ignore[misc]
    """Counts and times every call; children cached per (type, service, method)."""

    def __init__(self) -> None:
        self._methods: dict[tuple[str, bool, bool], _Method] = {}

    def _method(self, name: str, req_stream: bool, resp_stream: bool) -> _Method:
        key = (name, req_stream, resp_stream)
        m = self._methods.get(key)
        if m is None:
            parts = name.split("/")
            service, method = (parts[1], parts[2]) if len(parts) >= 3 else ("", "")
            m = self._methods[key] = _Method(_TYPES[req_stream, resp_stream], service, method)
        return m

    def intercept_service(self, continuation: Callable[[Any], Any], details: Any) -> Any:
        handler = continuation(details)
        if handler is None:
            return None
        req_stream, resp_stream = handler.request_streaming, handler.response_streaming
        m = self._method(details.method, req_stream, resp_stream)
        if req_stream and resp_stream:
            behavior, factory = handler.stream_stream, grpc.stream_stream_rpc_method_handler
        elif req_stream:
            behavior, factory = handler.stream_unary, grpc.stream_unary_rpc_method_handler
        elif resp_stream:
            behavior, factory = handler.unary_stream, grpc.unary_stream_rpc_method_handler
        else:
            behavior, factory = handler.unary_unary, grpc.unary_unary_rpc_method_handler

        def measured(request: Any, context: Any) -> Any:
            start = time.perf_counter()
            if req_stream:
                request = _counted(request, m.received)
            else:
                m.started.inc()
            try:
                response = behavior(request, context)
            except Exception:
                code = _status(context)
                m.handled(grpc.StatusCode.UNKNOWN if code == grpc.StatusCode.OK else code).inc()
                raise
            finally:
                if not resp_stream:
                    m.seconds.observe(max(time.perf_counter() - start, 0.0))
            if resp_stream:
                return _counted(response, m.sent)
            m.handled(_status(context)).inc()
            return response

        return factory(measured, request_deserializer=handler.request_deserializer,
                       response_serializer=handler.response_serializer)
