"""`make bench`: the engine in-process, a plain-Python floor, end to end against `ftgate serve` and
an empty gRPC server, memory. Prints a table and writes bench/results.json (docs/performance.md).

    .venv/bin/python bench/run.py [--quick] [--duration S] [--evals N] [--out FILE]
                                  [--baseline REF]

With `--baseline REF` (a git revision: `make bench BASELINE=origin/main`), the server of that
revision (a temporary worktree, run with this interpreter and its packages) takes its turn in
every round beside this checkout's, and the table gives this/baseline ratios measured in one run.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests"))  # serverproc: waiting for a server to be SERVING

from floor import FloorPolicy  # noqa: E402
from ftgate.api import convert  # noqa: E402
from ftgate.assessment import to_message  # noqa: E402
from ftgate.engine import Engine  # noqa: E402
from ftgate.engine.facts import build_fact  # noqa: E402
from ftgate.server.grpc import assessments  # noqa: E402
from ftgate.v1 import advisor_pb2 as pb  # noqa: E402
from google.protobuf import json_format  # noqa: E402
from profiles import MIX  # noqa: E402
from random_stages import memory as never_seen_memory  # noqa: E402
from random_stages import stages as never_seen_stages  # noqa: E402
from serverproc import wait_serving  # noqa: E402

PACKAGES = ("durable-rules", "grpcio", "protobuf", "prometheus-client",
            "structlog")
CONCURRENCY = (1, 16, 64)


# ---- machine ---------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                            capture_output=True, timeout=10).stdout.strip()
    return {
        "cores": len(os.sched_getaffinity(0)), "cpu": model, "os": platform.platform(),
        "python": platform.python_version(),
        "packages": {p: metadata.version(p) for p in PACKAGES},
        "git_commit": commit, "load_average_at_start": os.getloadavg(),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def rss_kib(pid: int | str = "self", field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


# ---- engine ----------------------------------------------------------------------------------

def profiles() -> list[Any]:
    return [convert.profile_from_proto(json_format.ParseDict(p, pb.ProjectProfile()))
            for p in MIX.values()]


def timed(fn: Callable[[int], object], count: int, width: int) -> float:
    """Seconds per call of fn(i % width), the best of 3 rounds of count // 3."""
    best = float("inf")
    per_round = max(1, count // 3)
    for _ in range(3):
        t0 = time.perf_counter()
        for i in range(per_round):
            fn(i % width)
        best = min(best, (time.perf_counter() - t0) / per_round)
    return best


def request_path_stages(engine: Engine, mix: list[Any], count: int) -> dict[str, float]:
    """What an Evaluate call costs besides the engine, each part alone (no gRPC)."""
    import structlog
    from ftgate.obs import logging as logs
    from ftgate.obs import metrics
    from ftgate.obs._fdlogger import FdLoggerFactory

    # The server's logging set-up, its descriptor pointed at /dev/null.
    sink = open(os.devnull, "w")  # noqa: SIM115
    logs.configure("info", worker=1, pid=os.getpid())
    factory = FdLoggerFactory(sink)
    structlog.configure(logger_factory=factory)
    decision_lines = logs.DecisionLog(factory.logger, True, {"worker": 1, "pid": os.getpid()})
    n = len(mix)
    raw = [pb.EvaluateRequest(project=json_format.ParseDict(p, pb.ProjectProfile()))
           .SerializeToString() for p in MIX.values()]
    requests = [pb.EvaluateRequest.FromString(r) for r in raw]
    decisions = [engine.decide(p) for p in mix]
    writer = assessments.writer_for(engine.policy)
    replies = [pb.EvaluateResponse(assessment=to_message(d, "x")) for d in decisions]

    def decision_log(i: int) -> None:
        d = decisions[i]
        decision_lines.write("0f8fad5b-d9cb-469f-a165-70867728950e", d.project_name, d.verdict,
                             d.outcome, len(d.findings), d.ruleset_version, 0.123, False)

    from ftgate.api.cache import DecisionCache
    from ftgate.api.limits import CallBudget
    from ftgate.api.record import Recorder
    from ftgate.api.service import AdvisorService

    class Context:  # what the service asks of a call
        def time_remaining(self) -> float:
            return 10.0

        def is_active(self) -> bool:
            return True

    context = Context()
    service = AdvisorService(engine, Recorder(decision_lines))
    cache = DecisionCache(4096)
    cached = AdvisorService(engine, Recorder(decision_lines, None, cache), cache=cache)
    stages = {
        # (the gRPC edge writes the typed answer's bytes: server/grpc/assessments.py)
        "whole_handler": timed(
            lambda i: assessments.encode_one(service.evaluate(
                pb.EvaluateRequest.FromString(raw[i]), CallBudget(context, 10.0))), count, n),
        "whole_handler_cache_hit": timed(
            lambda i: assessments.encode_one(cached.evaluate(
                pb.EvaluateRequest.FromString(raw[i]), CallBudget(context, 10.0))), count, n),
        "decode_request": timed(lambda i: pb.EvaluateRequest.FromString(raw[i]), count, n),
        "from_proto": timed(lambda i: convert.profile_from_proto(requests[i].project), count, n),
        "wire_body": timed(lambda i: writer.body(decisions[i]), count, n),
        "serialize_message": timed(lambda i: replies[i].SerializeToString(), count, n),
        "decision_log": timed(decision_log, count, n),
        "domain_metrics": timed(lambda i: metrics.count_decision(decisions[i], 0.0001), count, n),
    }
    decision_lines.stop(10.0)  # before its descriptor closes
    sink.close()
    return stages


def bench_engine(evals: int, stage_evals: int) -> dict[str, Any]:
    engine = Engine()
    policy = engine.policy
    floor = FloorPolicy(engine.ruleset)
    mix = profiles()
    n = len(mix)
    facts = [build_fact(p, engine.ruleset.thresholds) for p in mix]
    fired = [policy.host.fire(f) for f in facts]
    for p, f, ids in zip(mix, facts, fired, strict=True):  # the floor is the same policy
        assert floor.fire(f) == ids, (p, ids, floor.fire(f))
        assert floor.decide(p) == policy.decide(p)
    writer = assessments.writer_for(policy)
    explainer = policy.explainer
    stages = {
        "build_fact": timed(lambda i: build_fact(mix[i], engine.ruleset.thresholds),
                            stage_evals, n),
        "durable_fire": timed(lambda i: policy.host.fire(facts[i]), stage_evals, n),
        "python_match": timed(lambda i: floor.fire(facts[i]), stage_evals, n),
        "explain": timed(lambda i: explainer.explain(facts[i], fired[i], ""), stage_evals, n),
        # What EvaluateRequest.explain adds: the decision with its counterfactuals and
        # missing-field outcomes (several evaluations each: fewer calls measured).
        "decide": timed(lambda i: policy.decide(mix[i]), stage_evals, n),
        "decide_explained": timed(lambda i: policy.decide(mix[i], explain=True),
                                  max(3 * n, stage_evals // 20), n),
        "decide_french": timed(lambda i: policy.decide(mix[i], lang="fr"), stage_evals, n),
    }
    stages.update(request_path_stages(engine, mix, stage_evals))
    # Engine and floor in alternate rounds, best of each: the ratio compares like with like on
    # a machine whose load changes from one second to the next.
    # The engine as the server runs it: the Decision, then its bytes (server/grpc/assessments.py); beside it,
    # the Assessment built as a message, as in-process callers get it (`to_message`).
    def as_served(i: int) -> bytes:
        return writer.body(policy.decide(mix[i]))

    def as_floor(i: int) -> bytes:
        return writer.body(floor.decide(mix[i]))

    engine_rounds: list[float] = []
    floor_rounds: list[float] = []
    message_rounds: list[float] = []
    for _ in range(7):
        engine_rounds.append(timed(as_served, 3 * 2000, n))
        floor_rounds.append(timed(as_floor, 3 * 2000, n))
        message_rounds.append(timed(lambda i: to_message(policy.decide(mix[i]), "x"),
                                    3 * 2000, n))
    floor_s, paired_engine_s = min(floor_rounds), min(engine_rounds)

    # Throughput and memory: one long run of `evals` evaluations, RSS around it.
    for i in range(5000):
        as_served(i % n)
    gc.collect()
    rss_before = rss_kib()
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    rounds: list[float] = []  # seconds per evaluation of each round of 10,000
    done = 0
    while done < evals:
        size = min(10_000, evals - done)
        r0 = time.perf_counter()
        for i in range(done, done + size):
            as_served(i % n)
        rounds.append((time.perf_counter() - r0) / size)
        done += size
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - t0
    gc.collect()
    rss_after = rss_kib()
    # The machine is shared: the best round is the figure least disturbed by other processes;
    # the median and the whole run's average are kept beside it.
    engine_s = min(rounds)
    rounds.sort()
    return {
        "mix": list(MIX), "evaluations": evals,
        "us_per_eval": round(engine_s * 1e6, 1), "evals_per_s": round(1 / engine_s),
        "median_round_us_per_eval": round(rounds[len(rounds) // 2] * 1e6, 1),
        "whole_run_us_per_eval": round(wall / evals * 1e6, 1),
        "cpu_us_per_eval": round(cpu / evals * 1e6, 1),
        "floor_us_per_eval": round(floor_s * 1e6, 1), "floor_evals_per_s": round(1 / floor_s),
        "paired_engine_us_per_eval": round(paired_engine_s * 1e6, 1),
        "message_us_per_eval": round(min(message_rounds) * 1e6, 1),
        "engine_over_floor": round(paired_engine_s / floor_s, 2),
        "durable_fire_over_python_match": round(stages["durable_fire"] / stages["python_match"],
                                                1),
        # The cost of the explanations, in evaluations (more than 0.2: a request option).
        "explanations_over_decide": round(
            (stages["decide_explained"] - stages["decide"]) / stages["decide"], 1),
        "stages_us": {k: round(v * 1e6, 1) for k, v in stages.items()},
        "fired_per_eval": round(sum(map(len, fired)) / n, 2),
        "rss_kib_before": rss_before, "rss_kib_after": rss_after,
        "rss_growth_pct": round((rss_after - rss_before) / rss_before * 100, 2),
    }


# ---- end to end ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class Server:
    """`kind`: empty (bench/empty_server.py), ftgate (this checkout) or baseline (`checkout`,
    another revision's tree, its package put before this one's)."""

    def __init__(self, kind: str, workers: int, logdir: Path,
                 checkout: Path | None = None, http: bool = True) -> None:
        self.kind, self.workers = kind, workers
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        env = dict(os.environ)
        if kind in ("ftgate", "baseline"):
            cmd = [sys.executable, "-m", "ftgate.cli", "serve", "--listen", self.address,
                   "--metrics-listen", f"127.0.0.1:{free_port()}", "--workers", str(workers),
                   "--max-concurrent", "0"]
            if _has_http_listener(checkout or REPO):
                # As served by default (the HTTP listener on, idle here), on a free port.
                cmd += ["--http-listen", f"127.0.0.1:{free_port()}" if http else ""]
            if kind == "baseline":
                assert checkout is not None
                env["PYTHONPATH"] = str(checkout / "service")
        else:
            cmd = [sys.executable, str(HERE / "empty_server.py"), "--listen", self.address,
                   "--workers", str(workers), "--max-concurrent", "0"]
        self.log = open(logdir / f"{kind}-{workers}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=checkout or REPO, env=env)
        wait_serving(self.address, timeout=30, proc=self.proc)
        time.sleep(1.0)  # every worker up, not only the first

    def worker_pids(self) -> list[int]:
        kids = [p for p in children(self.proc.pid) if "resource_tracker" not in
                Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]
        return kids or [self.proc.pid] if self.kind != "empty" else kids

    def cpu_seconds(self) -> float:
        """User + system CPU of the server's processes (supervisor or parent, and workers)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in {self.proc.pid, *children(self.proc.pid)}:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / tick

    def peak_rss_kib(self) -> list[int]:
        return [rss_kib(p, "VmHWM") for p in self.worker_pids()]

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(5)
        self.log.close()
        return code


_seeds = iter(range(1, 1 << 30))  # every load of new profiles asks about other figures


def _has_http_listener(tree: Path) -> bool:
    """Whether the server of `tree` has the HTTP listener (and its --http-listen option)."""
    return (tree / "service" / "ftgate" / "server" / "http").is_dir()


def load(address: str, concurrency: int, duration: float, name: str = "repeated",
         ) -> dict[str, Any]:
    """One run of the load generator: load `name` of LOADS."""
    profiles, explain = LOADS[name]
    out = subprocess.run(
        [sys.executable, str(HERE / "loadgen.py"), "--target", address, "--concurrency",
         str(concurrency), "--duration", str(duration), "--warmup", "1",
         "--profiles", profiles, "--seed", str(next(_seeds)), *(("--explain",) * explain)],
        capture_output=True, text=True, timeout=duration + 60, cwd=REPO)
    if out.returncode != 0:
        raise RuntimeError(f"loadgen failed: {out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout)
    result["profiles"] = name  # (the load's name: "new-explained" is loadgen's "new")
    return result


# The loads of the end-to-end runs, the headline first: name → loadgen.py's --profiles, and
# whether every call asks for its explanations (--explain).
LOADS: dict[str, tuple[str, bool]] = {
    "new": ("new", False), "new-explained": ("new", True), "renamed": ("renamed", False),
    "repeated": ("repeated", False)}
_ORDER = tuple(LOADS)
_WIDTH = max(map(len, LOADS))  # of the profiles column


def bench_e2e(worker_counts: tuple[int, ...], duration: float, rounds: int, logdir: Path,
              baseline: Path | None = None, concurrency: tuple[int, ...] = CONCURRENCY,
              http: bool = True) -> dict[str, Any]:
    """Every load `rounds` times, the servers taking turns within each round, so that a change
    in the machine's load falls on all of them alike; ratios are taken round by round."""
    runs: list[dict[str, Any]] = []
    memory: dict[str, Any] = {}
    kinds = ("empty", "ftgate", *(("baseline",) if baseline else ()))
    for workers in worker_counts:
        servers = {kind: Server(kind, workers, logdir, baseline if kind == "baseline" else None,
                                http) for kind in kinds}
        try:
            for c in concurrency:
                for round_ in range(rounds):
                    # The empty server, then each ftgate server (this checkout's, the
                    # baseline's) on each load, back to back: profiles never seen before (new
                    # figures every call), the mix under new names, the mix over and over
                    # (the decision cache answers); the first with explanations too.
                    for kind, profiles in (("empty", "repeated"), *((k, p) for p in LOADS
                                                                     for k in kinds[1:])):
                        server = servers[kind]
                        cpu0 = server.cpu_seconds()
                        r = load(server.address, c, duration, profiles)
                        cpu = server.cpu_seconds() - cpu0  # includes the 1 s warm-up's calls
                        r.update(server=kind, workers=workers, round=round_,
                                 server_cpu_us_per_call=round(
                                     cpu / max(1, r["calls_total"]) * 1e6))
                        runs.append(r)
                        print(f"  {kind:8} {r['profiles']:{_WIDTH}} workers={workers} "
                              f"in-flight={c:<3} round {round_ + 1}/{rounds} "
                              f"{r['calls_per_s']:>8} calls/s  p50 {r['p50_ms']} ms  "
                              f"p99 {r['p99_ms']} ms  errors {r['errors']}  server CPU "
                              f"{r['server_cpu_us_per_call']} us/call, load generator "
                              f"{r['client_cpu_us_per_call']} us/call", flush=True)
            memory[f"ftgate_workers_{workers}_peak_rss_kib"] = servers["ftgate"].peak_rss_kib()
        finally:
            codes = {kind: s.stop() for kind, s in servers.items()}
        memory[f"ftgate_workers_{workers}_exit_code"] = codes["ftgate"]
    return {"runs": runs, "memory": memory}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _load_order(item: tuple[tuple[str, str, int, int], Any]) -> tuple[int, int, int]:
    (_, profiles, workers, c), _ = item
    return (_ORDER.index(profiles) if profiles in _ORDER else len(_ORDER), workers, c)


def versus_baseline(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """This checkout against the baseline revision, per load: the median of the round-by-round
    ratios of calls/s and of p99 (runs of the same round, back to back)."""
    by: dict[tuple[str, str, int, int], dict[int, dict[str, Any]]] = {}
    for r in runs:
        by.setdefault((r["server"], r.get("profiles", "repeated"), r["workers"],
                       r["concurrency"]), {})[r.get("round", 0)] = r
    rows = []
    for (server, profiles, workers, c), mine in sorted(by.items(), key=_load_order):
        base = by.get(("baseline", profiles, workers, c))
        if server != "ftgate" or not base:
            continue
        pairs = [(r, base[n]) for n, r in mine.items() if n in base]
        calls = [f["calls_per_s"] / b["calls_per_s"] for f, b in pairs if b["calls_per_s"]]
        p99 = [f["p99_ms"] / b["p99_ms"] for f, b in pairs if b["p99_ms"]]
        cpu = [f["server_cpu_us_per_call"] / b["server_cpu_us_per_call"] for f, b in pairs
               if b["server_cpu_us_per_call"]]
        rows.append({"profiles": profiles, "workers": workers, "concurrency": c,
                     "cpu_per_call_ratio": round(_median(cpu), 3) if cpu else None,
                     "cpu_per_call_ratio_rounds": [round(x, 3) for x in cpu],
                     "calls_per_s_ratio": round(_median(calls), 3) if calls else None,
                     "calls_per_s_ratio_rounds": [round(x, 3) for x in calls],
                     "p99_ratio": round(_median(p99), 3) if p99 else None,
                     "p99_ratio_rounds": [round(x, 3) for x in p99]})
    return rows


def ratios(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per ftgate load: medians over the rounds; each ratio is the median of the
    round-by-round ratios against the empty server's run of the same round."""
    by: dict[tuple[str, str, int, int], list[dict[str, Any]]] = {}
    for r in runs:
        key = (r["server"], r.get("profiles", "repeated"), r["workers"], r["concurrency"])
        by.setdefault(key, []).append(r)
    rows = []
    for (server, profiles, workers, c), mine in sorted(by.items(), key=_load_order):
        if server != "ftgate":
            continue
        empty = {r.get("round", 0): r for r in by.get(("empty", "repeated", workers, c), [])}
        one = by.get(("ftgate", profiles, 1, c))
        pairs = [(r, empty[r.get("round", 0)]) for r in mine if r.get("round", 0) in empty]

        def med(field: str, rs: list[dict[str, Any]]) -> float:
            return round(_median([r[field] for r in rs]), 3)

        throughput = [f["calls_per_s"] / e["calls_per_s"] for f, e in pairs if e["calls_per_s"]]
        p99 = [f["p99_ms"] / e["p99_ms"] for f, e in pairs if e["p99_ms"]]
        cpu = [f["server_cpu_us_per_call"] / e["server_cpu_us_per_call"] for f, e in pairs
               if e["server_cpu_us_per_call"]]
        empties = [e for _, e in pairs]
        rows.append({
            "profiles": profiles, "workers": workers, "concurrency": c, "rounds": len(mine),
            "ftgate_calls_per_s": med("calls_per_s", mine),
            "empty_calls_per_s": med("calls_per_s", empties) if empties else None,
            "throughput_ratio": round(_median(throughput), 3) if throughput else None,
            "throughput_ratio_rounds": [round(x, 3) for x in throughput],
            "ftgate_p50_ms": med("p50_ms", mine), "ftgate_p99_ms": med("p99_ms", mine),
            "ftgate_p999_ms": med("p999_ms", mine),
            "empty_p99_ms": med("p99_ms", empties) if empties else None,
            "p99_ratio": round(_median(p99), 2) if p99 else None,
            "p99_ratio_rounds": [round(x, 2) for x in p99],
            "scaling_vs_1_worker": round(med("calls_per_s", mine) / med("calls_per_s", one), 2)
            if one and workers != 1 else None,
            "errors": sum(r["errors"] for r in mine),
            "empty_errors": sum(e["errors"] for e in empties),
            "ftgate_cpu_us_per_call": med("server_cpu_us_per_call", mine),
            "reused_pool_calls": sum(r.get("pool_reused") or 0 for r in mine),
            "empty_cpu_us_per_call": med("server_cpu_us_per_call", empties) if empties else None,
            "cpu_ratio": round(_median(cpu), 2) if cpu else None,
        })
    return rows


# ---- report ----------------------------------------------------------------------------------

def table(result: dict[str, Any]) -> str:
    lines = [
        f"machine: {result['machine']['cores']} cores, {result['machine']['cpu']}, Python "
        f"{result['machine']['python']}, load average at start "
        f"{', '.join(f'{x:.1f}' for x in result['machine']['load_average_at_start'])}", ""]
    if "never_seen" in result:
        lines += never_seen_table(result["never_seen"])
    if "engine" in result:
        lines += engine_table(result["engine"])
    return "\n".join(lines + e2e_table(result))


def never_seen_table(n: dict[str, Any]) -> list[str]:
    stage_names = ("build_fact", "decide", "answer_bytes", "decide_explained")
    m = n["memory"]
    return [
        f"NEVER-SEEN PROFILES (in-process, one thread, {n['profiles']:,} seeded random profiles,"
        " the stages of each back to back, each by its own policy compiled afresh for each of 3"
        " rounds; per profile the least CPU time of the rounds)",
        "  stage               median us    p99 us    max us   mean us",
        *(f"  {k:18} {n[k]['median_us']:>10.1f} {n[k]['p99_us']:>9.1f} {n[k]['max_us']:>9.1f} "
          f"{n[k]['mean_us']:>9.1f}" for k in stage_names),
        f"  explained / decide: median {n['explained_over_decide_median']}x, p99 "
        f"{n['explained_over_decide_p99']}x",
        "  verdicts: " + ", ".join(f"{k} {v}" for k, v in n["verdicts"].items()),
        f"  RSS over {m['evaluations']:,} never-seen evaluations: {m['rss_kib_after_1000']} KiB "
        f"after 1,000 -> {m['rss_kib_after']} KiB ({m['rss_growth_pct']:+} %, max "
        f"{m['rss_kib_max']} KiB); second half {m['rss_kib_half_way']} -> {m['rss_kib_after']} KiB "
        f"({m['rss_growth_second_half_pct']:+} %)",
        ""]


def engine_table(e: dict[str, Any]) -> list[str]:
    return [
        "ENGINE (in-process, one thread, the mix of bench/profiles.py)",
        f"  ftgate engine (durable-rules)  {e['us_per_eval']:>7} us/eval  {e['evals_per_s']:>7}"
        f" evals/s   (best round of 10,000; median round {e['median_round_us_per_eval']}, "
        f"whole run {e['whole_run_us_per_eval']}, CPU {e['cpu_us_per_eval']} us/eval; the "
        "Decision and its bytes, as the server sends them)",
        f"  same, answer as a message      {e['message_us_per_eval']:>7} us/eval  "
        f"{round(1e6 / e['message_us_per_eval']):>7} evals/s   (best of the alternate rounds; "
        "the Decision built into ftgate.v1.Assessment with the message API, for in-process "
        "callers)",
        f"  plain-Python floor             {e['floor_us_per_eval']:>7} us/eval  "
        f"{e['floor_evals_per_s']:>7} evals/s   (best round; same facts and explainer, "
        "rules matched by Python closures)",
        f"  engine / floor                 {e['engine_over_floor']:>7}x   (alternate rounds: "
        f"engine {e['paired_engine_us_per_eval']} us vs floor {e['floor_us_per_eval']} us; "
        f"matching alone: durable {e['stages_us']['durable_fire']} us vs Python "
        f"{e['stages_us']['python_match']} us = {e['durable_fire_over_python_match']}x)",
        "  stages (us): " + ", ".join(f"{k} {v}" for k, v in e["stages_us"].items()),
        f"  explanations (counterfactuals, missing-field outcomes) cost "
        f"{e['explanations_over_decide']}x an evaluation: {e['stages_us']['decide_explained']} "
        f"us with them vs {e['stages_us']['decide']} us (EvaluateRequest.explain, off by "
        "default)",
        f"  RSS over {e['evaluations']:,} evaluations: {e['rss_kib_before']} KiB -> "
        f"{e['rss_kib_after']} KiB ({e['rss_growth_pct']:+} %)",
        ""]


def e2e_table(result: dict[str, Any]) -> list[str]:
    lines = [
        "END TO END (loopback, grpc.aio load generator in its own process; profiles: new = every"
        " call a profile never seen, new figures (seeded random); new-explained = the same, every"
        " call with EvaluateRequest.explain; renamed = the mix under new names, evaluated;"
        " repeated = the mix over and over, answered by the decision cache)",
        f"  {'profiles':{_WIDTH}} workers in-flight  ftgate/s   empty/s  ratio   p50 ms  p99 ms"
        "  p99.9 ms  empty p99  p99 ratio  errors  x1->2  CPU us/call ftgate/empty   ratio by"
        " round",
    ]
    for row in result["ratios"]:
        lines.append(
            f"  {row['profiles']:{_WIDTH}} {row['workers']:>7} {row['concurrency']:>9} "
            f"{row['ftgate_calls_per_s']:>9} {row['empty_calls_per_s']:>9} "
            f"{row['throughput_ratio']:>6} {row['ftgate_p50_ms']:>8} {row['ftgate_p99_ms']:>7} "
            f"{row['ftgate_p999_ms']:>9} {row['empty_p99_ms']:>10} {row['p99_ratio']:>10} "
            f"{row['errors']:>7}  {row['scaling_vs_1_worker'] or '':>5}  "
            f"{row['ftgate_cpu_us_per_call']:.0f}/{row['empty_cpu_us_per_call']:.0f}   "
            f"{row['throughput_ratio_rounds']}")
    if result.get("versus_baseline"):
        lines += ["", f"THIS CHECKOUT / BASELINE {result['baseline']} (same rounds, back to back;"
                  " calls/s ratio > 1 and p99 ratio < 1 favour this checkout)",
                  f"  {'profiles':{_WIDTH}} workers in-flight  calls/s ratio  p99 ratio  CPU/call"
                  " ratio   by round (calls/s, p99, CPU/call)"]
        for row in result["versus_baseline"]:
            lines.append(
                f"  {row['profiles']:{_WIDTH}} {row['workers']:>7} {row['concurrency']:>9} "
                f"{row['calls_per_s_ratio']:>14} {row['p99_ratio']:>10} "
                f"{row['cpu_per_call_ratio']:>15}   {row['calls_per_s_ratio_rounds']} "
                f"{row['p99_ratio_rounds']} {row['cpu_per_call_ratio_rounds']}")
    lines += explained_lines(result["ratios"])
    lines.append("")
    lines.append("MEMORY (peak RSS per ftgate worker, KiB): " + json.dumps(result["e2e"]["memory"]))
    return lines


def explained_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The never-seen load with explanations against the one without, per worker count and
    calls in flight: what asking for explanations costs end to end."""
    plain = {(r["workers"], r["concurrency"]): r for r in rows if r["profiles"] == "new"}
    out = []
    for r in rows:
        base = plain.get((r["workers"], r["concurrency"]))
        if r["profiles"] != "new-explained" or base is None or not all(
                base[k] for k in ("ftgate_calls_per_s", "ftgate_p50_ms", "ftgate_p99_ms",
                                  "ftgate_cpu_us_per_call")):
            continue
        out.append(
            f"  with / without explain, workers={r['workers']} in-flight={r['concurrency']}: "
            f"calls/s {r['ftgate_calls_per_s'] / base['ftgate_calls_per_s']:.2f}x, p50 "
            f"{r['ftgate_p50_ms'] / base['ftgate_p50_ms']:.2f}x, p99 "
            f"{r['ftgate_p99_ms'] / base['ftgate_p99_ms']:.2f}x, server CPU per call "
            f"{r['ftgate_cpu_us_per_call'] / base['ftgate_cpu_us_per_call']:.2f}x")
    return out


@contextlib.contextmanager
def baseline_checkout(ref: str | None) -> Iterator[Path | None]:
    """A temporary worktree of `ref` (None: no baseline), removed afterwards."""
    if ref is None:
        yield None
        return
    place = Path(tempfile.mkdtemp(prefix="ftgate-baseline-")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(place), ref], cwd=REPO,
                   check=True, capture_output=True, timeout=120)
    try:
        yield place
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(place)], cwd=REPO,
                       capture_output=True, timeout=120)
        shutil.rmtree(place.parent, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--evals", type=int, default=200_000, help="evaluations of the memory run")
    p.add_argument("--stage-evals", type=int, default=12_000)
    p.add_argument("--duration", type=float, default=3.0, help="seconds measured per load run")
    p.add_argument("--rounds", type=int, default=3,
                   help="rounds of every load; medians and round-by-round ratios are reported")
    p.add_argument("--workers", default="1,2", help="worker counts of the end-to-end runs")
    p.add_argument("--concurrency", default=",".join(map(str, CONCURRENCY)),
                   help="calls in flight of the end-to-end runs")
    p.add_argument("--http-off", action="store_true",
                   help="serve without the HTTP listener (by default it is on, idle)")
    p.add_argument("--random-count", type=int, default=5000,
                   help="never-seen profiles of the in-process stages")
    p.add_argument("--quick", action="store_true", help="20,000 evaluations, 2 s per load run")
    p.add_argument("--out", type=Path, default=HERE / "results.json")
    p.add_argument("--baseline", metavar="REF",
                   help="also run the server of this git revision in every round and report "
                        "this checkout's ratios to it")
    p.add_argument("--skip-engine", action="store_true", help="end to end only")
    args = p.parse_args()
    if args.quick:
        args.evals, args.stage_evals, args.duration, args.rounds = 20_000, 3_000, 2.0, 1
        args.random_count = 1000
    logdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"ftgate-bench-{os.getpid()}"
    logdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    result: dict[str, Any] = {"machine": machine()}
    if not args.skip_engine:
        print(f"engine: {args.evals:,} evaluations...", flush=True)
        print(f"never-seen profiles: stages on {args.random_count:,}, memory over "
              f"{args.evals:,}...", flush=True)
        result["never_seen"] = never_seen_stages(args.random_count, 20261207)
        result["never_seen"]["memory"] = never_seen_memory(args.evals, 20261208)
        result["engine"] = bench_engine(args.evals, args.stage_evals)
    print("end to end...", flush=True)
    workers = tuple(int(w) for w in args.workers.split(","))
    with baseline_checkout(args.baseline) as baseline:
        result["e2e"] = bench_e2e(workers, args.duration, args.rounds, logdir, baseline,
                                  tuple(int(c) for c in args.concurrency.split(",")),
                                  not args.http_off)
    result["ratios"] = ratios(result["e2e"]["runs"])
    if args.baseline:
        result["baseline"] = args.baseline
        result["versus_baseline"] = versus_baseline(result["e2e"]["runs"])
    result["machine"]["load_average_at_end"] = os.getloadavg()
    result["bench_seconds"] = round(time.monotonic() - started, 1)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print()
    print(table(result))
    print(f"\nwritten {args.out} in {result['bench_seconds']} s; server logs in {logdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
