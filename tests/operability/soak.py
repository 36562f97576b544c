"""`make soak`: a long run of mixed calls against a real `ftgate serve` (audit log on).

200,000 calls by default, 32 in flight, over 4 connections: Evaluate (every verdict), invalid
Evaluate (expected INVALID_ARGUMENT), EvaluateBatch, CheckRegression, ListRules, GetDecision and
health checks. Passes with 0 unexpected results and a resident memory growth under 5 % between
the end of the warm-up (the first 10 % of the calls) and the end. Never part of `make test`.

    .venv/bin/python tests/operability/soak.py [--calls N] [--in-flight N] [-- serve flags...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import grpc  # noqa: E402
from ftgate.v1 import advisor_pb2 as pb  # noqa: E402
from ftgate.v1 import advisor_pb2_grpc as pb_grpc  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402
from opstools import fine_tune_profile, small_profile  # noqa: E402
from serverproc import start_server  # noqa: E402

MAX_RSS_GROWTH = 0.05


def rss_bytes(pid: int) -> int:
    """Resident memory of `pid` and of its children (the workers of `serve --workers`)."""
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                pids.append(int(entry.name))
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def requests() -> list[tuple[str, object, grpc.StatusCode]]:
    """(method, request, expected code): the mix, one entry per share of 20 calls."""
    ok, invalid = grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT
    ev = [pb.EvaluateRequest(project=p) for p in (
        fine_tune_profile("soak-ft"), fine_tune_profile("soak-low", requests_per_day=500),
        small_profile(1), pb.ProjectProfile(name="soak-rag", goal=pb.GOAL_KNOWLEDGE))]
    bad = pb.EvaluateRequest(project=pb.ProjectProfile(name="bad", base_model_score=2.0))
    batch = pb.EvaluateBatchRequest(projects=[fine_tune_profile(f"b{i}") for i in range(5)])
    regression = pb.CheckRegressionRequest(
        baseline=[pb.TaskScore(task="qa", score=0.9), pb.TaskScore(task="sum", score=0.8)],
        candidate=[pb.TaskScore(task="qa", score=0.85), pb.TaskScore(task="sum", score=0.6)])
    mix: list[tuple[str, object, grpc.StatusCode]] = []
    mix += [("Evaluate", r, ok) for r in ev * 3]  # 12
    mix += [("Evaluate", bad, invalid), ("EvaluateBatch", batch, ok),
            ("EvaluateBatch", batch, ok), ("CheckRegression", regression, ok),
            ("ListRules", pb.ListRulesRequest(), ok), ("GetDecision", None, ok),
            ("Health", health_pb2.HealthCheckRequest(), ok),
            ("ListDecisions", pb.ListDecisionsRequest(page_size=10), ok)]
    return mix


async def soak(address: str, calls: int, in_flight: int, pid: int) -> int:
    channels = [grpc.aio.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1),
                                                            ("ftgate.soak.channel", i)])
                for i in range(4)]
    stubs = [pb_grpc.FineTuningAdvisorServiceStub(c) for c in channels]
    health = [health_pb2_grpc.HealthStub(c) for c in channels]
    mix = requests()
    results: Counter[str] = Counter()
    unexpected: Counter[str] = Counter()
    latencies: list[float] = []
    issued = 0
    last_id = ""
    warm_at = calls // 10
    rss: dict[str, int] = {}
    started = time.perf_counter()

    async def worker(k: int) -> None:
        nonlocal issued, last_id
        while issued < calls:
            n = issued
            issued += 1
            if n == warm_at:
                rss["warm"] = rss_bytes(pid)
            method, request, expected = mix[n % len(mix)]
            if method == "GetDecision":
                if not last_id:  # no decision yet: check the health instead
                    method, request = "Health", health_pb2.HealthCheckRequest()
                else:
                    request = pb.GetDecisionRequest(decision_id=last_id)
            t0 = time.perf_counter()
            try:
                if method == "Health":
                    await health[k % 4].Check(request, timeout=30)
                else:
                    reply = await getattr(stubs[k % 4], method)(request, timeout=30)
                    if method == "Evaluate":
                        last_id = reply.assessment.decision_id
                code = grpc.StatusCode.OK
            except grpc.aio.AioRpcError as exc:
                code = exc.code()
            latencies.append(time.perf_counter() - t0)
            # A decision may not be written yet (50 ms): NOT_FOUND is tolerated for GetDecision.
            if code != expected and not (method == "GetDecision"
                                         and code == grpc.StatusCode.NOT_FOUND):
                unexpected[f"{method}:{code.name}"] += 1
            results[method] += 1

    for c in channels:
        await asyncio.wait_for(c.channel_ready(), 20)
    await asyncio.gather(*(worker(k) for k in range(in_flight)))
    elapsed = time.perf_counter() - started
    # The last RSS reading once the audit writer has caught up: the last decision is stored.
    caught_up_by = time.monotonic() + 30
    while last_id and time.monotonic() < caught_up_by:
        try:
            await stubs[0].GetDecision(pb.GetDecisionRequest(decision_id=last_id), timeout=30)
            break
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise
            await asyncio.sleep(0.05)
    rss["end"] = rss_bytes(pid)
    for c in channels:
        await c.close()

    latencies.sort()
    growth = rss["end"] / rss["warm"] - 1
    print(f"calls          {sum(results.values()):,} in {elapsed:.1f} s "
          f"({sum(results.values()) / elapsed:,.0f}/s), {in_flight} in flight")
    print(f"latency        p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms, "
          f"max {latencies[-1] * 1000:.1f} ms")
    print("by method      " + ", ".join(f"{m} {n:,}" for m, n in sorted(results.items())))
    print(f"unexpected     {sum(unexpected.values())} {dict(unexpected) or ''}")
    print(f"server RSS     {rss['warm'] / 2**20:.1f} MiB after warm-up, "
          f"{rss['end'] / 2**20:.1f} MiB at the end: {growth * 100:+.2f} % "
          f"(limit {MAX_RSS_GROWTH * 100:.0f} %)")
    failed = sum(unexpected.values()) > 0 or growth >= MAX_RSS_GROWTH
    print("soak:", "FAILED" if failed else "passed")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("serve_flags", nargs="*", help="extra flags for ftgate serve")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ftgate-soak-") as tmp:
        server = start_server(Path(tmp), "--audit-db", str(Path(tmp) / "audit.db"),
                              "--max-concurrent", "256", *args.serve_flags)
        try:
            code = asyncio.run(soak(server.address, args.calls, args.in_flight, server.proc.pid))
        finally:
            exit_code = server.stop(timeout=60)
        print(f"server exit    {exit_code} (SIGTERM)")
        if os.environ.get("FTGATE_SOAK_LOG"):
            print(server.log()[-4000:])
    return code or (1 if exit_code else 0)


if __name__ == "__main__":
    sys.exit(main())
