"""Per-method wrappers applied once, when a service registers its handlers, not on every call.

gRPC Python runs server interceptors on every call, and each interceptor that changes a call
builds a new method handler for it (`grpc.unary_unary_rpc_method_handler` even runs an import
statement each time): under load that machinery took about 15 % of a worker's GIL time
(docs/performance.md). ftgate's wrappers — metrics, the token check, decoding inside the call —
are functions of the method alone, so they are applied once: the generated `add_*_to_server`
functions register their handlers on a `WrappingRegistrar`, which wraps each one and passes it on
to the real server. The server then runs with no interceptor at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import grpc

# A wrapper takes a method's full name ("/package.Service/Method") and its handler, and returns
# the handler to use instead (or the same one).
Wrapper = Callable[[str, Any], Any]


def parts(handler: Any) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The behaviour of a method handler and the grpc factory that builds one of its kind."""
    if handler.request_streaming and handler.response_streaming:
        return handler.stream_stream, grpc.stream_stream_rpc_method_handler
    if handler.request_streaming:
        return handler.stream_unary, grpc.stream_unary_rpc_method_handler
    if handler.response_streaming:
        return handler.unary_stream, grpc.unary_stream_rpc_method_handler
    return handler.unary_unary, grpc.unary_unary_rpc_method_handler


def with_behavior(handler: Any, behavior: Callable[..., Any], *,
                  decode: bool = True) -> Any:
    """`handler` with another behaviour; `decode=False` hands the behaviour the raw bytes."""
    _, factory = parts(handler)
    return factory(behavior,
                   request_deserializer=handler.request_deserializer if decode else None,
                   response_serializer=handler.response_serializer)


def sends_bytes(methods: Iterable[str]) -> Wrapper:
    """A wrapper: the handlers of `methods` (full names) send what their behaviour returns as
    it is, already serialized (server/grpc/servicer.py SENDS_BYTES)."""
    names = frozenset(methods)

    def wrap(method: str, handler: Any) -> Any:
        if method not in names:
            return handler
        behavior, factory = parts(handler)
        return factory(behavior, request_deserializer=handler.request_deserializer,
                       response_serializer=None)
    return wrap


class WrappingRegistrar:
    """Stands for the server in `add_*_to_server(servicer, registrar)`: every method handler is
    passed through `wrappers` (the first one outermost) before it reaches the server."""

    def __init__(self, server: grpc.Server, wrappers: Sequence[Wrapper]) -> None:
        self.server = server
        self.wrappers = tuple(wrappers)

    def wrap(self, method: str, handler: Any) -> Any:
        for wrapper in reversed(self.wrappers):
            handler = wrapper(method, handler)
        return handler

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Any]) -> None:
        self.server.add_registered_method_handlers(
            service, {name: self.wrap(f"/{service}/{name}", h) for name, h in handlers.items()})

    def add_generic_rpc_handlers(self, generic: Iterable[grpc.GenericRpcHandler]) -> None:
        self.server.add_generic_rpc_handlers(tuple(_Wrapped(g, self.wrap) for g in generic))


class _Wrapped(grpc.GenericRpcHandler):  # type: ignore[misc]
    """A generic handler whose answers are wrapped once per method and then reused. (Methods
    registered by name never come here: the server finds them directly.)"""

    def __init__(self, inner: grpc.GenericRpcHandler, wrap: Wrapper) -> None:
        self.inner = inner
        self.wrap = wrap
        self.cache: dict[str, tuple[Any, Any]] = {}

    def service(self, details: grpc.HandlerCallDetails) -> Any:
        handler = self.inner.service(details)
        if handler is None:
            return None
        method: str = details.method
        cached = self.cache.get(method)
        if cached is None or cached[0] is not handler:
            cached = self.cache[method] = (handler, self.wrap(method, handler))
        return cached[1]
