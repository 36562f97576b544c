"""The `ftgate` command: one module per command group, thin over the library."""

import sys

if sys.argv[1:2] == ["serve"]:
    # Before the imports below (half a second, more on a busy machine): from here on SIGTERM
    # is a stop, exit 0, not the default death by signal (server/signals.py).
    from ftgate.server.signals import process_flags

    process_flags()

from ftgate.cli.main import main

__all__ = ["main"]
