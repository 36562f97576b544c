"""POST /k8s/validate: the Kubernetes validating admission webhook (ftgate.admission) on the HTTP
front door. The body is read within --max-request-bytes; the profile is decided on the server's
decision path (api/service.AdvisorService) in a worker thread, within the API server's timeout.

A body that is no AdmissionReview v1 gets a 4xx in the one JSON error shape (errors.py); every
review gets 200 and an AdmissionReview echoing its uid.
"""

from __future__ import annotations

import re
from typing import Any

import structlog
from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ftgate.admission import Admission, BadReview, parse_review
from ftgate.admission import answer as answers
from ftgate.api.answer import Answer
from ftgate.api.limits import CallBudget
from ftgate.api.service import AdvisorService
from ftgate.profile_input import ProfileFile
from ftgate.server.http.api import read_body
from ftgate.server.http.body import BadBody, check_content_type
from ftgate.server.http.decide import HttpCallContext
from ftgate.server.http.errors import http_error
from ftgate.server.http.workers import TimedOut, Workers
from ftgate.v1 import advisor_pb2 as pb

log = structlog.get_logger("ftgate")
PATH = "/k8s/validate"
REVIEWS = Counter("ftgate_admission_reviews_total",
                  "AdmissionReviews answered by the webhook: not_gated (not labelled, or not "
                  "CREATE/UPDATE), unchanged (an UPDATE keeping its profile), admitted, refused, "
                  "or warned (refused in --admission-mode warn).", ["answer"])
# The API server sends its webhook timeout as ?timeout=10s (a Go duration); the answer must be
# back before it, so the decision gets that much less this margin.
_MARGIN_SECONDS = 0.5
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def api_server_timeout(text: str | None) -> float | None:
    """Seconds of a Go duration ('10s', '1m30s'); None when absent or unreadable."""
    if not text or _DURATION.sub("", text):
        return None
    return sum(float(n) * _UNIT[u] for n, u in _DURATION.findall(text)) or None


def admission_route(service: AdvisorService, admission: Admission, max_request_bytes: int,
                    default_deadline: float | None, workers: Workers) -> Route:
    def decide(context: HttpCallContext, read: ProfileFile, audit: bool) -> Answer:
        budget = CallBudget(context, default_deadline)
        # (validated by the input reader already: not checked again)
        return service.evaluate(pb.EvaluateRequest(project=read.message), budget, audit=audit,
                                validated=None if read.validated is None else (read.validated,))

    def review(body: bytes, context: HttpCallContext) -> dict[str, Any]:
        request = parse_review(body)
        result = admission.answer(request, lambda p, audit: decide(context, p, audit))
        obj = request.object or request.old_object
        # The object ↔ decision link in ftgate's own log (the API server's audit log has it too).
        log.info("admission", uid=request.uid, operation=request.operation,
                 kind=str(request.kind), namespace=request.namespace,
                 name=obj.name if obj else "", user=request.user, dry_run=request.dry_run,
                 allowed=result.allowed, code=result.code,
                 decision_id=result.audit.get(answers.DECISION_ID, ""))
        REVIEWS.labels(result.kind).inc()
        return answers.review(request.uid, result)

    async def validate(request: Request) -> Response:
        try:
            check_content_type(request.headers.get("content-type"))
            body = await read_body(request, max_request_bytes)
        except BadBody as exc:
            return http_error(exc.http_status, exc.message)
        timeout = api_server_timeout(request.query_params.get("timeout"))
        if timeout is not None:
            timeout = max(timeout - _MARGIN_SECONDS, timeout / 2)
        context = HttpCallContext(timeout)
        try:
            result = await workers.run(None if timeout is None else timeout + _MARGIN_SECONDS,
                                       review, body, context)
        except BadReview as exc:
            return http_error(exc.http_status, exc.message)
        except TimedOut:  # the decision still runs: it stops at its next budget check
            context.active = False
            return http_error(504, f"no answer within the API server's timeout "
                                   f"({request.query_params.get('timeout')})")
        return JSONResponse(result)

    return Route(PATH, validate, methods=["POST"], name="AdmissionReview")
