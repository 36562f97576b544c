"""OpenTelemetry traces of ftgate's calls: off unless the standard OTEL_* variables ask for them.

On when OTEL_TRACES_EXPORTER names an exporter (otlp, console) or an OTLP endpoint is set
(OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and OTEL_SDK_DISABLED is not
true. The SDK then reads the rest itself: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, the
sampler (OTEL_TRACES_SAMPLER), the batch processor (OTEL_BSP_*), the OTLP exporter
(OTEL_EXPORTER_OTLP_* endpoint, headers, certificate, timeout), and the propagators
(OTEL_PROPAGATORS, W3C trace context by default). The OTLP exporter speaks gRPC or HTTP
(protobuf), as OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, says
(`grpc`, `http/protobuf`; unset: `grpc`); any other value is refused at start-up (`protocol_error`).

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

from ftgate.errors import FtgateError

log = structlog.get_logger("ftgate")
_NOTHING: AbstractContextManager[None] = contextlib.nullcontext()
_tracer: Any = None  # an opentelemetry Tracer once configured
_provider: Any = None
_ON = ("true", "1", "yes")
_FLUSH_MILLIS = 5000  # the most a flush (not a stop) waits for the exporters
PROTOCOL = "OTEL_EXPORTER_OTLP_PROTOCOL"
TRACES_PROTOCOL = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
PROTOCOLS = ("grpc", "http/protobuf")


def wanted(env: Mapping[str, str]) -> bool:
    """Whether the environment asks for traces."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() in _ON:
        return False
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    return bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
                or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def exporters(env: Mapping[str, str]) -> list[str]:
    """The exporters OTEL_TRACES_EXPORTER names (unset: otlp)."""
    return [n.strip() for n in (env.get("OTEL_TRACES_EXPORTER", "").strip() or "otlp").lower().split(",")]


def otlp_protocol(env: Mapping[str, str]) -> tuple[str, str]:
    """The OTLP protocol asked for and the variable that asked (the traces-specific one wins)."""
    for variable in (TRACES_PROTOCOL, PROTOCOL):
        value = env.get(variable, "").strip()
        if value:
            return value, variable
    return "grpc", PROTOCOL


def protocol_error(env: Mapping[str, str] = os.environ) -> str | None:
    """Why the OTLP protocol of the environment cannot be used, when traces go to OTLP; else None."""
    if not wanted(env) or "otlp" not in exporters(env):
        return None
    protocol, variable = otlp_protocol(env)
    if protocol in PROTOCOLS:
        return None
    return (f"{variable} is {protocol[:40]!r}: expected one of {', '.join(PROTOCOLS)} "
            "(OTLP over gRPC, or over HTTP with protobuf bodies)")


def _otlp_exporter(env: Mapping[str, str]) -> Any:
    error = protocol_error(env)
    if error is not None:
        raise FtgateError(error)
    if otlp_protocol(env)[0] == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter as HttpExporter,
        )

        return HttpExporter()
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


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

    names = exporters(env)
    attributes = {} if env.get("OTEL_SERVICE_NAME") else {"service.name": "ftgate"}
    provider = TracerProvider(resource=Resource.create(attributes))
    for name in names:
        if name == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        elif name == "otlp":
            provider.add_span_processor(BatchSpanProcessor(_otlp_exporter(env)))
        elif name != "none":
            log.warning("tracing_exporter_unknown", exporter=name, known="otlp, console")
    trace.set_tracer_provider(provider)
    _provider = provider
    _tracer = provider.get_tracer("ftgate")
    log.info("tracing", exporters=",".join(names), otlp_protocol=otlp_protocol(env)[0])
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
