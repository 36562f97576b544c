"""Test-only seams: behaviour a test needs from a real server, handed in, never read from the
environment by the service itself. The service never imports this module.

A test that needs a call slow or stuck on purpose starts its server through this module:

    python -m ftgate.testing serve [--delay-per-profile SECONDS] [--stall-method METHOD] \\
        -- <ftgate serve flags>

which builds the hooks (server/hooks.py) and runs the normal `ftgate serve` with them. The hooks
travel inside the server's options, so they reach every worker process (`--workers N`).

- `--delay-per-profile S`: every profile of a call waits S seconds before it is evaluated, so a
  batch is slow whatever the machine (a deadline or a cancellation in the middle of a call).
- `--stall-method /package.Service/Method`: that method's calls never return, cancelled or not
  (a shutdown must stay bounded whatever a call does).
- `--clock-file PATH`: waivers are judged by the wall clock plus the seconds written in PATH (0
  while the file is missing or empty), read at each use: a test moves time past a waiver's
  expiry by writing the file, instead of waiting for it.
"""

from __future__ import annotations

import argparse
import math
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ftgate.server.hooks import ServerHooks


@dataclass(frozen=True)
class DelayPerProfile:
    """A `before_each_profile` hook: wait `seconds`."""

    seconds: float

    def __call__(self) -> None:
        time.sleep(self.seconds)


@dataclass(frozen=True)
class StallMethod:
    """A per-method wrapper (server/handlers.py): the method named `method` never returns."""

    method: str

    def __call__(self, method: str, handler: Any) -> Any:
        if method != self.method:
            return handler
        from ftgate.server.handlers import with_behavior

        def stalled(_request: Any, _context: Any) -> Any:
            threading.Event().wait()  # for good: no deadline or cancellation ends it

        return with_behavior(handler, stalled)


@dataclass(frozen=True)
class FileClock:
    """A clock (api/clock.py): the wall clock plus the seconds written in `path` (0 while it is
    missing or empty), read at each use."""

    path: str

    def __call__(self) -> int:
        try:
            with open(self.path, encoding="utf-8") as f:
                text = f.read().strip()
        except FileNotFoundError:
            text = ""
        offset = float(text) if text else 0.0
        return time.time_ns() // 1000 + round(offset * 1_000_000)


def server_hooks(delay_per_profile: float = 0.0, stall_method: str | None = None,
                 clock_file: str | None = None) -> ServerHooks:
    """The hooks for the settings given (none: the production server)."""
    return ServerHooks(
        before_each_profile=DelayPerProfile(delay_per_profile) if delay_per_profile else None,
        wrappers=(StallMethod(stall_method),) if stall_method else (),
        clock=FileClock(clock_file) if clock_file else None)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text!r}")
    return value


def _method(text: str) -> str:
    if not text.startswith("/") or text.count("/") != 2:
        raise argparse.ArgumentTypeError(
            f"expected a method's full name /package.Service/Method, got {text!r}")
    return text


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ftgate.testing", description="ftgate serve with test-only hooks",
        usage="%(prog)s serve [--delay-per-profile S] [--stall-method METHOD] [--clock-file PATH] "
              "-- SERVE_FLAGS")
    p.add_argument("command", choices=["serve"])
    p.add_argument("--delay-per-profile", type=_seconds, default=0.0, metavar="SECONDS")
    p.add_argument("--stall-method", type=_method, default=None, metavar="METHOD")
    p.add_argument("--clock-file", default=None, metavar="PATH")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m ftgate.testing serve ... -- <serve flags>`: exit code of `ftgate serve`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    cut = argv.index("--") if "--" in argv else len(argv)
    try:
        seam = _parser().parse_args(argv[:cut])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    from ftgate.cli.main import main as ftgate_main

    hooks = server_hooks(seam.delay_per_profile, seam.stall_method, seam.clock_file)
    return ftgate_main(["serve", *argv[cut + 1:]], hooks=hooks)


if __name__ == "__main__":
    # As `ftgate serve` does (cli/__init__.py): SIGTERM is a stop from here on, before the
    # slow imports.
    from ftgate.server.signals import process_flags

    process_flags()
    # The hooks are pickled to the worker processes: their classes from the module by its name.
    from ftgate.testing import main as testing_main

    sys.exit(testing_main())
