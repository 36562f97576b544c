"""HTTP/JSON against gRPC on one `ftgate serve`: calls/s and latency percentiles of Evaluate on
never-seen profiles (each call's profile is new, so that the decision cache never answers).

Both load generators are Python processes of their own with N calls in flight over loopback:
bench/loadgen.py (grpc.aio) for gRPC, and `--client` below (asyncio, HTTP/1.1 keep-alive, one
connection per call in flight) for HTTP. The transports take turns within each round, so that a
change in the machine's load falls on both alike. `make bench` runs it after bench/run.py.
    python bench/http_vs_grpc.py [--duration 3] [--rounds 3] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO / "tests")]

from loadgen import percentile  # noqa: E402
from profiles import MIX  # noqa: E402


async def http_load(port: int, concurrency: int, duration: float, warmup: float,
                    max_calls: int) -> dict[str, Any]:
    bodies = list(MIX.values())
    latencies: list[int] = []
    errors = 0
    started = time.perf_counter()
    measure_from, stop_at = started + warmup, started + warmup + duration
    issued = 0

    async def worker(k: int) -> None:
        nonlocal issued, errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = k
        while issued < max_calls:
            now = time.perf_counter()
            if now >= stop_at:
                break
            issued += 1
            project = dict(bodies[i % len(bodies)], name=f"bench-http-{k}-{i}")  # never seen
            i += concurrency
            body = json.dumps({"project": project}).encode()
            t0 = time.perf_counter_ns()
            writer.write(b"POST /v1/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            t1 = time.perf_counter_ns()
            if now >= measure_from:
                latencies.append(t1 - t0)
                errors += not head.startswith(b"HTTP/1.1 200")
        writer.close()

    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    elapsed = time.perf_counter() - measure_from
    latencies.sort()
    return {"calls": len(latencies), "calls_total": issued, "errors": errors,
            "calls_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(percentile(latencies, 0.50), 3),
            "p99_ms": round(percentile(latencies, 0.99), 3)}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_client(args: list[str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600,
                         cwd=REPO)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--duration", type=float, default=3.0, help="measured seconds per run")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--out", type=Path, default=HERE / "http_results.json")
    p.add_argument("--client", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.client:  # the HTTP load generator's own process
        print(json.dumps(asyncio.run(http_load(args.client, args.concurrency, args.duration,
                                               1.0, 500_000))))
        return 0
    from serverproc import start_server

    runs: dict[str, list[dict[str, Any]]] = {"grpc": [], "http": []}
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), "--workers", "1", "--max-concurrent", "0")
        try:
            clients = {
                "grpc": [str(HERE / "loadgen.py"), "--target", server.address, "--profiles", "renamed",
                         "--concurrency", str(args.concurrency), "--duration",
                         str(args.duration), "--warmup", "1"],
                "http": [__file__, "--client", str(server.http_port), "--concurrency",
                         str(args.concurrency), "--duration", str(args.duration)]}
            for _ in range(args.rounds):
                for kind, client in clients.items():
                    cpu = cpu_seconds(server.proc.pid)
                    run = run_client(client)
                    # The server's CPU per call (warm-up calls included in both counts).
                    calls = run.get("calls_total", run["calls"])
                    run["server_cpu_us_per_call"] = round(
                        (cpu_seconds(server.proc.pid) - cpu) / max(1, calls) * 1e6)
                    runs[kind].append(run)
        finally:
            server.stop()
    summary = {k: {"calls_per_s": statistics.median(r["calls_per_s"] for r in v),
                   "p99_ms": statistics.median(r["p99_ms"] for r in v),
                   "server_cpu_us_per_call": statistics.median(
                       r["server_cpu_us_per_call"] for r in v),
                   "errors": sum(r["errors"] for r in v)} for k, v in runs.items()}
    summary["http_over_grpc"] = {
        "calls_per_s": round(summary["http"]["calls_per_s"] / summary["grpc"]["calls_per_s"], 2),
        "p99": round(summary["http"]["p99_ms"] / summary["grpc"]["p99_ms"], 2)}
    args.out.write_text(json.dumps({"concurrency": args.concurrency, "summary": summary,
                                    "runs": runs}, indent=1) + "\n")
    print(f"{'transport':<10}{'calls/s':>10}{'p99 ms':>10}{'server µs/call':>16}{'errors':>8}")
    for k in ("grpc", "http"):
        s = summary[k]
        print(f"{k:<10}{s['calls_per_s']:>10.0f}{s['p99_ms']:>10.2f}"
              f"{s['server_cpu_us_per_call']:>16.0f}{s['errors']:>8}")
    print(f"HTTP/gRPC: {summary['http_over_grpc']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
