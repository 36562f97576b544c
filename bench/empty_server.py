"""The baseline: the same gRPC server set-up as `ftgate serve` (sync server, thread pool, one
process per worker on one port with SO_REUSEPORT) whose Evaluate returns a fixed EvaluateResponse
without evaluating. `ftgate / empty` is then the cost of ftgate over gRPC itself.
    python bench/empty_server.py --listen 127.0.0.1:50061 --workers 2
"""

from __future__ import annotations

import argparse
import multiprocessing
import signal
import sys
import threading
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


def _worker(listen: str, threads: int, max_concurrent: int, payload: bytes) -> None:
    from ftgate.v1 import advisor_pb2 as pb
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc

    response = pb.EvaluateResponse.FromString(payload)
    handler = grpc.method_handlers_generic_handler("ftgate.v1.FineTuningAdvisorService", {
        "Evaluate": grpc.unary_unary_rpc_method_handler(
            lambda request, context: response,
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
    args = p.parse_args()
    payload = fixed_response().SerializeToString()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(args.listen, args.threads, args.max_concurrent,
                                               payload)) for _ in range(args.workers)]
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
