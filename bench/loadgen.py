"""Load generator, run in its own process: N Evaluate calls in flight over grpc.aio, loopback only.

Bounded in count and in time; prints one JSON object (calls/s, latency percentiles, errors).
The requests cycle through the mix of profiles.py (repeated profiles, as a gate sees the same
projects again); with --distinct every call's profile is new (its name is unique), so that the
server's decision cache never answers and every call is evaluated.
    python bench/loadgen.py --target 127.0.0.1:50051 --concurrency 16 --duration 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path

import grpc
from google.protobuf import json_format

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from profiles import MIX

LOOPBACK = ("127.0.0.1:", "localhost:", "[::1]:")


def percentile(sorted_values: list[int], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))
    return sorted_values[index] / 1e6  # ns → ms


async def run(target: str, concurrency: int, duration: float, warmup: float, max_calls: int,
              channels: int, distinct: bool = False) -> dict[str, object]:
    requests = [pb.EvaluateRequest(project=json_format.ParseDict(p, pb.ProjectProfile()))
                for p in MIX.values()]
    # One connection per channel: SO_REUSEPORT spreads connections, not calls, over workers.
    chans = [grpc.aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1),
                                                        ("ftgate.bench.channel", i)])
             for i in range(channels)]
    stubs = [pb_grpc.FineTuningAdvisorServiceStub(c) for c in chans]
    for c in chans:
        await asyncio.wait_for(c.channel_ready(), 10)
    latencies: list[int] = []
    errors: Counter[str] = Counter()
    started = time.perf_counter()
    cpu_started = time.process_time()
    measure_from = started + warmup
    stop_at = measure_from + duration
    issued = 0
    completed = 0

    async def worker(k: int) -> None:
        nonlocal issued, completed
        stub = stubs[k % len(stubs)]
        i = k
        while issued < max_calls:
            now = time.perf_counter()
            if now >= stop_at:
                return
            issued += 1
            request = requests[i % len(requests)]
            if distinct:  # a profile never asked about before: the server cannot reuse an answer
                request = pb.EvaluateRequest(project=request.project)
                request.project.name = f"bench-{k}-{i}"
            i += concurrency
            t0 = time.perf_counter_ns()
            try:
                await stub.Evaluate(request, timeout=10)
                code = None
            except grpc.aio.AioRpcError as exc:
                code = exc.code().name
            t1 = time.perf_counter_ns()
            completed += 1
            if now >= measure_from:
                latencies.append(t1 - t0)
                if code:
                    errors[code] += 1

    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    elapsed = time.perf_counter() - measure_from
    cpu = time.process_time() - cpu_started
    for c in chans:
        await c.close()
    latencies.sort()
    ok = len(latencies) - sum(errors.values())
    return {
        "target": target, "concurrency": concurrency, "channels": channels,
        "profiles": "distinct" if distinct else "repeated",
        "duration_s": round(elapsed, 3), "calls": len(latencies), "ok": ok,
        "errors": sum(errors.values()), "error_codes": dict(errors), "calls_total": completed,
        "client_cpu_us_per_call": round(cpu / max(1, completed) * 1e6),
        "calls_per_s": round(len(latencies) / elapsed, 1) if elapsed > 0 else 0.0,
        "p50_ms": round(percentile(latencies, 0.50), 3),
        "p99_ms": round(percentile(latencies, 0.99), 3),
        "p999_ms": round(percentile(latencies, 0.999), 3),
        "max_ms": round(latencies[-1] / 1e6, 3) if latencies else None,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--target", required=True)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--duration", type=float, default=5.0, help="measured seconds")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    p.add_argument("--max-calls", type=int, default=500_000)
    p.add_argument("--channels", type=int, default=0, help="connections (0: min(N, 8))")
    p.add_argument("--distinct", action="store_true",
                   help="every call asks about a profile never asked before (a new name)")
    args = p.parse_args()
    if not args.target.startswith(LOOPBACK):
        print("loadgen: loopback targets only", file=sys.stderr)
        return 2
    channels = args.channels or min(args.concurrency, 8)
    result = asyncio.run(run(args.target, args.concurrency, min(args.duration, 120),
                             args.warmup, args.max_calls, channels, args.distinct))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
