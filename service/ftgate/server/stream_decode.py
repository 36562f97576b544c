"""Streaming requests are decoded inside the call: gRPC Python must never fail to decode one.

When gRPC Python cannot decode a message of a request stream (grpcio 1.85, `grpc/_server.py`),
its receive callback sends an INTERNAL status at once and marks the call `statused`; the
handler's request iterator then simply ends, the handler returns, and gRPC sends a *second*
status for the same call (`_status` checks only for a cancelled client). The core rejects that
batch, but its token stays in the call's `due` set for good: the call never completes, and
`server.stop(grace)` waits for it forever — one `0xFF` sent to the reflection service made
SIGTERM hang. So stream methods get their messages as bytes (no deserializer: gRPC passes
bytes through) and decode them in the handler's thread, where a bad message is the caller's
error: INVALID_ARGUMENT, sent once, by the normal abort path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ftgate.api.servicer import abort_invalid
from ftgate.errors import InvalidInput, Violation
from ftgate.server.handlers import parts


def decode_streams_in_call(method: str, handler: Any) -> Any:
    """A wrapper of server/handlers.py for every method with a request stream."""
    decode = handler.request_deserializer
    if not handler.request_streaming or decode is None:
        return handler
    behavior, factory = parts(handler)

    def call(raw: Iterator[bytes], context: Any) -> Any:
        return behavior(_decoded(raw, decode, context), context)

    return factory(call, request_deserializer=None,
                   response_serializer=handler.response_serializer)


def _decoded(raw: Iterator[bytes], decode: Callable[[bytes], Any],
             context: Any) -> Iterator[Any]:
    for index, data in enumerate(raw):
        try:
            message = decode(data)
        except Exception as exc:  # DecodeError, or any failure of the decoder: the bytes are bad
            abort_invalid(context, InvalidInput([Violation(
                f"request[{index}]", f"not a valid message: {type(exc).__name__}")]))
        yield message
