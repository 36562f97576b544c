"""Traces: a call made in the client's trace, on each door (gRPC, HTTP/JSON, admission webhook),
reaches a local OTLP receiver of each protocol (gRPC, HTTP/protobuf) with its spans."""

from __future__ import annotations

import gzip
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
import pytest
from fleettools import fine_tune_profile, wait_until
from ftgate.obs.tracing import otlp_protocol, protocol_error, wanted
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as otlp
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc as otlp_grpc
from serverproc import FTGATE, REPO, start_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "http"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "admission"))
from httpcall import call
from k8s import job, review

EVALUATE = "ftgate.v1.FineTuningAdvisorService/Evaluate"
PROFILE = (REPO / "service" / "ftgate" / "examples" / "support-ticket-classifier.yaml").read_text(
    encoding="utf-8")


class Spans:
    """Every span an OTLP receiver was sent, whatever the protocol."""

    def __init__(self) -> None:
        self.spans: list[Any] = []
        self.lock = threading.Lock()

    def keep(self, request: otlp.ExportTraceServiceRequest) -> None:
        with self.lock:
            for resource in request.resource_spans:
                for scope in resource.scope_spans:
                    self.spans.extend(scope.spans)

    def of_trace(self, trace_id: bytes) -> list[Any]:
        with self.lock:
            return [s for s in self.spans if s.trace_id == trace_id]


class GrpcReceiver(otlp_grpc.TraceServiceServicer):  # type: ignore[misc]
    """OTLP/gRPC: the TraceService's Export."""

    def __init__(self, spans: Spans) -> None:
        self.spans = spans

    def Export(self, request: otlp.ExportTraceServiceRequest,
               context: object) -> otlp.ExportTraceServiceResponse:
        self.spans.keep(request)
        return otlp.ExportTraceServiceResponse()


def grpc_receiver(spans: Spans) -> tuple[str, Callable[[], None]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    otlp_grpc.add_TraceServiceServicer_to_server(GrpcReceiver(spans), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return f"http://127.0.0.1:{port}", lambda: server.stop(None)


def http_receiver(spans: Spans) -> tuple[str, Callable[[], None]]:
    """OTLP/HTTP: POST /v1/traces with an ExportTraceServiceRequest in protobuf."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if self.path != "/v1/traces" or self.headers.get("Content-Type") != "application/x-protobuf":
                self.send_error(404 if self.path != "/v1/traces" else 415)
                return
            spans.keep(otlp.ExportTraceServiceRequest.FromString(body))
            answer = otlp.ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(10)

    return f"http://127.0.0.1:{server.server_address[1]}", stop


RECEIVERS = {"grpc": grpc_receiver, "http/protobuf": http_receiver}


@pytest.fixture(params=sorted(RECEIVERS))
def receiver(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, Spans]]:
    """(protocol, endpoint, spans) of a running receiver of that protocol."""
    spans = Spans()
    endpoint, stop = RECEIVERS[request.param](spans)
    yield request.param, endpoint, spans
    stop()


def traceparent() -> tuple[bytes, bytes, str]:
    trace_id, parent = secrets.token_bytes(16), secrets.token_bytes(8)
    return trace_id, parent, f"00-{trace_id.hex()}-{parent.hex()}-01"


def _attributes(span: Any) -> dict[str, object]:
    out: dict[str, object] = {}
    for kv in span.attributes:
        value = kv.value
        out[kv.key] = getattr(value, value.WhichOneof("value"))
    return out


def _spans(spans: Spans, trace_id: bytes, count: int) -> dict[str, Any]:
    found = wait_until(lambda: spans.of_trace(trace_id) if len(spans.of_trace(trace_id)) >= count
                       else None, timeout=60, what="the call's spans at the receiver")
    return {s.name: s for s in found}


def _check(by_name: dict[str, Any], root_name: str, parent: bytes, decision_id: str) -> dict[str, object]:
    root = by_name[root_name]
    assert root.parent_span_id == parent, "the caller's trace context is continued"
    attributes = _attributes(root)
    assert attributes["ftgate.decision_id"] == decision_id
    for child in ("ftgate.validate", "ftgate.evaluate", "ftgate.audit_write"):
        assert by_name[child].parent_span_id == root.span_id, child
    return attributes


def test_calls_on_every_door_reach_the_receiver_in_the_callers_trace(
        tmp_path: Path, receiver: tuple[str, str, Spans], monkeypatch: pytest.MonkeyPatch) -> None:
    protocol, endpoint, spans = receiver
    for name, value in {"OTEL_TRACES_EXPORTER": "otlp",
                        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
                        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": protocol,
                        # the traces-specific variable wins over this one
                        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
                        "OTEL_EXPORTER_OTLP_INSECURE": "true",
                        "OTEL_BSP_SCHEDULE_DELAY": "50",
                        "OTEL_SERVICE_NAME": "ftgate-test"}.items():
        monkeypatch.setenv(name, value)
    server = start_server(tmp_path, "--audit-db", str(tmp_path / "audit.db"), "--workers", "1")
    try:
        # gRPC: traceparent in the call's metadata.
        trace_id, parent, header = traceparent()
        with grpc.insecure_channel(server.address) as channel:
            reply = pb_grpc.FineTuningAdvisorServiceStub(channel).Evaluate(
                pb.EvaluateRequest(project=fine_tune_profile("traced")), timeout=30,
                metadata=[("traceparent", header)])
        attributes = _check(_spans(spans, trace_id, 4), EVALUATE, parent,
                            reply.assessment.decision_id)
        assert attributes["ftgate.verdict"] == "VERDICT_FINE_TUNE"
        assert attributes["ftgate.ruleset_version"] == reply.assessment.ruleset_version
        assert attributes["rpc.grpc.status_code"] == 0

        # HTTP/JSON: the traceparent header.
        trace_id, parent, header = traceparent()
        body = {"project": json_format.MessageToDict(fine_tune_profile("traced-http"))}
        answer = call(server.http_port or 0, "POST", "/v1/evaluate", body,
                      headers={"traceparent": header})
        assert answer.status == 200, answer.body
        by_name = _spans(spans, trace_id, 4)
        attributes = _check(by_name, "POST /v1/evaluate", parent,
                            answer.json["assessment"]["decisionId"])
        assert attributes["http.response.status_code"] == 200
        assert attributes["http.route"] == "/v1/evaluate"

        # The admission webhook: the API server's traceparent header.
        trace_id, parent, header = traceparent()
        gated = job(labels={"ftgate.dev/gate": "enforce"}, annotations={"ftgate.dev/profile": PROFILE})
        answer = call(server.http_port or 0, "POST", "/k8s/validate", review(gated),
                      headers={"traceparent": header})
        assert answer.status == 200, answer.body
        decision_id = answer.json["response"]["auditAnnotations"]["decision-id"]
        _check(_spans(spans, trace_id, 4), "POST /k8s/validate", parent, decision_id)
    finally:
        server.stop()


def test_an_unknown_protocol_is_refused_at_start_naming_the_variable(tmp_path: Path) -> None:
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}
    env.pop("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", None)
    result = subprocess.run([*FTGATE, "serve", "--listen", "127.0.0.1:0", "--metrics-listen", "",
                             "--http-listen", ""], capture_output=True, text=True, env=env,
                            timeout=60, check=False, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert ("OTEL_EXPORTER_OTLP_PROTOCOL is 'http/json': expected one of grpc, http/protobuf"
            in result.stderr)
    assert "Traceback" not in result.stderr


def test_the_traces_protocol_variable_wins() -> None:
    assert otlp_protocol({}) == ("grpc", "OTEL_EXPORTER_OTLP_PROTOCOL")
    assert otlp_protocol({"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"})[0] == "http/protobuf"
    assert otlp_protocol({"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                          "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"})[0] == "grpc"
    # Only checked when traces go to OTLP.
    assert protocol_error({"OTEL_TRACES_EXPORTER": "console", "OTEL_EXPORTER_OTLP_PROTOCOL": "x"}) is None
    assert protocol_error({"OTEL_EXPORTER_OTLP_PROTOCOL": "x"}) is None  # tracing off


def test_tracing_is_off_unless_the_environment_asks() -> None:
    assert not wanted({})
    assert not wanted({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "x"})
    assert not wanted({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"})
    assert wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317"})
    assert wanted({"OTEL_TRACES_EXPORTER": "console"})


def test_sigterm_stops_the_doors_then_writes_out_then_flushes_the_spans(
        tmp_path: Path, receiver: tuple[str, str, Spans], monkeypatch: pytest.MonkeyPatch) -> None:
    """One shutdown order (obs/background.py): the front doors (gRPC and HTTP) are closed
    before the audit queue is written out, and the tracer is flushed after it, before the
    process exits 0. The batch processor waits far longer than the test: the calls' spans can
    only reach the receiver through the tracer's stop."""
    protocol, endpoint, spans = receiver
    for name, value in {"OTEL_TRACES_EXPORTER": "otlp",
                        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
                        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": protocol,
                        "OTEL_EXPORTER_OTLP_INSECURE": "true",
                        "OTEL_BSP_SCHEDULE_DELAY": "3600000"}.items():
        monkeypatch.setenv(name, value)
    server = start_server(tmp_path, "--audit-db", str(tmp_path / "audit.db"), "--workers", "1")
    grpc_trace, _, grpc_header = traceparent()
    http_trace, _, http_header = traceparent()
    try:
        with grpc.insecure_channel(server.address) as channel:
            pb_grpc.FineTuningAdvisorServiceStub(channel).Evaluate(
                pb.EvaluateRequest(project=fine_tune_profile("traced")), timeout=30,
                metadata=[("traceparent", grpc_header)])
        body = {"project": json_format.MessageToDict(fine_tune_profile("traced-http"))}
        answer = call(server.http_port or 0, "POST", "/v1/evaluate", body,
                      headers={"traceparent": http_header})
        assert answer.status == 200, answer.body
        assert spans.of_trace(grpc_trace) == spans.of_trace(http_trace) == []  # still buffered
        assert server.stop() == 0, server.log()[-3000:]
    finally:
        server.stop(signal.SIGKILL)
    for trace_id, root in ((grpc_trace, EVALUATE), (http_trace, "POST /v1/evaluate")):
        assert root in {s.name for s in spans.of_trace(trace_id)}, server.log()[-3000:]
    events = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    order = [e.get("piece", e["event"]) for e in events
             if e["event"] in ("background_stopped", "audit_flushed")]
    assert order == ["front_doors", "rules_watcher", "decision_log", "counters", "audit_flushed",
                     "audit", "tracing", "metrics_endpoint"], server.log()[-3000:]
