"""`ftgate health`: exit 0 when a server reports SERVING (for probes and scripts)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ftgate.cli.connect import add_connection_flags, open_channel
from ftgate.cli.exits import EXIT_ERROR, EXIT_OK
from ftgate.cli.flags import positive_seconds, server_address
from ftgate.cli.help import HelpFormatter
from ftgate.server.options import SERVE_DEFAULTS


def add_parser(sub: Any) -> None:
    h = sub.add_parser("health", help="exit 0 when a server reports SERVING", description=__doc__,
                       formatter_class=HelpFormatter)
    h.add_argument("--address", type=server_address, metavar="HOST:PORT",
                   default=SERVE_DEFAULTS.listen, help="the server HOST:PORT")
    h.add_argument("--service", default="", help="service name ('' = the whole server)")
    h.add_argument("--timeout", type=positive_seconds, metavar="SECONDS", default=3.0,
                   help="deadline of the call (seconds)")
    add_connection_flags(h)


def run(args: argparse.Namespace) -> int:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with open_channel(args.address, args) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=args.service), timeout=args.timeout)
        except grpc.RpcError as exc:
            print(f"unhealthy: {exc.code().name}", file=sys.stderr)
            return EXIT_ERROR
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(status)
    return EXIT_OK if reply.status == health_pb2.HealthCheckResponse.SERVING else EXIT_ERROR
