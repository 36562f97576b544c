"""The API routes, one per google.api.http binding of the proto: request from JSON body or
parameters, the call through the decision path (decide.py), the answer in the proto3 JSON mapping.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

import grpc
from google.protobuf import message_factory
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ftgate.api import language
from ftgate.api.waivers import TOKEN_HEADER
from ftgate.server.http.body import (
    BadBody,
    check_content_type,
    message_from_params,
    request_from_json,
)
from ftgate.server.http.body_field import field_from_json
from ftgate.server.http.decide import Decider, HttpCallContext, Refused
from ftgate.server.http.errors import grpc_error, http_error
from ftgate.server.http.protodoc import Binding, bindings
from ftgate.server.http.workers import TimedOut, Workers

# A client's own deadline, in seconds (capped by the server's --default-deadline).
TIMEOUT_HEADER = "request-timeout"


def answer(body: bytes) -> Response:
    """A response's JSON (decide.py wrote it)."""
    return Response(body, media_type="application/json")


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BadBody(f"the body is {int(declared):,} bytes; at most {limit:,} are accepted", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadBody(f"the body is over {limit:,} bytes, the most accepted", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def call_timeout(request: Request, default: float | None) -> float | None:
    """Seconds this call may take: the Request-Timeout header, capped by the server default."""
    text = request.headers.get(TIMEOUT_HEADER)
    if text is None:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not math.isfinite(seconds) or seconds <= 0:
        raise BadBody(f"the Request-Timeout header must be a positive number of seconds, "
                      f"got {text[:40]!r}")
    return min(seconds, default) if default else seconds


def api_routes(decider: Decider, max_request_bytes: int, default_deadline: float | None,
               workers: Workers) -> list[Route]:
    def endpoint(binding: Binding) -> Callable[[Request], Awaitable[Response]]:
        make = message_factory.GetMessageClass(binding.method.input_type)
        name = binding.method.name

        async def handle(request: Request) -> Response:
            try:
                validated = None
                if binding.body:
                    check_content_type(request.headers.get("content-type"))
                    message, validated = request_from_json(
                        await read_body(request, max_request_bytes), make())
                elif binding.body_field:
                    check_content_type(request.headers.get("content-type"))
                    message = message_from_params(request.path_params, (), make())
                    field_from_json(await read_body(request, max_request_bytes), message,
                                    binding.body_field)
                else:
                    message = message_from_params(request.path_params,
                                                  request.query_params.multi_items(), make())
                timeout = call_timeout(request, default_deadline)
            except BadBody as exc:
                return http_error(exc.http_status, exc.message, exc.violations)
            context = HttpCallContext(timeout, language.choose(
                request.headers.get("accept-language")),
                request.headers.get(TOKEN_HEADER), validated)
            try:
                result = await workers.run(timeout, decider.call, name, message, context)
            except Refused as exc:
                return grpc_error(exc.code, exc.message, exc.violations)
            except TimedOut:  # whatever still runs stops at its next check
                context.active = False
                return grpc_error(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
            return answer(result)

        return handle

    return [Route(b.path, endpoint(b), methods=[b.verb], name=b.method.name)
            for b in bindings()]
