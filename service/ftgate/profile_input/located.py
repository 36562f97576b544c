"""YAML or JSON text → a tree of values that remember their line, or a SourceError with one.

PyYAML's composer keeps the position of every node (and every key, duplicates included); a small
JSON reader does the same for JSON, after `json.loads` has judged the syntax (its messages name
line and column). Both give the same tree, so one walker checks fields whatever the format.
"""

from __future__ import annotations

import bisect
import json
import json.decoder
import json.scanner
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import yaml

from ftgate import bignum

# The string reader of the json module (typeshed does not declare it).
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
# The largest profile file read (a real one is a few kilobytes).
MAX_BYTES = 1024 * 1024
# Generous for any profile (a few dozen values); it stops alias bombs and absurd nesting.
MAX_VALUES = 10_000
MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class Located:
    """A value and the line (1-based) it starts on. `value` is the Python value of a scalar,
    a tuple of Located for a list, a tuple of (key, value) pairs for a mapping (in file order,
    repeated keys kept)."""

    kind: Literal["scalar", "list", "map"]
    line: int
    value: Any


class SourceError(Exception):
    """The text is not valid YAML/JSON; `line` is where the reader stopped (None: unknown)."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


class _Loader(yaml.SafeLoader):
    """SafeLoader reading `1e5` as a number, as YAML 1.2 and JSON do (YAML 1.1 needs a dot),
    and integers of any length without Python's limit on converting digits (bignum)."""


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | bignum.HugeInteger:
    text = str(loader.construct_scalar(node)).replace("_", "")
    body = text.lstrip("+-")
    if body[:2] in ("0x", "0b") or ":" in body or (body[:1] == "0" and len(body) > 1):
        try:  # YAML 1.1 hexadecimal, binary, octal, base 60: powers of two or small parts
            return bignum.bounded(loader.construct_yaml_int(node))
        except ValueError:  # a base-60 part too long to convert: named by the digits written
            return bignum.HugeInteger(text.startswith("-"), sum(c.isdigit() for c in body))
    return bignum.integer(text)



# A copy: add_implicit_resolver would otherwise change SafeLoader for every other user.
_Loader.yaml_implicit_resolvers = {k: list(v) for k, v in
                                   yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_VALUES

    def spend(self, line: int, depth: int) -> None:
        self.left -= 1
        if self.left < 0:
            raise SourceError(line, f"more than {MAX_VALUES:,} values (a profile has a few dozen)")
        if depth > MAX_DEPTH:
            raise SourceError(line, f"nested more than {MAX_DEPTH} levels deep")


def parse(text: str, is_json: bool) -> Located | None:
    """The tree of `text` (None for an empty document); SourceError when it is not valid."""
    return _parse_json(text) if is_json else _parse_yaml(text)


def looks_like_json(name: str, text: str) -> bool:
    return name.lower().endswith(".json") or text.lstrip()[:1] in ("{", "[")


def _parse_yaml(text: str) -> Located | None:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _from_node(loader, node, _Budget(), 0)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise SourceError(mark.line + 1 if mark else None, _yaml_message(exc)) from None
    except yaml.YAMLError as exc:
        raise SourceError(None, f"not valid YAML: {exc}") from None
    except RecursionError:  # PyYAML's composer recurses once per level
        raise SourceError(None, f"nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "not valid YAML"
    if "'\\t'" in problem or "\t" in problem:
        return ("a tab character: YAML indents with spaces only; replace the tab with spaces")
    context = f" ({exc.context}{', line ' + str(exc.context_mark.line + 1) if exc.context_mark else ''})" \
        if exc.context else ""
    column = f", column {exc.problem_mark.column + 1}" if exc.problem_mark else ""
    return f"not valid YAML{column}: {problem}{context}"


def _from_node(loader: _Loader, node: yaml.Node, budget: _Budget, depth: int) -> Located:
    line = node.start_mark.line + 1
    budget.spend(line, depth)
    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            if key.tag == "tag:yaml.org,2002:merge":
                raise SourceError(key.start_mark.line + 1, "a YAML merge key (<<): a profile "
                                  "writes its fields out, one per line")
        return Located("map", line, tuple(
            (_from_node(loader, k, budget, depth + 1), _from_node(loader, v, budget, depth + 1))
            for k, v in node.value))
    if isinstance(node, yaml.SequenceNode):
        return Located("list", line, tuple(_from_node(loader, v, budget, depth + 1)
                                           for v in node.value))
    return Located("scalar", line, loader.construct_object(node, deep=True))


def _unconverted(text: str) -> int:
    return 0


def _parse_json(text: str) -> Located | None:
    if not text.strip():
        return None
    try:
        json.loads(text, parse_int=_unconverted)  # the syntax only; numbers are read below
    except json.JSONDecodeError as exc:
        raise SourceError(exc.lineno, f"not valid JSON, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise SourceError(None, f"nested more than {MAX_DEPTH} levels deep") from None
    return _JsonReader(text).read()


class _JsonReader:
    """A reader of JSON already known to be valid, keeping each value's line."""

    _SPACE = re.compile(r"[ \t\n\r]*")
    _CONSTANTS: ClassVar[dict[str, Any]] = {"true": True, "false": False, "null": None,
                                  "NaN": float("nan"), "Infinity": float("inf"),
                                  "-Infinity": float("-inf")}

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.budget = _Budget()

    def line(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos)

    def skip(self, pos: int) -> int:
        match = self._SPACE.match(self.text, pos)
        return match.end() if match else pos

    def read(self) -> Located:
        value, _ = self.value(self.skip(0), 0)
        return value

    def value(self, pos: int, depth: int) -> tuple[Located, int]:
        text, line = self.text, self.line(pos)
        self.budget.spend(line, depth)
        char = text[pos]
        if char == "{":
            pairs: list[tuple[Located, Located]] = []
            pos = self.skip(pos + 1)
            while text[pos] != "}":
                key_line = self.line(pos)
                name, pos = _scanstring(text, pos + 1)
                key = Located("scalar", key_line, name)
                pos = self.skip(self.skip(pos) + 1)  # the colon
                item, pos = self.value(pos, depth + 1)
                pairs.append((key, item))
                pos = self.skip(pos)
                if text[pos] == ",":
                    pos = self.skip(pos + 1)
            return Located("map", line, tuple(pairs)), pos + 1
        if char == "[":
            items: list[Located] = []
            pos = self.skip(pos + 1)
            while text[pos] != "]":
                item, pos = self.value(pos, depth + 1)
                items.append(item)
                pos = self.skip(pos)
                if text[pos] == ",":
                    pos = self.skip(pos + 1)
            return Located("list", line, tuple(items)), pos + 1
        if char == '"':
            string, end = _scanstring(text, pos + 1)
            return Located("scalar", line, string), end
        for word, constant in self._CONSTANTS.items():
            if text.startswith(word, pos):
                return Located("scalar", line, constant), pos + len(word)
        match = json.scanner.NUMBER_RE.match(text, pos)
        assert match is not None, "json.loads accepted it"
        integer, fraction, exponent = match.groups()
        number = float(integer + (fraction or "") + (exponent or "")) if fraction or exponent \
            else bignum.integer(integer)
        return Located("scalar", line, number), match.end()
