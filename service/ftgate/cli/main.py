"""ftgate: should this LLM project be fine-tuned, and if not, what instead?

Commands: serve, check, init, schema, rules list|lint|test|replay, decisions show|list|export,
outcomes record|report, waivers grant|list|revoke, audit migrate, health."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ftgate.cli import (
    audit,
    check,
    decisions,
    health,
    init,
    outcomes,
    rules,
    schema,
    serve,
    waivers,
)
from ftgate.cli.exits import EXIT_BAD_INPUT, EXIT_ERROR, EXIT_INTERRUPTED
from ftgate.cli.help import HelpFormatter, Parser
from ftgate.errors import FtgateError

if TYPE_CHECKING:
    from ftgate.server.hooks import ServerHooks

EPILOG = """\
Start here:  ftgate init profile.yaml  →  edit it  →  ftgate check profile.yaml
Each command has its own --help."""

_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "serve": serve.run, "check": check.run, "init": init.run, "schema": schema.run,
    "rules": rules.run, "decisions": decisions.run, "audit": audit.run, "health": health.run,
    "outcomes": outcomes.run, "waivers": waivers.run}


def version_text() -> str:
    """The package version, the version of the shipped rules and the proto package."""
    from importlib.metadata import PackageNotFoundError, version

    from ftgate.engine.engine import default_rules_dir
    from ftgate.ruleset import load_ruleset
    from ftgate.v1 import advisor_pb2 as pb

    try:
        package = version("ftgate")
    except PackageNotFoundError:  # run from a source tree that was never installed
        package = "unknown (not installed)"
    try:
        ruleset = load_ruleset(default_rules_dir()).version
    except FtgateError as exc:
        ruleset = f"unreadable ({exc})"
    return f"ftgate {package}\nruleset {ruleset} (shipped rules)\nproto package {pb.DESCRIPTOR.package}"


class _Version(argparse.Action):
    """--version, computed when asked (it reads the shipped rules)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the versions of ftgate, its shipped rules and its API, "
                              "and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        print(version_text())
        parser.exit()


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="ftgate", description=__doc__, epilog=EPILOG,
                                formatter_class=HelpFormatter)
    p.add_argument("--version", action=_Version)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (serve, check, init, schema, rules, decisions, outcomes, waivers, audit,
                   health):
        module.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None, hooks: ServerHooks | None = None) -> int:
    """The `ftgate` command; `hooks`: test-only behaviour of `serve` (ftgate.testing)."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a bad flag (argparse said which: exit 2)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    try:
        if args.command == "serve":
            return serve.run(args, hooks)
        return _COMMANDS[args.command](args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except FtgateError as exc:  # a rule, token or certificate file the user must fix
        print(f"ftgate: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # the last line of defence: exit 1, never a stack trace to a gate
        print(f"ftgate: internal error: {exc!r}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
