"""The commented profile template `ftgate init` writes: every field, its meaning, unit and range.

The words come from the proto comments and the contract's ranges (profile_input.fields); the
values from an example profile when one is given, else each field is left commented out
(unknown) with a sample value to start from.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from google.protobuf import json_format

from ftgate.profile_input.fields import FieldSpec, fields_of
from ftgate.v1 import advisor_pb2 as pb

SCHEMA_FILE = "ftgate-profile.schema.json"
_WIDTH = 98
_SAMPLES: dict[str, Any] = {"text": "my-project", "bool": False, "whole": 0, "number": 0}


def render_template(example: pb.ProjectProfile | None = None, title: str = "") -> str:
    """A YAML profile with a comment before each field; fields of `example` are filled in,
    the others commented out (unknown)."""
    values = json_format.MessageToDict(example) if example is not None else {}
    lines = [f"# yaml-language-server: $schema={SCHEMA_FILE}",
             f"# ftgate project profile{': ' + title if title else ''}.",
             "# Every field may stay unknown (commented out): the decision tree then stops with",
             "# NEEDS_INFORMATION at the first step that needs it, and names what is missing.",
             "# Check it:  ftgate check FILE      Editor validation: ftgate schema > "
             f"{SCHEMA_FILE}",
             ""]
    if example is None:
        values = {"name": "my-project"}
    lines += _fields("", values, indent="")
    return "\n".join(lines) + "\n"


def _fields(prefix: str, values: dict[str, Any] | None, indent: str) -> list[str]:
    """The lines of the fields at `prefix`; `values` None: a block of samples (the caller
    comments it out as a whole, so that uncommenting it gives valid YAML)."""
    lines: list[str] = []
    for spec in fields_of(prefix):
        lines += _comment(spec, indent)
        given = values is None or spec.json_name in values
        if spec.kind == "message":
            head = f"{indent}{spec.json_name}:"
            if values is not None and spec.json_name in values:
                lines += [head, *_fields(spec.path, values[spec.json_name], indent + "  ")]
            else:  # unknown: one block to uncomment
                block = [head, *_fields(spec.path, None, indent + "  ")]
                lines += block if values is None else [_commented(b) for b in block]
            continue
        value = values[spec.json_name] if values is not None and given else _sample(spec)
        line = f"{indent}{spec.json_name}: {_yaml(value)}"
        lines.append(line if given else _commented(line))
    return lines


def _comment(spec: FieldSpec, indent: str) -> list[str]:
    text = f"{spec.meaning()} Expected: {spec.expected(unit=True)}."
    return textwrap.wrap(text, width=_WIDTH - len(indent), initial_indent=f"{indent}# ",
                         subsequent_indent=f"{indent}#   ")


def _commented(line: str) -> str:
    return "# " + line


def _sample(spec: FieldSpec) -> Any:
    if spec.kind == "enum":
        return spec.allowed_names()[0]
    if spec.kind == "enums":
        return [spec.allowed_names()[0]]
    return _SAMPLES[spec.kind]


def _yaml(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.isidentifier() and value.isupper():
        return value  # an enum name
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return value  # an int64, which protobuf's JSON writes as text
    return json.dumps(value, ensure_ascii=False)
