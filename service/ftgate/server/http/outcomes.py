"""GET /v1/outcomes:summary (the outcomes report, as `ftgate outcomes report --format json` prints
it: both call audit/outcome_report.report) and the console page that draws it (/outcomes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ftgate.api import timestamps
from ftgate.audit.backend import AuditStore
from ftgate.audit.errors import StoreError
from ftgate.audit.outcome_report import report
from ftgate.errors import Violation
from ftgate.server.http.errors import grpc_error, http_error
from ftgate.server.http.workers import Workers

SUMMARY_PATH = "/v1/outcomes:summary"
_PARAMETERS = ("since", "until")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _BadTime(Exception):
    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"{name}: {why}")
        self.name, self.why = name, why


def _micros(name: str, text: str | None) -> int | None:
    """A query parameter's time, read as every door reads one (api/timestamps.py: RFC 3339,
    offsets within ±14:00; UTC without one)."""
    if text is None:
        return None
    try:
        when, _ = timestamps.parse(text, offset_required=False)
    except timestamps.BadTimestamp as exc:
        raise _BadTime(name, str(exc)) from None
    return (when - _EPOCH) // timedelta(microseconds=1)


def outcome_routes(store: AuditStore | None, console: Path,
                   workers: Workers) -> list[Route]:
    async def summary(request: Request) -> Response:
        unknown = sorted(set(request.query_params) - set(_PARAMETERS))
        if unknown:
            return http_error(400, f"unknown query parameter {unknown[0]!r} (since, until)",
                              [Violation(unknown[0], "no such parameter")])
        try:
            since = _micros("since", request.query_params.get("since"))
            until = _micros("until", request.query_params.get("until"))
        except _BadTime as exc:
            return http_error(400, str(exc), [Violation(exc.name, exc.why)])
        if since is not None and until is not None and since > until:
            return http_error(400, "until: must not be before since",
                              [Violation("until", "must not be before since")])
        if store is None:
            return grpc_error(grpc.StatusCode.FAILED_PRECONDITION,
                              "the audit log is off: start the server with --audit-db PATH")
        try:
            body = await workers.run(None, report, store, since, until)
        except StoreError as exc:
            return grpc_error(grpc.StatusCode.UNAVAILABLE,
                              f"the audit store cannot answer now: {exc}")
        return JSONResponse(body)

    async def page(_: Request) -> Response:
        return FileResponse(console / "outcomes.html", media_type="text/html; charset=utf-8")

    return [Route(SUMMARY_PATH, summary, methods=["GET"], name="OutcomesSummary"),
            Route("/outcomes", page, methods=["GET"])]
