"""OpenTelemetry traces of ftgate's calls: off unless the standard OTEL_* variables ask for them.

On when OTEL_TRACES_EXPORTER names an exporter (otlp, console) or an OTLP endpoint is set
(OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and OTEL_SDK_DISABLED is not
true. The SDK then reads the rest itself: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, the
sampler (OTEL_TRACES_SAMPLER), the batch processor (OTEL_BSP_*), the OTLP/gRPC exporter
(OTEL_EXPORTER_OTLP_* endpoint, headers, certificate, timeout), and the propagators
(OTEL_PROPAGATORS, W3C trace context by default).

Off, nothing of OpenTelemetry is imported: the server installs no tracing wrapper and `span()`
hands back one shared no-op context manager (a global read and a function call per use).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import structlog

log = structlog.get_logger("ftgate")
_NOTHING: AbstractContextManager[None] = contextlib.nullcontext()
_tracer: Any = None  # an opentelemetry Tracer once configured
_provider: Any = None
_ON = ("true", "1", "yes")
_FLUSH_MILLIS = 5000  # the most a flush (not a stop) waits for the exporters


def wanted(env: Mapping[str, str]) -> bool:
    """Whether the environment asks for traces."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() in _ON:
        return False
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    return bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
                or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def configure(env: Mapping[str, str] = os.environ) -> bool:
    """Set up the tracer provider and its exporter when the environment asks; whether on.
    Called in each serving process (after a fork: the batch processor's thread is per process)."""
    global _tracer, _provider
    if _tracer is not None or not wanted(env):
        return _tracer is not None
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    names = [n.strip() for n in env.get("OTEL_TRACES_EXPORTER", "otlp").lower().split(",")]
    attributes = {} if env.get("OTEL_SERVICE_NAME") else {"service.name": "ftgate"}
    provider = TracerProvider(resource=Resource.create(attributes))
    for name in names:
        if name == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        elif name == "otlp":
            protocol = env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                               env.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"))
            if protocol != "grpc":
                log.warning("tracing_protocol_unsupported", protocol=protocol,
                            using="grpc", why="ftgate ships the OTLP/gRPC exporter only")
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        elif name != "none":
            log.warning("tracing_exporter_unknown", exporter=name, known="otlp, console")
    trace.set_tracer_provider(provider)
    _provider = provider
    _tracer = provider.get_tracer("ftgate")
    log.info("tracing", exporters=",".join(names))
    return True


def tracer() -> Any:
    """The configured tracer, or None when tracing is off."""
    return _tracer


def span(name: str) -> AbstractContextManager[Any]:
    """A child span of the current one (tracing on), or a shared no-op (off)."""
    if _tracer is None:
        return _NOTHING
    return _tracer.start_as_current_span(name)  # type: ignore[no-any-return]


def decisions(ids: Sequence[str], verdicts: Sequence[str], versions: Sequence[str]) -> None:
    """The decisions of the call, as attributes of its current span (tracing on)."""
    if _tracer is None or not ids:
        return
    from opentelemetry import trace

    current = trace.get_current_span()
    if len(ids) == 1:
        current.set_attributes({"ftgate.decision_id": ids[0], "ftgate.verdict": verdicts[0],
                                "ftgate.ruleset_version": versions[0]})
    else:
        current.set_attributes({"ftgate.decision_ids": list(ids),
                                "ftgate.verdicts": list(verdicts),
                                "ftgate.ruleset_version": versions[0]})


class TracerShutdown:
    """The tracer provider as a piece of the server's lifecycle (obs/background.py): `stop`
    exports the spans still buffered and shuts the exporters down, within its timeout (an
    OTLP collector that does not answer must not hold the process)."""

    name = "tracing"

    def start(self) -> None:
        """Nothing: configure() set the provider up before the server was built."""

    def flush(self) -> None:
        if _provider is not None:
            _provider.force_flush(_FLUSH_MILLIS)

    def stop(self, timeout: float) -> bool:
        if _provider is None:
            return True
        done = threading.Thread(target=_provider.shutdown, name="ftgate-tracing-stop",
                                daemon=True)
        done.start()
        done.join(timeout)
        if done.is_alive():
            return False
        log.info("tracing_flushed")
        return True
