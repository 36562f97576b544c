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

# The listener's guard (server/http/guard.py).
CONNECTIONS_OPEN = Gauge("ftgate_http_connections", "HTTP connections open.",
                         multiprocess_mode="livesum")
CONNECTIONS_REFUSED = Counter(
    "ftgate_http_connections_refused_total",
    "HTTP connections answered 503 and closed at once, by reason (max_connections: "
    "--http-max-connections; file_descriptors: the process's descriptors kept for the rest).",
    ["reason"])
CONNECTIONS_TIMED_OUT = Counter(
    "ftgate_http_connections_timed_out_total",
    "HTTP connections closed for taking too long, by what was awaited (header, body: answered "
    "408; keepalive: idle between requests).", ["phase"])
MALFORMED = Counter("ftgate_http_malformed_requests_total",
                    "HTTP requests that were not valid HTTP/1.1 (answered 400 and closed).")
