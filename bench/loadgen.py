"""Load generator, run in its own process: N Evaluate calls in flight over grpc.aio, loopback only.

Bounded in count and in time; prints one JSON object (calls/s, latency percentiles, errors).
--profiles chooses what is asked:
- repeated: the mix of profiles.py over and over (as a gate sees the same projects again);
- renamed: the mix, each call under a new name, so that the server's decision cache never
  answers (the figures are the mix's: whatever the server renders for them is already known);
- new: profiles never seen before, new figures on every call (ftgate.randomprofiles, seeded by
  --seed, only those that pass validation), each under a new name: every call is evaluated and
  rendered from scratch.
--explain sets EvaluateRequest.explain on every call: the answer carries what would change the
verdict (counterfactuals, the missing fields' outcomes).
    python bench/loadgen.py --target 127.0.0.1:50051 --concurrency 16 --duration 5 --profiles new
    python bench/loadgen.py --target 127.0.0.1:50051 --profiles new --explain
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import grpc
from google.protobuf import json_format

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ftgate.api import convert
from ftgate.errors import InvalidInput
from ftgate.randomprofiles import random_profile
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from profiles import MIX

LOOPBACK = ("127.0.0.1:", "localhost:", "[::1]:")


def percentile(sorted_values: list[int], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))
    return sorted_values[index] / 1e6  # ns → ms


PROFILES = ("repeated", "renamed", "new")


def new_profiles(count: int, seed: int) -> list[pb.EvaluateRequest]:
    """`count` requests of seeded random profiles that pass validation, generated before the
    clock starts (the generator would otherwise weigh on the load generator's own CPU)."""
    rng = random.Random(seed)
    out: list[pb.EvaluateRequest] = []
    while len(out) < count:
        profile = random_profile(rng)
        try:
            convert.profile_from_proto(profile)
        except InvalidInput:
            continue
        out.append(pb.EvaluateRequest(project=profile))
    return out


def _explained(a: pb.Assessment) -> bool:
    """Whether an answer carries explanations, or has none to carry (FINE_TUNE)."""
    return (a.verdict == pb.VERDICT_FINE_TUNE or bool(a.counterfactuals)
            or bool(a.missing_field_outcomes) or a.fine_tune_unreachable)


async def run(target: str, concurrency: int, duration: float, warmup: float, max_calls: int,
              channels: int, profiles: str = "repeated", seed: int = 0,
              pool: int = 20_000, explain: bool = False) -> dict[str, object]:
    if profiles == "new":
        requests = new_profiles(pool, seed)
    else:
        requests = [pb.EvaluateRequest(project=json_format.ParseDict(p, pb.ProjectProfile()))
                    for p in MIX.values()]
    for request in requests:
        request.explain = explain
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
    explained = 0  # answers that carry explanations

    async def worker(k: int) -> None:
        nonlocal issued, completed, explained
        stub = stubs[k % len(stubs)]
        i = k
        while issued < max_calls:
            now = time.perf_counter()
            if now >= stop_at:
                return
            issued += 1
            request = requests[i % len(requests)]
            if profiles != "repeated":  # a name never asked about: no cached answer
                request = pb.EvaluateRequest(project=request.project, explain=explain)
                request.project.name = f"bench-{seed}-{k}-{i}"
            i += concurrency
            t0 = time.perf_counter_ns()
            try:
                response = await stub.Evaluate(request, timeout=10)
                code = None
            except grpc.aio.AioRpcError as exc:
                code = exc.code().name
            t1 = time.perf_counter_ns()
            completed += 1
            if code is None and _explained(response.assessment):
                explained += 1
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
        "profiles": profiles, "explain": explain, "seed": seed,
        # (new profiles: calls beyond the pool ask about figures already asked about)
        "pool_reused": max(0, completed - len(requests)) if profiles == "new" else None,
        "duration_s": round(elapsed, 3), "calls": len(latencies), "ok": ok,
        "errors": sum(errors.values()), "error_codes": dict(errors), "calls_total": completed,
        # (a FINE_TUNE answer has none to carry)
        "explained_answers": explained,
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
    p.add_argument("--profiles", choices=PROFILES, default="repeated")
    p.add_argument("--seed", type=int, default=1, help="of the new profiles")
    p.add_argument("--pool", type=int, default=20_000, help="new profiles generated beforehand")
    p.add_argument("--explain", action="store_true",
                   help="ask every call for its explanations (EvaluateRequest.explain)")
    args = p.parse_args()
    if not args.target.startswith(LOOPBACK):
        print("loadgen: loopback targets only", file=sys.stderr)
        return 2
    channels = args.channels or min(args.concurrency, 8)
    result = asyncio.run(run(args.target, args.concurrency, min(args.duration, 120),
                             args.warmup, args.max_calls, channels, args.profiles,
                             args.seed, args.pool, args.explain))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
