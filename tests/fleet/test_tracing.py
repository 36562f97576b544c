"""Traces: a call made in the client's trace reaches a local OTLP collector with its spans."""

from __future__ import annotations

import json
import secrets
import signal
import threading
import urllib.request
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from fleettools import fine_tune_profile, wait_until
from ftgate.obs.tracing import wanted
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as otlp
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc as otlp_grpc
from serverproc import start_server


class Collector(otlp_grpc.TraceServiceServicer):  # type: ignore[misc]
    """An OTLP/gRPC trace receiver that keeps every span it is sent."""

    def __init__(self) -> None:
        self.spans: list[object] = []
        self.lock = threading.Lock()

    def Export(self, request: otlp.ExportTraceServiceRequest,
               context: object) -> otlp.ExportTraceServiceResponse:
        with self.lock:
            for resource in request.resource_spans:
                for scope in resource.scope_spans:
                    self.spans.extend(scope.spans)
        return otlp.ExportTraceServiceResponse()

    def of_trace(self, trace_id: bytes) -> list[object]:
        with self.lock:
            return [s for s in self.spans if s.trace_id == trace_id]  # type: ignore[attr-defined]


@pytest.fixture
def collector() -> Iterator[tuple[Collector, int]]:
    receiver = Collector()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    otlp_grpc.add_TraceServiceServicer_to_server(receiver, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield receiver, port
    server.stop(None)


def _attributes(span: object) -> dict[str, object]:
    out: dict[str, object] = {}
    for kv in span.attributes:  # type: ignore[attr-defined]
        value = kv.value
        out[kv.key] = getattr(value, value.WhichOneof("value"))
    return out


def test_a_call_in_the_clients_trace_reaches_the_collector(
        tmp_path: Path, collector: tuple[Collector, int], monkeypatch: pytest.MonkeyPatch) -> None:
    receiver, port = collector
    for name, value in {"OTEL_TRACES_EXPORTER": "otlp",
                        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
                        "OTEL_EXPORTER_OTLP_INSECURE": "true",
                        "OTEL_BSP_SCHEDULE_DELAY": "50",
                        "OTEL_SERVICE_NAME": "ftgate-test"}.items():
        monkeypatch.setenv(name, value)
    server = start_server(tmp_path, "--audit-db", str(tmp_path / "audit.db"), "--workers", "1")
    trace_id = secrets.token_bytes(16)
    parent = secrets.token_bytes(8)
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
            reply = stub.Evaluate(
                pb.EvaluateRequest(project=fine_tune_profile("traced")), timeout=30,
                metadata=[("traceparent", f"00-{trace_id.hex()}-{parent.hex()}-01")])
        spans = wait_until(lambda: _complete(receiver.of_trace(trace_id)), timeout=60,
                           what="the call's spans at the collector")
    finally:
        server.stop()
    by_name = {s.name: s for s in spans}  # type: ignore[attr-defined]
    root = by_name["ftgate.v1.FineTuningAdvisorService/Evaluate"]
    assert root.parent_span_id == parent  # continues the client's context
    attributes = _attributes(root)
    assert attributes["ftgate.decision_id"] == reply.assessment.decision_id
    assert attributes["ftgate.verdict"] == "VERDICT_FINE_TUNE"
    assert attributes["ftgate.ruleset_version"] == reply.assessment.ruleset_version
    assert attributes["rpc.grpc.status_code"] == 0
    for child in ("ftgate.validate", "ftgate.evaluate", "ftgate.audit_write"):
        assert by_name[child].parent_span_id == root.span_id


def _complete(spans: list[object]) -> list[object] | None:
    return spans if len(spans) >= 4 else None


def test_tracing_is_off_unless_the_environment_asks() -> None:
    assert not wanted({})
    assert not wanted({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "x"})
    assert not wanted({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"})
    assert wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317"})
    assert wanted({"OTEL_TRACES_EXPORTER": "console"})


def test_sigterm_stops_the_doors_then_writes_out_then_flushes_the_spans(
        tmp_path: Path, collector: tuple[Collector, int], monkeypatch: pytest.MonkeyPatch) -> None:
    """One shutdown order (obs/background.py): the front doors (gRPC and HTTP) are closed
    before the audit queue is written out, and the tracer is flushed after it, before the
    process exits 0. The batch processor waits far longer than the test: the call's spans can
    only reach the collector through the tracer's stop."""
    receiver, port = collector
    for name, value in {"OTEL_TRACES_EXPORTER": "otlp",
                        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
                        "OTEL_EXPORTER_OTLP_INSECURE": "true",
                        "OTEL_BSP_SCHEDULE_DELAY": "3600000"}.items():
        monkeypatch.setenv(name, value)
    server = start_server(tmp_path, "--audit-db", str(tmp_path / "audit.db"), "--workers", "1")
    trace_id = secrets.token_bytes(16)
    try:
        with grpc.insecure_channel(server.address) as channel:
            pb_grpc.FineTuningAdvisorServiceStub(channel).Evaluate(
                pb.EvaluateRequest(project=fine_tune_profile("traced")), timeout=30,
                metadata=[("traceparent", f"00-{trace_id.hex()}-{secrets.token_hex(8)}-01")])
        with urllib.request.urlopen(f"{server.http_url}/healthz", timeout=10) as reply:
            assert reply.status == 200
        assert receiver.of_trace(trace_id) == []  # held by the batch processor
        assert server.stop() == 0, server.log()[-3000:]
    finally:
        server.stop(signal.SIGKILL)
    assert _complete(receiver.of_trace(trace_id)), server.log()[-3000:]
    events = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    order = [e.get("piece", e["event"]) for e in events
             if e["event"] in ("background_stopped", "audit_flushed")]
    assert order == ["front_doors", "rules_watcher", "decision_log", "counters", "audit_flushed",
                     "audit", "tracing", "metrics_endpoint"], server.log()[-3000:]
