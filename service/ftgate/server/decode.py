"""Request bytes that are not a valid message are INVALID_ARGUMENT, not INTERNAL.

gRPC Python decodes a request before any servicer code runs and answers INTERNAL ("Exception
deserializing request!") when the bytes are garbage. This wrapper takes the bytes as they
are and decodes them in the call's own thread, so that a bad message is the caller's error,
reported with a google.rpc.BadRequest like every other bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ftgate.api.servicer import abort_invalid
from ftgate.errors import InvalidInput, Violation
from ftgate.server.handlers import with_behavior


class DecodeInCall:
    """A wrapper of api.handlers: the unary methods of the services named in `prefixes` get
    their request bytes as they are and decode them inside the call."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self.prefixes = prefixes

    def __call__(self, method: str, handler: Any) -> Any:
        if (handler.request_streaming or handler.response_streaming
                or handler.request_deserializer is None or not method.startswith(self.prefixes)):
            return handler
        return with_behavior(handler, _decoding(handler.unary_unary, handler.request_deserializer),
                             decode=False)


def _decoding(behavior: Callable[[Any, Any], Any],
              decode: Callable[[bytes], Any]) -> Callable[[bytes, Any], Any]:
    def call(raw: bytes, context: Any) -> Any:
        try:
            request = decode(raw)
        except Exception as exc:  # DecodeError, or any failure of the decoder: the bytes are bad
            abort_invalid(context, InvalidInput([
                Violation("request", f"not a valid message: {type(exc).__name__}")]))
        return behavior(request, context)
    return call
