"""The fields of a profile, walked over a tree of located values: every problem of structure,
field name, enum name and kind of value, worded as the contract's checks word theirs.

A field is named as the client wrote it (`project.economics.requestsPerDay` in camelCase input,
`project.economics.requests_per_day` in snake_case input); `written` maps each proto path to
that spelling so the contract's own violations (proto paths) are named the same way.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import math
import re
from collections.abc import Sequence
from typing import Any

from google.protobuf.message import Message

from ftgate import bignum, describe
from ftgate.profile_input.fields import FieldSpec, by_path, fields_of
from ftgate.profile_input.located import Located
from ftgate.profile_input.problems import Problem
from ftgate.v1 import advisor_pb2 as pb

# Whole numbers written as text, as protobuf's JSON writes int64 values ("3000"); other numbers
# are written as numbers (a quoted "0.5" is refused with a hint to remove the quotes).
WHOLE_TEXT = re.compile(r"^(?:0|-?[1-9][0-9]*)$")
_INT32 = 2**31 - 1


def _found(node: Located) -> str:
    return describe.shown(node.value) if node.kind == "scalar" else \
        ("a list" if node.kind == "list" else "a mapping")


class Walker:
    """Walks profiles, collecting every problem; `lines` and `written` are by proto path
    (`project.economics.requests_per_day`, `projects[2].goal`)."""

    def __init__(self, file: str | None, null_is_unknown: bool = False) -> None:
        self.file = file
        # The proto3 JSON mapping reads a null field as absent (HTTP bodies); a file's empty
        # value is more likely a mistake, which is named.
        self.null_is_unknown = null_is_unknown
        self.problems: list[Problem] = []
        self.lines: dict[str, int] = {}
        self.written: dict[str, str] = {}

    def bad(self, line: int | None, field: str | None, description: str) -> None:
        self.problems.append(Problem(self.file, line or None, field, description))

    def root(self, root: Located | None) -> pb.ProjectProfile:
        """The profile of a file: its fields, or `project:` holding them (and `$schema`)."""
        message = pb.ProjectProfile()
        if root is None:
            self.bad(1, None, "the file is empty; expected the fields of a project profile "
                              "(`ftgate init` writes a template)")
            return message
        if root.kind != "map":
            self.bad(root.line, None, describe.expected(
                "a mapping of profile fields (name: value lines, or a JSON object)", _found(root)))
            return message
        pairs = [p for p in root.value if not self._is_schema_key(p)]
        wrapper = [p for p in pairs if p[0].value == "project"]
        if wrapper:
            key, value = wrapper[0]
            for other, _ in pairs:
                if other is not key:
                    self.bad(other.line, f"{other.value}", "next to `project:` only `$schema` "
                             "may appear; put the profile's fields under `project:`")
            return self.profile(value, "project", key.line)
        self.fields(pairs, "", "project", message)
        return message

    def profile(self, node: Located, at: str, line: int | None = None) -> pb.ProjectProfile:
        """The profile at request field `at` (`project`, `projects[2]`): a mapping of fields."""
        message = pb.ProjectProfile()
        self.lines.setdefault(at, line or node.line)
        self.written.setdefault(at, at)
        if node.kind != "map":
            self.bad(line or node.line, at, describe.expected(
                "a mapping of profile fields", _found(node)))
            return message
        self.fields(node.value, "", at, message)
        return message

    def _is_schema_key(self, pair: tuple[Located, Located]) -> bool:
        key, value = pair
        if key.value != "$schema":
            return False
        if not (value.kind == "scalar" and isinstance(value.value, str)):
            self.bad(key.line, "$schema", describe.expected("the address of a JSON Schema",
                                                            _found(value)))
        return True

    def fields(self, pairs: Sequence[tuple[Located, Located]], prefix: str, at: str,
               message: Message) -> None:
        """The fields of the message at proto path `prefix` inside the profile, written at `at`
        (the request field and the names as written: `project.promptEngineering`)."""
        specs = _specs(prefix)
        root = self._root_of(at, prefix) if prefix else at
        seen: dict[str, tuple[str, int]] = {}
        for key, value in pairs:
            if key.kind != "scalar" or not isinstance(key.value, str):
                self.bad(key.line, at, describe.expected("a field name", _found(key)))
                continue
            spec = specs.get(key.value)
            if spec is None:
                self.unknown(key, prefix, at)
                continue
            path, shown = f"{root}.{spec.path}", f"{at}.{key.value}"
            if spec.name in seen:
                first, first_line = seen[spec.name]
                again = "" if first == key.value else f" (as {first} and {key.value})"
                self.bad(key.line, shown, f"given twice{again}, on lines {first_line} and "
                                          f"{key.line}; keep one" if key.line else
                         f"given twice{again}; keep one")
                continue
            seen[spec.name] = (key.value, key.line)
            self.lines[path] = key.line
            self.written[path] = shown
            self.value(spec, key.line, value, message, root, shown)

    @staticmethod
    def _root_of(at: str, prefix: str) -> str:
        """The request field (`project`, `projects[2]`) of the message written at `at`."""
        return at.rsplit(".", prefix.count(".") + 1)[0]

    def unknown(self, key: Located, prefix: str, at: str) -> None:
        name: str = key.value
        here = fields_of(prefix)
        snake = "_" in name or name.islower()
        candidates = [s.name if snake else s.json_name for s in here]
        squashed = {c.replace("_", "").lower(): c for c in candidates}
        close = ([squashed[name.replace("_", "").replace("-", "").lower()]]
                 if name.replace("_", "").replace("-", "").lower() in squashed
                 else difflib.get_close_matches(name, candidates, n=2, cutoff=0.6))
        elsewhere = [s.path for s in by_path().values()
                     if name in (s.name, s.json_name) and s.path.rpartition(".")[0] != prefix]
        where = f" in {prefix}" if prefix else ""
        if close:
            hint = describe.did_you_mean(close)
        elif elsewhere:
            parent = elsewhere[0].rpartition(".")[0]
            hint = f"it belongs under {parent or 'the top level'}" if parent else \
                "it belongs at the top level, not under " + prefix
        else:
            hint = "the fields here are " + ", ".join(candidates)
        self.bad(key.line, f"{at}.{name}", describe.suggested(f"unknown field{where}; {hint}",
                                                               hint if close else ""))

    def value(self, spec: FieldSpec, line: int, node: Located, message: Message, root: str,
              path: str) -> None:
        if node.kind == "scalar" and node.value is None:
            if self.null_is_unknown:
                return
            self.bad(line, path, describe.expected(
                spec.expected(), "nothing (null)", "remove the line to leave it unknown"))
            return
        if spec.kind == "message":
            if node.kind != "map":
                self.bad(line, path, describe.expected(spec.expected(), _found(node)))
                return
            inner = getattr(message, spec.name)
            inner.SetInParent()
            self.fields(node.value, spec.path, path, inner)
            return
        if spec.kind == "enums":
            self.enum_list(spec, line, node, message, f"{root}.{spec.path}", path)
            return
        if node.kind != "scalar":
            self.bad(line, path, describe.expected(spec.expected(), _found(node)))
            return
        converted = self.scalar(spec, line, path, node.value)
        if converted is not _BAD:
            setattr(message, spec.name, converted)

    def enum_list(self, spec: FieldSpec, line: int, node: Located, message: Message,
                  proto: str, path: str) -> None:
        if node.kind != "list":
            hint = f"write it as a list: [{node.value}]" if node.kind == "scalar" \
                and isinstance(node.value, str) else ""
            self.bad(line, path, describe.expected(spec.expected(), _found(node), hint))
            return
        target = getattr(message, spec.name)
        for i, item in enumerate(node.value):
            item_path = f"{path}[{i}]"
            self.lines[f"{proto}[{i}]"] = item.line
            self.written[f"{proto}[{i}]"] = item_path
            if item.kind != "scalar" or item.value is None:
                self.bad(item.line, item_path, describe.expected(
                    describe.one_of(spec.allowed_names()), _found(item)))
                continue
            number = self.enum_number(spec, item.line, item_path, item.value)
            if number is not _BAD:
                target.append(number)

    def scalar(self, spec: FieldSpec, line: int, path: str, value: Any) -> Any:
        if spec.kind == "enum":
            return self.enum_number(spec, line, path, value)
        if spec.kind == "text":
            if isinstance(value, str):
                return value
            hint = "put it in quotes" if isinstance(value, int | float | datetime.date) else ""
            self.bad(line, path, describe.expected(spec.expected(), describe.shown(value), hint))
            return _BAD
        if spec.kind == "bool":
            if isinstance(value, bool):
                return value
            hint = "write true or false without quotes" if isinstance(value, str) and \
                value.strip().lower() in ("true", "false", "yes", "no") else ""
            self.bad(line, path, describe.expected(spec.expected(), describe.shown(value), hint))
            return _BAD
        number = _whole(value, spec.type_limit) if spec.kind == "whole" else _real(value)
        if number is _BAD:
            hint = "write the number without quotes" if isinstance(value, str) and \
                _looks_numeric(value) else ""
            self.bad(line, path, describe.expected(spec.expected(), describe.shown(value), hint))
        return number

    def enum_number(self, spec: FieldSpec, line: int, path: str, value: Any) -> Any:
        assert spec.enum is not None
        if isinstance(value, str) and value in spec.enum.values_by_name:
            return spec.enum.values_by_name[value].number
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _INT32:
            return value  # a number, as proto3 JSON allows; the contract checks it is known
        hint = ""
        if isinstance(value, str):
            names = spec.allowed_names()
            prefix = names[0][: len(names[0]) - len(names[0].split("_")[-1])]
            wanted = value.strip().upper().replace("-", "_").replace(" ", "_")
            exact = [n for n in names if wanted in (n, n.removeprefix(prefix))]
            hint = describe.did_you_mean(exact or difflib.get_close_matches(
                wanted, names, n=2, cutoff=0.6) or [
                    n for n in names if wanted and wanted in n][:2])
        self.bad(line, path, describe.expected(spec.expected(), describe.shown(value), hint))
        return _BAD


_BAD = object()


@functools.cache
def _specs(prefix: str) -> dict[str, FieldSpec]:
    """The fields at `prefix` by every name a client may write: lowerCamelCase and proto."""
    return {s.json_name: s for s in fields_of(prefix)} | {s.name: s for s in fields_of(prefix)}


def _whole(value: Any, limit: int) -> Any:
    if isinstance(value, bool):
        return _BAD
    if isinstance(value, str) and WHOLE_TEXT.match(value):
        value = bignum.integer(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not -limit - 1 <= value <= limit:
        return _BAD
    return value


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _real(value: Any) -> Any:
    if isinstance(value, bool):
        return _BAD
    if isinstance(value, str):
        return _BAD
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return _BAD
    return value if isinstance(value, float) else _BAD
