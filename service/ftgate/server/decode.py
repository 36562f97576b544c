"""Request bytes that are not a valid message are INVALID_ARGUMENT, not INTERNAL.

gRPC Python decodes a request before any servicer code runs and answers INTERNAL ("Exception
deserializing request!") when the bytes are garbage; on a request stream, the failure is raised
inside gRPC's own reading of the stream. This wrapper takes the bytes as they are and decodes
them in the call itself, one message at a time, so that a bad message is the caller's error,
reported with a google.rpc.BadRequest like every other bad input. It applies to every method
of the server: the advisor's, health's (Check, Watch) and reflection's (a stream of requests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NoReturn

from ftgate.errors import InvalidInput, Violation
from ftgate.server.grpc.servicer import abort_invalid
from ftgate.server.handlers import parts, with_behavior

Decoder = Callable[[bytes], Any]


class DecodeInCall:
    """A wrapper of server/handlers.py: the methods of the services named in `prefixes` (every
    method when empty) get their request bytes as they are and decode them inside the call."""

    def __init__(self, prefixes: tuple[str, ...] = ()) -> None:
        self.prefixes = prefixes

    def __call__(self, method: str, handler: Any) -> Any:
        if handler.request_deserializer is None or (
                self.prefixes and not method.startswith(self.prefixes)):
            return handler
        behavior, _ = parts(handler)
        decode = handler.request_deserializer
        wrapped = (_decoding_stream(behavior, decode) if handler.request_streaming
                   else _decoding(behavior, decode))
        return with_behavior(handler, wrapped, decode=False)


def _refuse(context: Any, exc: Exception) -> NoReturn:
    # The decoder's exception names Python's classes: the client reads what was expected.
    abort_invalid(context, InvalidInput([Violation(
        "request", "expected a protocol buffers message of the method's request type; found "
                   "bytes that do not decode as one")]))


def _decoding(behavior: Callable[[Any, Any], Any], decode: Decoder) -> Callable[[bytes, Any], Any]:
    """A unary-request behaviour (unary or streaming answer) fed with its decoded request."""
    def call(raw: bytes, context: Any) -> Any:
        try:
            request = decode(raw)
        except Exception as exc:  # DecodeError, or any failure of the decoder: the bytes are bad
            _refuse(context, exc)
        return behavior(request, context)
    return call


def _decoding_stream(behavior: Callable[[Any, Any], Any],
                     decode: Decoder) -> Callable[[Iterator[bytes], Any], Any]:
    """A stream-request behaviour fed with its requests decoded one by one; the first bad one
    ends the call INVALID_ARGUMENT (the exception reaches gRPC through the behaviour's own
    loop over its requests, with the status already set)."""
    def call(raws: Iterator[bytes], context: Any) -> Any:
        def requests() -> Iterator[Any]:
            for raw in raws:
                try:
                    request = decode(raw)
                except Exception as exc:
                    _refuse(context, exc)
                yield request
        return behavior(requests(), context)
    return call
