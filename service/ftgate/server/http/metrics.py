"""The HTTP series, beside the gRPC ones: requests by route template and status, and latency."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter("ftgate_http_requests_total",
                   "HTTP requests answered, by method, route template and status code.",
                   ["method", "route", "code"])
SECONDS = Histogram("ftgate_http_request_duration_seconds",
                    "Seconds from an HTTP request's arrival to its response, by route template.",
                    ["method", "route"])

IN_FLIGHT = Gauge("ftgate_http_in_flight", "HTTP API calls in flight (running or waiting).",
                  multiprocess_mode="livesum")


def record(method: str, route: str, code: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(code)).inc()
    SECONDS.labels(method, route).observe(seconds)
