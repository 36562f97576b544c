"""`make soak`: long runs against a real `ftgate serve`, each with a bound on resident memory.

1. Calls: 200,000 by default, 32 in flight, over 4 connections (audit log on): Evaluate (every
   verdict), invalid Evaluate (expected INVALID_ARGUMENT), EvaluateBatch, CheckRegression,
   ListRules, GetDecision and health checks. Passes with 0 unexpected results and a resident
   memory growth under 5 % between the end of the warm-up (the first 10 % of the calls) and
   the end.
2. Reloads: 300 content-changing rule reloads (SIGHUP), each followed by calls; RSS growth
   under 16 MiB after a warm-up of 20 (a replaced ruleset not freed cost ~375 KB each).
3. Stuck clients: 300 connections that open streams and never read (receive window 0); the
   streams held stay within the caps (`--max-streams-per-connection` each, `--max-connections`),
   and RSS growth within what those caps allow (docs/operations.md).
4. NUL names: for a minute, Evaluate calls whose project name holds U+0000 mixed with normal
   ones, against a server with a PostgreSQL audit store (SQLite when PostgreSQL's binaries are
   not at hand): every NUL call refused (INVALID_ARGUMENT), every normal answered decision
   stored, none lost with them; the counts are printed.
5. Slow and idle HTTP clients, for `--slow-seconds` (180 by default): 150 connections that send
   nothing, 150 that send their headers a byte a second (slowloris) and 150 their body, each
   replaced when the server closes it. Every 15 s the server's RSS and open descriptors are
   printed and gRPC health and HTTP /healthz must answer; RSS may grow at most 16 MiB after the
   first minute, and the descriptors must come back to where they began once the clients leave.

Never part of `make test`.

    .venv/bin/python tests/operability/soak.py [--calls N] [--in-flight N] [--reloads N]
                                               [--stuck-connections N] [--nul-seconds S]
                                               [--slow-seconds S]
                                               [-- serve flags...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import grpc  # noqa: E402
from ftgate.v1 import advisor_pb2 as pb  # noqa: E402
from ftgate.v1 import advisor_pb2_grpc as pb_grpc  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402
from opstools import fine_tune_profile, small_profile, wait_until  # noqa: E402
from serverproc import REPO, start_server  # noqa: E402

sys.path.insert(0, str(HERE.parent / "hostile"))
from slow_http import SlowHttpClients, open_files  # noqa: E402
from stuck_client import open_stuck  # noqa: E402

MAX_RSS_GROWTH = 0.05
# Slow HTTP clients: of each kind (idle, slow headers, slow body) at a time; a sample every
# SLOW_SAMPLE_SECONDS; RSS growth bounded after SLOW_WARMUP_SECONDS.
SLOW_CLIENTS_PER_KIND = 150
SLOW_SAMPLE_SECONDS = 15.0
SLOW_WARMUP_SECONDS = 60.0
SLOW_MAX_RSS_GROWTH_BYTES = 16 * 2**20
RELOAD_WARMUP = 20
MAX_RELOAD_GROWTH_BYTES = 16 * 2**20
# The server's defaults (server/server.py), and what one held stream and one connection may
# cost (tests/hostile/test_stuck_clients.py).
STREAMS_PER_CONNECTION = 16
STREAM_BUDGET_BYTES = 64 * 1024
CONNECTION_BUDGET_BYTES = 1024 * 1024


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


def reload_soak(reloads: int, serve_flags: list[str]) -> int:
    """Content-changing reloads under calls, on one process; RSS growth after the warm-up."""
    import shutil
    import signal

    with tempfile.TemporaryDirectory(prefix="ftgate-soak-reload-") as tmp:
        rules = shutil.copytree(REPO / "rules", Path(tmp) / "rules",
                                ignore=shutil.ignore_patterns("tests"))
        thresholds = rules / "thresholds.yaml"
        text = thresholds.read_text()
        server = start_server(Path(tmp), "--rules", str(rules), "--reload-interval", "0",
                              "--workers", "1", *serve_flags)
        rss: dict[str, int] = {}
        try:
            with grpc.insecure_channel(server.address) as channel:
                stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
                started = time.perf_counter()
                for i in range(reloads + RELOAD_WARMUP):
                    if i == RELOAD_WARMUP:
                        rss["warm"] = rss_bytes(server.proc.pid)
                    thresholds.write_text(f"{text}\n# soak reload {i}\n")
                    server.proc.send_signal(signal.SIGHUP)
                    wait_until(lambda i=i: server.log().count('"rules_reloaded"') > i,
                               timeout=60, what=f"reload {i}")
                    for k in range(4):  # traffic on the new ruleset
                        stub.Evaluate(pb.EvaluateRequest(project=small_profile(k)), timeout=30)
                elapsed = time.perf_counter() - started
            rss["end"] = rss_bytes(server.proc.pid)
        finally:
            exit_code = server.stop(timeout=60)
    growth = rss["end"] - rss["warm"]
    failed = growth >= MAX_RELOAD_GROWTH_BYTES or exit_code != 0
    print(f"reloads        {reloads} after {RELOAD_WARMUP} to warm up, in {elapsed:.1f} s, "
          f"4 calls each")
    print(f"server RSS     {rss['warm'] / 2**20:.1f} MiB after warm-up, "
          f"{rss['end'] / 2**20:.1f} MiB at the end: {growth / 2**20:+.1f} MiB "
          f"({growth / reloads / 1024:.1f} KiB a reload; limit "
          f"{MAX_RELOAD_GROWTH_BYTES / 2**20:.0f} MiB); exit {exit_code}")
    print("reload soak:", "FAILED" if failed else "passed")
    return 1 if failed else 0


def stuck_soak(connections: int, serve_flags: list[str]) -> int:
    """`connections` clients that open twice the stream cap each and never read."""
    with tempfile.TemporaryDirectory(prefix="ftgate-soak-stuck-") as tmp:
        server = start_server(Path(tmp), "--workers", "1", *serve_flags)
        held = []
        try:
            before = rss_bytes(server.proc.pid)
            held = [open_stuck(server.port, 2 * STREAMS_PER_CONNECTION)
                    for _ in range(connections)]
            for stuck in held:
                stuck.pump(0.2)
            after = rss_bytes(server.proc.pid)
            streams = sum(len(s.accepted) for s in held)
            refused = sum(len(s.refused) for s in held)
            open_connections = sum(not s.closed for s in held)
            alive = server.proc.poll() is None
        finally:
            for stuck in held:
                stuck.sock.close()
            exit_code = server.stop(timeout=60)
    growth = after - before
    bound = open_connections * (CONNECTION_BUDGET_BYTES
                                + STREAMS_PER_CONNECTION * STREAM_BUDGET_BYTES)
    failed = (not alive or growth >= bound or exit_code != 0
              or streams > open_connections * STREAMS_PER_CONNECTION)
    print(f"stuck clients  {connections} connections x {2 * STREAMS_PER_CONNECTION} streams, "
          f"never read: {open_connections} connections and {streams} streams held, "
          f"{refused} streams refused")
    print(f"server RSS     {before / 2**20:.1f} MiB before, {after / 2**20:.1f} MiB held: "
          f"{growth / 2**20:+.1f} MiB (limit {bound / 2**20:.0f} MiB from the caps); "
          f"exit {exit_code}")
    print("stuck soak:", "FAILED" if failed else "passed")
    return 1 if failed else 0


def slow_http_soak(seconds: float, serve_flags: list[str]) -> int:
    """Slow and idle HTTP clients for `seconds`: the server's memory and descriptors stay
    bounded, gRPC and HTTP health answer throughout."""
    with tempfile.TemporaryDirectory(prefix="ftgate-soak-slow-") as tmp:
        server = start_server(Path(tmp), "--workers", "1", "--http-header-timeout", "5",
                              "--http-body-timeout", "5", "--http-keepalive-timeout", "5",
                              *serve_flags)
        pid = server.proc.pid
        fds_before = open_files(pid)
        clients = SlowHttpClients(server.http_port or 0, per_kind=SLOW_CLIENTS_PER_KIND)
        samples: list[tuple[float, int, int]] = []
        healthy = True
        try:
            start = time.monotonic()
            next_sample = start
            while (now := time.monotonic()) < start + seconds:
                clients.tick(1.0)  # one byte a second from each trickling client
                if now >= next_sample:
                    healthy &= _healthy(server.address, server.http_port or 0)
                    samples.append((now - start, rss_bytes(pid), open_files(pid)))
                    print(f"slow clients   {samples[-1][0]:5.0f} s: RSS "
                          f"{samples[-1][1] / 2**20:.1f} MiB, {samples[-1][2]} descriptors, "
                          f"{clients.open} connections held, closed by the server: "
                          f"{dict(clients.closed_by_status)}", flush=True)
                    next_sample += SLOW_SAMPLE_SECONDS
            clients.close()
            settled = _fds_settle(pid, fds_before)
            alive = server.proc.poll() is None
        finally:
            clients.close()
            exit_code = server.stop(timeout=60)
    warm = [rss for at, rss, _ in samples if at >= min(SLOW_WARMUP_SECONDS, seconds / 2)]
    growth = (warm[-1] - warm[0]) if warm else 0
    peak_fds = max(fds for _, _, fds in samples)
    failed = (not alive or not healthy or not settled or exit_code != 0
              or growth > SLOW_MAX_RSS_GROWTH_BYTES)
    print(f"slow clients   {seconds:.0f} s, {3 * SLOW_CLIENTS_PER_KIND} at a time: "
          f"{sum(clients.closed_by_status.values()):,} closed by the server "
          f"{dict(clients.closed_by_status)}; health answered throughout: {healthy}")
    print(f"server RSS     {samples[0][1] / 2**20:.1f} MiB at start, "
          f"{max(r for _, r, _ in samples) / 2**20:.1f} MiB at most, growth after warm-up "
          f"{growth / 2**20:+.1f} MiB (limit {SLOW_MAX_RSS_GROWTH_BYTES / 2**20:.0f} MiB); "
          f"descriptors {fds_before} before, {peak_fds} at most, back after: {settled}; "
          f"exit {exit_code}")
    print("slow soak:", "FAILED" if failed else "passed")
    return 1 if failed else 0


def _healthy(address: str, http_port: int) -> bool:
    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                              timeout=10)
        except grpc.RpcError:
            return False
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/healthz", timeout=10) as r:
            http_ok = r.status == 200
    except OSError:
        http_ok = False
    return reply.status == health_pb2.HealthCheckResponse.SERVING and http_ok


def _fds_settle(pid: int, before: int) -> bool:
    """Whether the server's descriptors come back to `before` (a few more allowed: gRPC's and
    the logs' own) once the slow clients have gone."""
    try:
        wait_until(lambda: open_files(pid) <= before + 8, timeout=30, every=0.2,
                   what="the server's descriptors back")
    except AssertionError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--reloads", type=int, default=300)
    parser.add_argument("--stuck-connections", type=int, default=300)
    parser.add_argument("--nul-seconds", type=float, default=60.0)
    parser.add_argument("--slow-seconds", type=float, default=180)
    parser.add_argument("serve_flags", nargs="*", help="extra flags for ftgate serve")
    args = parser.parse_args()
    failed = 0
    if args.slow_seconds:
        failed |= slow_http_soak(args.slow_seconds, args.serve_flags)
    if args.reloads:
        failed |= reload_soak(args.reloads, args.serve_flags)
    if args.stuck_connections:
        failed |= stuck_soak(args.stuck_connections, args.serve_flags)
    if args.nul_seconds > 0:
        failed |= nul_soak(args.nul_seconds, args.serve_flags)
    if args.calls:
        failed |= call_soak(args.calls, args.in_flight, args.serve_flags)
    return failed


def _nul_calls(address: str, seconds: float, threads: int = 8) -> tuple[set[str], Counter[str]]:
    """Calls from `threads` threads for `seconds`, one in five with a NUL in its name: the
    decision ids answered, and a count of every kind of result."""
    import threading

    answered: set[str] = set()
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def run(t: int) -> None:
        with grpc.insecure_channel(address) as channel:
            stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
            i = 0
            while time.monotonic() < deadline:
                i += 1
                nul = i % 5 == 0
                name = f"soak\x00{t}-{i}" if nul else f"soak-{t}-{i}"
                try:
                    reply = stub.Evaluate(pb.EvaluateRequest(project=fine_tune_profile(name)),
                                          timeout=30)
                    kind = "NUL answered (unexpected)" if nul else "normal answered"
                    with lock:
                        answered.add(reply.assessment.decision_id)
                except grpc.RpcError as err:
                    refused = nul and err.code() == grpc.StatusCode.INVALID_ARGUMENT \
                        and "U+0000" in (err.details() or "")
                    kind = "NUL refused" if refused else f"{'NUL' if nul else 'normal'} " \
                                                         f"{err.code().name} (unexpected)"
                with lock:
                    counts[kind] += 1

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return answered, counts


def nul_soak(seconds: float, serve_flags: list[str]) -> int:
    """NUL names mixed with normal calls; every normal answered decision must be stored."""
    sys.path.insert(0, str(HERE.parent / "fleet"))
    from pgcluster import PgCluster, server_bindir
    from serverproc import free_port

    bindir = server_bindir()
    cluster = PgCluster(bindir, free_port()) if bindir else None
    with tempfile.TemporaryDirectory(prefix="ftgate-soak-nul-") as tmp:
        try:
            if cluster:
                cluster.start()
            target = cluster.new_database() if cluster else str(Path(tmp) / "audit.db")
            server = start_server(Path(tmp), "--workers", "1", "--audit-db", target,
                                  "--audit-migrate", *serve_flags)
            try:
                answered, counts = _nul_calls(server.address, seconds)
            finally:
                exit_code = server.stop(timeout=60)
            stored = _stored(target)
        finally:
            if cluster:
                cluster.remove()
    lost = answered - stored
    unexpected = sum(n for kind, n in counts.items() if "unexpected" in kind)
    failed = bool(lost) or unexpected > 0 or not counts["NUL refused"] or exit_code != 0
    print(f"NUL names      {seconds:.0f} s against {'PostgreSQL' if cluster else 'SQLite'}: "
          + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())))
    print(f"audit store    {len(answered)} answered, {len(stored)} stored, {len(lost)} lost; "
          f"exit {exit_code}")
    print("NUL soak:", "FAILED" if failed else "passed")
    return 1 if failed else 0


def _stored(target: str) -> set[str]:
    if target.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(target, connect_timeout=5) as conn:
            return {str(r[0]) for r in conn.execute("SELECT decision_id FROM decisions")}
    import sqlite3

    with sqlite3.connect(target) as conn:
        return {str(r[0]) for r in conn.execute("SELECT decision_id FROM decisions")}


def call_soak(calls: int, in_flight: int, serve_flags: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="ftgate-soak-") as tmp:
        server = start_server(Path(tmp), "--audit-db", str(Path(tmp) / "audit.db"),
                              "--max-concurrent", "256", *serve_flags)
        try:
            code = asyncio.run(soak(server.address, calls, in_flight, server.proc.pid))
        finally:
            exit_code = server.stop(timeout=60)
        print(f"server exit    {exit_code} (SIGTERM)")
        if os.environ.get("FTGATE_SOAK_LOG"):
            print(server.log()[-4000:])
    return code or (1 if exit_code else 0)


if __name__ == "__main__":
    sys.exit(main())
