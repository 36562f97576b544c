"""What the decision audit log costs per call (docs/operations.md). Never part of `make test`.

1. In-process: the CPU the writer spends per decision (proto → row, batched INSERT, commit).
   It runs off the request path but shares the interpreter, so under saturation it is the
   throughput cost.
2. End to end: `ftgate serve` (one process) without and with --audit-db, Evaluate calls from one
   client thread (latency) and from 16 (throughput), alternating runs; medians printed, both of
   the wall-clock time per call and of the server process's CPU time per call (user + system,
   from /proc: far less noisy on a shared machine than the wall clock).

    .venv/bin/python bench/audit_cost.py [--calls N] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "operability"))

import grpc  # noqa: E402
from ftgate.api import convert  # noqa: E402
from ftgate.audit import DecisionStore  # noqa: E402
from ftgate.audit.writer import DecisionEntry, to_row  # noqa: E402
from ftgate.engine import Engine  # noqa: E402
from ftgate.v1 import advisor_pb2 as pb  # noqa: E402
from ftgate.v1 import advisor_pb2_grpc as pb_grpc  # noqa: E402
from opstools import fine_tune_profile, single_process  # noqa: E402
from serverproc import start_server  # noqa: E402


def writer_cpu_per_decision(n: int, tmp: Path) -> float:
    """Microseconds of writer work per decision, in batches of 100."""
    project = fine_tune_profile()
    profile = convert.profile_from_proto(project)
    decision = Engine().decide(profile)
    entries = []
    for _ in range(n):
        decision_id = str(uuid.uuid4())
        entries.append(DecisionEntry(time.time(), decision_id, project, profile, decision))
    store = DecisionStore(tmp / "micro.db")
    started = time.process_time()
    for i in range(0, n, 100):
        store.insert([to_row(e) for e in entries[i:i + 100]])
    return (time.process_time() - started) / n * 1e6


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_calls(address: str, calls: int, threads: int, pid: int) -> tuple[float, float]:
    """Wall-clock and server CPU microseconds per call, over `threads` client threads."""
    request = pb.EvaluateRequest(project=fine_tune_profile())
    with grpc.insecure_channel(address) as channel:
        stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
        for _ in range(20):
            stub.Evaluate(request, timeout=10)
        per_thread = calls // threads

        def loop(_: int) -> None:
            for _ in range(per_thread):
                stub.Evaluate(request, timeout=10)
        started, cpu_before = time.perf_counter(), cpu_seconds(pid)
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(loop, range(threads)))
        wall = time.perf_counter() - started
        time.sleep(0.2)  # the audit writer's last batch: its CPU time is the server's too
        cpu = cpu_seconds(pid) - cpu_before
        n = per_thread * threads
        return wall / n * 1e6, cpu / n * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=400, help="calls per chunk")
    parser.add_argument("--rounds", type=int, default=15, help="chunks per server and mode")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ftgate-audit-cost-") as tmpdir:
        tmp = Path(tmpdir)
        micro = writer_cpu_per_decision(5000, tmp)
        print(f"writer CPU per decision (to_row + batched INSERT): {micro:.0f} µs")
        flags = [*single_process(), "--metrics-listen", ""]
        servers = {"off": start_server(tmp, *flags),
                   "on": start_server(tmp, *flags, "--audit-db", str(tmp / "audit.db"))}
        results: dict[tuple[str, int], list[tuple[float, float]]] = {}
        try:
            # Both servers run side by side and take turns, chunk by chunk: whatever else the
            # machine does weighs on both alike.
            for r in range(args.rounds):
                for threads in (1, 16):
                    for mode in ("off", "on") if r % 2 == 0 else ("on", "off"):
                        server = servers[mode]
                        results.setdefault((mode, threads), []).append(
                            run_calls(server.address, args.calls, threads, server.proc.pid))
        finally:
            for server in servers.values():
                server.stop()
        for threads, what in ((1, "1 client thread"), (16, "16 client threads")):
            for i, kind in ((0, "wall"), (1, "server CPU")):
                off = statistics.median(m[i] for m in results[("off", threads)])
                on = statistics.median(m[i] for m in results[("on", threads)])
                print(f"{what:17} {kind:10}: audit off {off:6.0f} µs/call, on {on:6.0f} µs/call,"
                      f" cost {on - off:+5.0f} µs/call ({(on / off - 1) * 100:+.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
