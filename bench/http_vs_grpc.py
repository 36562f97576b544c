"""HTTP/JSON against gRPC on one `ftgate serve`: calls/s, latency percentiles and CPU per call
(the server's and the load generator's) of Evaluate on profiles never seen before.

Both loads are the same kind of profile: new figures on every call (ftgate.randomprofiles through
loadgen.new_profiles, generated before the clock starts), each under a name never asked about,
with a seed of its own for each run, so that neither the decision cache nor anything rendered
before helps either transport. Both load generators are Python processes of their own with N
calls in flight over loopback: bench/loadgen.py (grpc.aio) for gRPC, and `--client` below for
HTTP: an asyncio protocol (no streams) writing pre-encoded requests over one keep-alive
connection per call in flight, so that the client costs less CPU per call than the gRPC one.
The transports take turns within each round, so that a change in the machine's load falls on
both alike. `make bench` runs it after bench/run.py.
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

import orjson
from google.protobuf import json_format

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO / "tests")]

from loadgen import new_profiles, percentile  # noqa: E402


def http_bodies(count: int, seed: int) -> list[tuple[bytes, bytes]]:
    """The JSON bodies of `count` never-seen profiles (loadgen.new_profiles: the same seeded
    generator as the gRPC load's), each split where its name goes: (before, after)."""
    out = []
    for request in new_profiles(count, seed):
        project = json_format.MessageToDict(request.project, preserving_proto_field_name=True)
        project["name"] = _NAME
        before, _, after = orjson.dumps({"project": project}).partition(_NAME.encode())
        out.append((before, after))
    return out


_NAME = "@name@"  # (JSON writes it as it is)
_HEAD = (b"POST /v1/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
         b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n")


class _Connection(asyncio.Protocol):
    """One keep-alive connection, one call at a time: a request written whole, its answer read
    as it comes (Content-Length; the server never chunks these answers)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[bytes] | None = None
        self.needed = -1  # the whole answer's length, once its head is in

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if self.needed < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            at = buffer.find(b"content-length:", 0, end)
            if at < 0:
                at = buffer.lower().find(b"content-length:", 0, end)
            self.needed = end + 4 + int(buffer[at + 15:buffer.find(b"\r\n", at)])
        if len(buffer) >= self.needed and self.waiter is not None:
            answer = bytes(buffer[:self.needed])
            del buffer[:self.needed]
            self.needed = -1
            self.waiter.set_result(answer)
            self.waiter = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc or ConnectionError("the server closed the connection"))

    def call(self, request: bytes) -> asyncio.Future[bytes]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self.waiter


async def http_load(port: int, concurrency: int, duration: float, warmup: float,
                    max_calls: int, seed: int, pool: int) -> dict[str, Any]:
    bodies = http_bodies(pool, seed)  # before the clock starts, as loadgen.py does
    latencies: list[int] = []
    errors = 0
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    cpu_started = time.process_time()
    measure_from, stop_at = started + warmup, started + warmup + duration
    issued = 0

    async def worker(k: int) -> None:
        nonlocal issued, errors
        _, connection = await loop.create_connection(_Connection, "127.0.0.1", port)
        i = k
        while issued < max_calls:
            now = time.perf_counter()
            if now >= stop_at:
                break
            issued += 1
            before, after = bodies[i % len(bodies)]
            body = b"%sbench-http-%d-%d%s" % (before, seed, i, after)  # a name never asked about
            i += concurrency
            t0 = time.perf_counter_ns()
            answer = await connection.call(_HEAD % len(body) + body)
            t1 = time.perf_counter_ns()
            if now >= measure_from:
                latencies.append(t1 - t0)
                errors += not answer.startswith(b"HTTP/1.1 200")
        assert connection.transport is not None
        connection.transport.close()

    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    elapsed = time.perf_counter() - measure_from
    cpu = time.process_time() - cpu_started
    latencies.sort()
    return {"profiles": "new", "seed": seed, "calls": len(latencies), "calls_total": issued,
            "errors": errors, "pool_reused": max(0, issued - len(bodies)),
            "client_cpu_us_per_call": round(cpu / max(1, issued) * 1e6),
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
    p.add_argument("--pool", type=int, default=20_000, help="new profiles generated beforehand")
    p.add_argument("--client", type=int, metavar="PORT", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.client:  # the HTTP load generator's own process
        print(json.dumps(asyncio.run(http_load(args.client, args.concurrency, args.duration,
                                               1.0, 500_000, args.seed, args.pool))))
        return 0
    from serverproc import start_server

    runs: dict[str, list[dict[str, Any]]] = {"grpc": [], "http": []}
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), "--workers", "1", "--max-concurrent", "0")
        try:
            for round_ in range(args.rounds):
                # Profiles never seen: a seed of their own for each run (no figures, and so no
                # rendered text, repeat from one run to the next).
                clients = {
                    "grpc": [str(HERE / "loadgen.py"), "--target", server.address,
                             "--profiles", "new", "--seed", str(2 * round_ + 1)],
                    "http": [__file__, "--client", str(server.http_port),
                             "--seed", str(2 * round_ + 2)]}
                for kind, client in clients.items():
                    cpu = cpu_seconds(server.proc.pid)
                    run = run_client([*client, "--concurrency", str(args.concurrency),
                                      "--duration", str(args.duration),
                                      "--pool", str(args.pool)])
                    # The server's CPU per call (warm-up calls included in both counts).
                    run["server_cpu_us_per_call"] = round(
                        (cpu_seconds(server.proc.pid) - cpu) / max(1, run["calls_total"]) * 1e6)
                    runs[kind].append(run)
        finally:
            server.stop()
    summary = {k: {"calls_per_s": statistics.median(r["calls_per_s"] for r in v),
                   "p99_ms": statistics.median(r["p99_ms"] for r in v),
                   "server_cpu_us_per_call": statistics.median(
                       r["server_cpu_us_per_call"] for r in v),
                   "client_cpu_us_per_call": statistics.median(
                       r["client_cpu_us_per_call"] for r in v),
                   "errors": sum(r["errors"] for r in v)} for k, v in runs.items()}
    summary["http_over_grpc"] = {
        "calls_per_s": round(summary["http"]["calls_per_s"] / summary["grpc"]["calls_per_s"], 2),
        "p99": round(summary["http"]["p99_ms"] / summary["grpc"]["p99_ms"], 2)}
    args.out.write_text(json.dumps({"concurrency": args.concurrency, "summary": summary,
                                    "runs": runs}, indent=1) + "\n")
    print(f"{'transport':<10}{'calls/s':>10}{'p99 ms':>10}{'server µs/call':>16}"
          f"{'client µs/call':>16}{'errors':>8}")
    for k in ("grpc", "http"):
        s = summary[k]
        print(f"{k:<10}{s['calls_per_s']:>10.0f}{s['p99_ms']:>10.2f}"
              f"{s['server_cpu_us_per_call']:>16.0f}{s['client_cpu_us_per_call']:>16.0f}"
              f"{s['errors']:>8}")
    print(f"HTTP/gRPC: {summary['http_over_grpc']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
