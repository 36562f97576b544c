"""The help of every command: defaults shown, descriptions and epilogs kept as written."""

from __future__ import annotations

import argparse
from typing import NoReturn


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Adds `(default: X)` to each option that has a default worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if ("%(default)" in text or default is None or default is False
                or default is argparse.SUPPRESS
                or not action.option_strings or isinstance(action, argparse._VersionAction)):
            return text
        return f"{text} (default: {'%(default)r' if default == '' else '%(default)s'})"


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: what is wrong, and where to read more (a
    gate's log keeps one line per failure; the usage is one `--help` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")
