"""Wrappers are applied once per method, when a service registers its handlers."""

from __future__ import annotations

from typing import Any

import grpc
from ftgate.server.handlers import WrappingRegistrar, with_behavior


class _Server:
    """What WrappingRegistrar passes on to."""

    def __init__(self) -> None:
        self.registered: dict[str, dict[str, Any]] = {}
        self.generic: list[grpc.GenericRpcHandler] = []

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Any]) -> None:
        self.registered[service] = handlers

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        self.generic.extend(handlers)


class _Details:
    def __init__(self, method: str) -> None:
        self.method = method
        self.invocation_metadata = ()


def _tagging(calls: list[str], tag: str) -> Any:
    def wrapper(method: str, handler: Any) -> Any:
        calls.append(f"{tag} {method}")
        behavior = handler.unary_unary
        return with_behavior(handler, lambda request, context: f"{tag}({behavior(request, context)})")
    return wrapper


def test_registered_handlers_are_wrapped_once_in_order() -> None:
    calls: list[str] = []
    server = _Server()
    registrar = WrappingRegistrar(server, [_tagging(calls, "outer"), _tagging(calls, "inner")])
    handler = grpc.unary_unary_rpc_method_handler(lambda request, context: request)
    registrar.add_registered_method_handlers("pkg.Svc", {"Do": handler})
    wrapped = server.registered["pkg.Svc"]["Do"]
    assert calls == ["inner /pkg.Svc/Do", "outer /pkg.Svc/Do"]
    assert wrapped.unary_unary("x", None) == "outer(inner(x))"
    assert wrapped.unary_unary("y", None) == "outer(inner(y))"
    assert len(calls) == 2  # calls do not wrap again


def test_generic_handlers_are_wrapped_once_per_method() -> None:
    calls: list[str] = []
    server = _Server()
    registrar = WrappingRegistrar(server, [_tagging(calls, "w")])
    handler = grpc.unary_unary_rpc_method_handler(lambda request, context: request)
    registrar.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("pkg.Svc", {"Do": handler})])
    [generic] = server.generic
    first = generic.service(_Details("/pkg.Svc/Do"))
    assert first is generic.service(_Details("/pkg.Svc/Do"))
    assert first.unary_unary("x", None) == "w(x)" and calls == ["w /pkg.Svc/Do"]
    assert generic.service(_Details("/pkg.Svc/Unknown")) is None
