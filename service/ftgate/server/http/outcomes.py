"""GET /v1/outcomes:summary (the outcomes report, as `ftgate outcomes report --format json` prints
it: both call audit/outcome_report.report) and the console page that draws it (/outcomes)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import anyio
import grpc
from anyio import to_thread
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ftgate.audit.backend import AuditStore
from ftgate.audit.errors import StoreError
from ftgate.audit.outcome_report import report
from ftgate.errors import Violation
from ftgate.server.http.errors import grpc_error, http_error

SUMMARY_PATH = "/v1/outcomes:summary"
_PARAMETERS = ("since", "until")


class _BadTime(Exception):
    def __init__(self, name: str, text: str) -> None:
        super().__init__(f"{name}: not a time: {text[:40]!r} (RFC 3339, e.g. "
                         f"2026-01-31T00:00:00Z)")
        self.name = name


def _micros(name: str, text: str | None) -> int | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _BadTime(name, text) from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1_000_000)


def outcome_routes(store: AuditStore | None, console: Path,
                   limiter: anyio.CapacityLimiter) -> list[Route]:
    async def summary(request: Request) -> Response:
        unknown = sorted(set(request.query_params) - set(_PARAMETERS))
        if unknown:
            return http_error(400, f"unknown query parameter {unknown[0]!r} (since, until)",
                              [Violation(unknown[0], "no such parameter")])
        try:
            since = _micros("since", request.query_params.get("since"))
            until = _micros("until", request.query_params.get("until"))
        except _BadTime as exc:
            return http_error(400, str(exc), [Violation(exc.name, "expected an RFC 3339 time")])
        if since is not None and until is not None and since > until:
            return http_error(400, "until: must not be before since",
                              [Violation("until", "must not be before since")])
        if store is None:
            return grpc_error(grpc.StatusCode.FAILED_PRECONDITION,
                              "the audit log is off: start the server with --audit-db PATH")
        try:
            body = await to_thread.run_sync(report, store, since, until, limiter=limiter)
        except StoreError as exc:
            return grpc_error(grpc.StatusCode.UNAVAILABLE,
                              f"the audit store cannot answer now: {exc}")
        return JSONResponse(body)

    async def page(_: Request) -> Response:
        return FileResponse(console / "outcomes.html", media_type="text/html; charset=utf-8")

    return [Route(SUMMARY_PATH, summary, methods=["GET"], name="OutcomesSummary"),
            Route("/outcomes", page, methods=["GET"])]
