"""The HTTP application: the API routes (api.py), the probes, the OpenAPI document and the
console, behind the gate (gate.py); every error in the one JSON shape (errors.py)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ftgate.access import TokenAuth
from ftgate.admission import Admission
from ftgate.api import language
from ftgate.api.service import AdvisorService
from ftgate.engine import Engine
from ftgate.obs import tracing
from ftgate.profile_input.reader import as_violations, read_request_profiles
from ftgate.server.http import console_data
from ftgate.server.http.admission import admission_route
from ftgate.server.http.api import api_routes, read_body
from ftgate.server.http.body import BadBody
from ftgate.server.http.decide import Decider
from ftgate.server.http.errors import http_error
from ftgate.server.http.form import profile_form
from ftgate.server.http.gate import EdgeState, Gate
from ftgate.server.http.openapi import document
from ftgate.server.http.outcomes import outcome_routes
from ftgate.server.http.tracing import TracedRequests
from ftgate.server.http.workers import Workers

log = structlog.get_logger("ftgate")
CONSOLE = Path(__file__).resolve().parent / "console"


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {404: f"no route {request.url.path}",
               405: f"{request.method} is not allowed on {request.url.path}"}.get(
        exc.status_code, str(exc.detail))
    return http_error(exc.status_code, message, headers=dict(exc.headers or {}))


async def _client_gone(_request: Request, _exc: Exception) -> Response:
    """The connection closed before the body was in (the client left, or the body did not come
    in time: server/http/guard.py): not the server's fault, and nobody reads the answer."""
    return http_error(499, "the connection closed before the request body was in")


async def _internal(request: Request, exc: Exception) -> Response:
    log.error("internal_error", method=f"HTTP {request.method} {request.url.path[:100]}",
              exc_info=exc)
    return http_error(500, "internal error; see the server log")


def direct_routes(routes: list[Route]) -> dict[tuple[str, str], ASGIApp]:
    """The gated routes of a fixed path (Evaluate's, the webhook's...) by method and path, each
    an ASGI app of its own that the gate calls itself: Starlette's middleware and router took a
    tenth of an Evaluate's CPU (py-spy, docs/performance.md) and give these nothing but the
    error handlers, which `_direct` applies. A path they do not match exactly (a trailing
    slash, HEAD, another method) goes through Starlette as before."""
    return {(method, route.path): _direct(route.endpoint) for route in routes
            if "{" not in route.path for method in route.methods or () if method != "HEAD"}


def _direct(endpoint: Callable[[Request], Awaitable[Response]]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except ClientDisconnect as exc:
            response = await _client_gone(request, exc)
        except Exception as exc:  # (after it is logged, as Starlette's handler does)
            response = await _internal(request, exc)
        await response(scope, receive, send)

    return app


def build_app(service: AdvisorService, engine: Engine, state: EdgeState,
              auth: TokenAuth | None, *, workers: Workers, max_request_bytes: int,
              default_deadline: float | None, admission: Admission | None = None) -> ASGIApp:

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "SERVING"})

    async def readyz(_: Request) -> Response:
        if state.draining() or state.refusing:
            return http_error(503, "draining: the server is shutting down")
        return JSONResponse({"status": "SERVING", "rulesetVersion": engine.ruleset.version})

    async def openapi(_: Request) -> Response:
        return JSONResponse(document())

    async def form(_: Request) -> Response:
        return JSONResponse(profile_form())

    async def console(_: Request) -> Response:
        return FileResponse(CONSOLE / "index.html", media_type="text/html; charset=utf-8")

    async def console_words(request: Request) -> Response:
        lang = language.choose(request.query_params.get("lang")
                               or request.headers.get("accept-language"))
        return JSONResponse(console_data.words(lang, service.recorder.audit is not None))

    async def console_roi(request: Request) -> Response:
        try:
            data = json.loads(await read_body(request, max_request_bytes) or b"{}")
        except BadBody as exc:
            return http_error(exc.http_status, exc.message)
        except ValueError:
            return http_error(400, "the body is not JSON: send the body of /v1/evaluate")
        if not isinstance(data, dict):
            return http_error(400, "the body must be a JSON object with a `project` profile")
        profiles, problems, _ = read_request_profiles(data, False)
        if problems or not profiles:
            return http_error(400, "the profile has invalid fields" if problems else
                              "the body has no `project` profile", as_violations(problems))
        lang = language.choose(request.headers.get("accept-language"))
        answer = await workers.run(None, console_data.roi, engine, profiles[0], lang)
        return JSONResponse(answer)

    gated = api_routes(Decider(service), max_request_bytes, default_deadline, workers)
    if admission is not None:  # the webhook (ftgate.admission)
        gated.append(admission_route(service, admission, max_request_bytes, default_deadline,
                                     workers))
    routes: list[BaseRoute] = [
        *gated,
        *outcome_routes(service.decisions.store, CONSOLE, workers),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/", console, methods=["GET"]),
        Route("/decisions/{decision_id}", console, methods=["GET"]),
        Route("/console/form.json", form, methods=["GET"]),
        Route("/console/words.json", console_words, methods=["GET"]),
        Route("/console/roi.json", console_roi, methods=["POST"]),
        Mount("/console", StaticFiles(directory=CONSOLE), name="console"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_exception,
                                                       ClientDisconnect: _client_gone,
                                                       Exception: _internal})
    gate = Gate(app, routes, state, auth, direct_routes(gated))
    tracer = tracing.tracer()  # None: tracing off, no wrapper at all
    return gate if tracer is None else TracedRequests(gate, tracer, gate.route)
