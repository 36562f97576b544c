"""`/metrics` over HTTP: prometheus_client's server as a piece of background work."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, start_http_server


class MetricsEndpoint:
    """Serves `registry` on HOST:PORT (port 0: a free one, read from `port` once started)."""

    name = "metrics_endpoint"

    def __init__(self, host: str, port: int, registry: CollectorRegistry = REGISTRY) -> None:
        self.host = host
        self.port = port
        self.registry = registry
        self._server: Any = None
        self._thread: Any = None

    def start(self) -> None:
        self._server, self._thread = start_http_server(self.port, addr=self.host,
                                                       registry=self.registry)
        self.port = int(self._server.server_port)

    def flush(self) -> None:
        """Nothing is pending: each scrape reads the counters as they are."""

    def stop(self, timeout: float) -> bool:
        if self._server is None:
            return True
        self._server.shutdown()  # the serving loop notices within its poll interval (0.5 s)
        self._server.server_close()
        self._thread.join(timeout)
        return not self._thread.is_alive()
