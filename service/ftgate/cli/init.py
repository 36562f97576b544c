"""`ftgate init [--example NAME] [FILE]`: write a commented profile template to start from."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from ftgate.cli.exits import EXIT_BAD_INPUT, EXIT_OK
from ftgate.cli.help import HelpFormatter

EPILOG = """\
Every field is listed with its meaning, unit and allowed values; unknown ones stay commented out.
Fill it in, then: ftgate check FILE"""


def add_parser(sub: Any) -> None:
    i = sub.add_parser("init", help="write a commented profile template", description=__doc__,
                       epilog=EPILOG, formatter_class=HelpFormatter)
    i.add_argument("file", nargs="?", default="-",
                   help="file to write (refused if it exists, unless --force); - for standard "
                        "output")
    i.add_argument("--example", metavar="NAME",
                   help="fill the template with a shipped example: " + ", ".join(example_names()))
    i.add_argument("--force", action="store_true", help="overwrite FILE if it exists")


def _examples() -> Traversable:
    return resources.files("ftgate").joinpath("examples")


def example_names() -> list[str]:
    """The shipped examples (examples/*.yaml|json), by name without extension."""
    if not _examples().is_dir():  # an installation without them (the container image)
        return []
    return sorted(p.name.rsplit(".", 1)[0] for p in _examples().iterdir()
                  if p.name.endswith((".yaml", ".json")))


def run(args: argparse.Namespace) -> int:
    from ftgate.profile_input import ProfileInputError, read_profile
    from ftgate.profile_input.template import render_template

    example, title = None, ""
    if args.example:
        names = example_names()
        found = [p for p in _examples().iterdir()
                 if p.name in (f"{args.example}.yaml", f"{args.example}.json")] if names else []
        if not found:
            print(f"ftgate init: --example: no example {args.example!r}; the examples are "
                  + (", ".join(names) or "not installed here"), file=sys.stderr)
            return EXIT_BAD_INPUT
        try:
            example = read_profile(found[0].read_bytes(), f"examples/{found[0].name}").message
        except ProfileInputError as exc:  # a shipped example is checked by the tests
            print(f"ftgate init: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        title = f"from the example {args.example}"
    text = render_template(example, title)
    if args.file == "-":
        sys.stdout.write(text)
        return EXIT_OK
    path = Path(args.file)
    if path.exists() and not args.force:
        print(f"ftgate init: {path} exists; choose another FILE or add --force", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"ftgate init: cannot write {path}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"wrote {path}; fill it in, then: ftgate check {path}", file=sys.stderr)
    return EXIT_OK
