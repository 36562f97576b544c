"""`ftgate schema`: print the JSON Schema of profile files, for editors and CI validators."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ftgate.cli.exits import EXIT_OK
from ftgate.cli.help import HelpFormatter

EPILOG = """\
Save it beside your profiles (ftgate schema > ftgate-profile.schema.json) and start a YAML
profile with the line
  # yaml-language-server: $schema=ftgate-profile.schema.json
or a JSON profile with "$schema": "ftgate-profile.schema.json"."""


def add_parser(sub: Any) -> None:
    sub.add_parser("schema", help="print the JSON Schema of profile files", description=__doc__,
                   epilog=EPILOG, formatter_class=HelpFormatter)


def render() -> str:
    from ftgate.schema import profile_schema

    return json.dumps(profile_schema(), indent=2, ensure_ascii=False) + "\n"


def run(args: argparse.Namespace) -> int:
    print(render(), end="")
    return EXIT_OK
