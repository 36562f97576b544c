"""The baseline: the same gRPC server set-up as `ftgate serve` (sync server, thread pool, one
process per worker on one port with SO_REUSEPORT) whose Evaluate returns a fixed EvaluateResponse
without evaluating. `ftgate / empty` is then the cost of ftgate over gRPC itself.
    python bench/empty_server.py --listen 127.0.0.1:50061 --workers 2

`--handler-loop N`: each Evaluate first runs a loop of N steps of pure Python (its CPU time in
process is printed at start), to measure what a microsecond of handler costs the server under
load (docs/performance.md).
"""

from __future__ import annotations

import argparse
import multiprocessing
import signal
import sys
import threading
import time
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ftgate.server.options import SERVE_DEFAULTS  # the same defaults as `ftgate serve`


def fixed_response() -> Any:
    """A real answer of the mix (the one closest to the mix's mean size), computed once."""
    from ftgate.api import convert
    from ftgate.assessment import to_message
    from ftgate.engine import Engine
    from ftgate.v1 import advisor_pb2 as pb
    from google.protobuf import json_format
    from profiles import MIX

    engine = Engine()
    answers = [pb.EvaluateResponse(assessment=to_message(engine.decide(
        convert.profile_from_proto(json_format.ParseDict(p, pb.ProjectProfile()))),
        "0f8fad5b-d9cb-469f-a165-70867728950e")) for p in MIX.values()]
    mean = sum(a.ByteSize() for a in answers) / len(answers)
    return min(answers, key=lambda a: abs(a.ByteSize() - mean))


def _loop(steps: int) -> int:
    """`steps` steps of pure Python: the handler's own work of a `--handler-loop` run."""
    total = 0
    for i in range(steps):
        total += i * i
    return total


def _loop_us(steps: int) -> float:
    """The CPU time of `_loop(steps)` in process, in µs (the least of 200 runs)."""
    best = float("inf")
    for _ in range(200):
        t0 = time.process_time_ns()
        _loop(steps)
        best = min(best, (time.process_time_ns() - t0) / 1000)
    return best


def _worker(listen: str, threads: int, max_concurrent: int, payload: bytes,
            handler_loop: int = 0) -> None:
    from ftgate.v1 import advisor_pb2 as pb
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc

    response = pb.EvaluateResponse.FromString(payload)

    def evaluate(request: Any, context: Any) -> Any:
        if handler_loop:
            _loop(handler_loop)
        return response

    handler = grpc.method_handlers_generic_handler("ftgate.v1.FineTuningAdvisorService", {
        "Evaluate": grpc.unary_unary_rpc_method_handler(
            evaluate,
            request_deserializer=pb.EvaluateRequest.FromString,
            response_serializer=pb.EvaluateResponse.SerializeToString),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=threads),
                         handlers=[handler], maximum_concurrent_rpcs=max_concurrent or None,
                         options=[("grpc.so_reuseport", 1)])
    status = health.HealthServicer()
    status.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(status, server)
    server.add_insecure_port(listen)
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.2):
        pass
    server.stop(5).wait()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--listen", required=True)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=SERVE_DEFAULTS.threads)
    p.add_argument("--max-concurrent", type=int, default=64)
    p.add_argument("--handler-loop", type=int, default=0, metavar="N",
                   help="steps of pure Python each Evaluate runs first (default 0: none)")
    args = p.parse_args()
    if args.handler_loop < 0:
        p.error("--handler-loop must be 0 or more")
    if args.handler_loop:
        print(f"handler loop: {_loop_us(args.handler_loop):.1f} us of CPU in process",
              flush=True)
    payload = fixed_response().SerializeToString()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(args.listen, args.threads, args.max_concurrent,
                                               payload, args.handler_loop))
             for _ in range(args.workers)]
    for proc in procs:
        proc.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.2) and all(proc.is_alive() for proc in procs):
        pass
    for proc in procs:
        if proc.is_alive() and proc.pid:
            proc.terminate()
    for proc in procs:
        proc.join(10)
    return 0 if all(proc.exitcode == 0 for proc in procs) else 1


if __name__ == "__main__":
    sys.exit(main())
