"""The `ftgate` command: one module per command group, thin over the library."""

from ftgate.cli.main import main

__all__ = ["main"]
