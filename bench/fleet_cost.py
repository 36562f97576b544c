"""The cost per call of the shared audit store and of tracing (docs/performance.md), in one run.

Servers side by side (one process each), taking turns chunk by chunk so that whatever else the
machine does weighs on all alike:

    none          no audit log, tracing off (the reference)
    sqlite        --audit-db FILE (async)
    pg-async      --audit-db postgresql://… (async)
    pg-sync       --audit-db postgresql://… --audit-durability sync
    tracing       no audit log, OTLP traces of every call to a collector in this process
    tracing-1%    the same, 1 call in 100 sampled (parentbased_traceidratio)

Evaluate calls from 1 client thread (latency) and from 16 (throughput); medians of the wall
time per call, and each mode's ratio to `none`. Tracing off is `none` itself: with no OTEL_*
variable the server installs no tracing wrapper (obs/tracing.py).
PostgreSQL: a throwaway cluster started here (tests/fleet/pgcluster.py; skipped when its
binaries cannot be had).

    .venv/bin/python bench/fleet_cost.py [--calls N] [--rounds R]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from concurrent import futures
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO / "tests"), str(REPO / "tests" / "operability"),
                str(REPO / "tests" / "fleet")]

import grpc  # noqa: E402
from audit_cost import run_calls  # noqa: E402
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as otlp  # noqa: E402
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc as otlp_grpc  # noqa: E402
from pgcluster import PgCluster, server_bindir  # noqa: E402
from serverproc import ServerProcess, free_port, start_server  # noqa: E402


class _Sink(otlp_grpc.TraceServiceServicer):  # type: ignore[misc]
    """An OTLP receiver that counts spans and keeps none."""

    def __init__(self) -> None:
        self.spans = 0

    def Export(self, request: Any, context: Any) -> Any:
        self.spans += sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
        return otlp.ExportTraceServiceResponse()


def _servers(tmp: Path, pg_url: str | None, collector_port: int) -> dict[str, ServerProcess]:
    flags = ("--workers", "1", "--metrics-listen", "", "--decision-cache", "0")
    servers = {"none": start_server(tmp, *flags),
               "sqlite": start_server(tmp, *flags, "--audit-db", str(tmp / "audit.db"))}
    if pg_url:
        servers["pg-async"] = start_server(tmp, *flags, "--audit-db", pg_url, "--audit-migrate")
        servers["pg-sync"] = start_server(tmp, *flags, "--audit-db", pg_url,
                                          "--audit-durability", "sync")
    saved = dict(os.environ)
    os.environ.update({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_INSECURE": "true",
                       "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector_port}"})
    try:
        servers["tracing"] = start_server(tmp, *flags)
        os.environ.update({"OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                           "OTEL_TRACES_SAMPLER_ARG": "0.01"})
        servers["tracing-1%"] = start_server(tmp, *flags)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return servers


def disabled_hooks_ns(n: int = 200_000) -> float:
    """Nanoseconds per call of what tracing leaves on the request path when off: three
    `span()` blocks and one `tracer()` check (api/service.py, api/record.py)."""
    import time

    from ftgate.obs import tracing

    assert tracing.tracer() is None
    started = time.perf_counter()
    for _ in range(n):
        with tracing.span("ftgate.validate"):
            pass
        with tracing.span("ftgate.evaluate"):
            pass
        with tracing.span("ftgate.audit_write"):
            pass
        tracing.tracer()
    return (time.perf_counter() - started) / n * 1e9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=400, help="calls per chunk")
    parser.add_argument("--rounds", type=int, default=5, help="chunks per server and load")
    parser.add_argument("--out", type=Path, default=HERE / "fleet_results.json")
    args = parser.parse_args()
    sink = _Sink()
    collector = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    otlp_grpc.add_TraceServiceServicer_to_server(sink, collector)
    collector_port = collector.add_insecure_port("127.0.0.1:0")
    collector.start()
    bindir = server_bindir()
    cluster = PgCluster(bindir, free_port()) if bindir else None
    if cluster is None:
        print("PostgreSQL binaries unavailable: the pg-* modes are skipped", file=sys.stderr)
    results: dict[tuple[str, int], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="ftgate-fleet-cost-") as tmpdir:
        servers: dict[str, ServerProcess] = {}
        try:
            if cluster:
                cluster.start()
            servers = _servers(Path(tmpdir), cluster.new_database() if cluster else None,
                               collector_port)
            names = list(servers)
            for r in range(args.rounds):
                for threads in (1, 16):
                    for name in names if r % 2 == 0 else names[::-1]:
                        server = servers[name]
                        wall, _cpu = run_calls(server.address, args.calls, threads,
                                               server.proc.pid)
                        results.setdefault((name, threads), []).append(wall)
        finally:
            for server in servers.values():
                server.stop()
            if cluster:
                cluster.remove()
            collector.stop(None)
    report: dict[str, Any] = {"calls_per_chunk": args.calls, "rounds": args.rounds,
                              "spans_received": sink.spans, "modes": {}}
    print(f"{'mode':11} {'in flight':>9} {'µs/call':>9} {'ratio to none':>14}")
    for threads in (1, 16):
        base = statistics.median(results[("none", threads)])
        for name in [n for n, t in results if t == threads]:
            value = statistics.median(results[(name, threads)])
            report["modes"].setdefault(name, {})[str(threads)] = {
                "us_per_call": round(value, 1), "ratio_to_none": round(value / base, 3)}
            print(f"{name:11} {threads:9d} {value:9.0f} {value / base:14.2f}")
    print(f"(tracing: {sink.spans} spans received by the collector)")
    off_ns = disabled_hooks_ns()
    base_us = report["modes"]["none"]["1"]["us_per_call"]
    report["tracing_off_hooks_ns_per_call"] = round(off_ns, 1)
    print(f"tracing off: its hooks cost {off_ns:.0f} ns a call, "
          f"{off_ns / 10 / base_us:.3f} % of a call at 1 in flight")
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
