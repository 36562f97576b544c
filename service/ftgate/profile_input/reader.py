"""The one input reader: a profile as any door receives it → a ProjectProfile, or every problem.

    read_profile(bytes, file)           `ftgate check`, the webhook's annotation: YAML or JSON
    read_profile_document(tree, file)   a tree already parsed (located.parse)
    read_request_profiles(data, ...)    the profiles of an HTTP request body (`project`,
                                        `projects[i]`), from JSON already decoded (a null
                                        field is unknown, as in the proto3 JSON mapping)

Every problem is found in one pass: encoding and syntax, field names, repeated keys, enum names,
kinds of values (walker.py), then the contract's own checks (ranges, enum numbers, repeated
symptoms: api/convert.py, the checks a gRPC request gets) on what could be read. A door maps the
problems to its own form; the words are the same at every door.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from ftgate.api.convert import profile_from_proto
from ftgate.domain.profile import Profile
from ftgate.errors import InvalidProfile, Violation
from ftgate.profile_input.located import (
    MAX_BYTES,
    Located,
    SourceError,
    looks_like_json,
    parse,
)
from ftgate.profile_input.problems import Problem, ProfileFile, ProfileInputError
from ftgate.profile_input.walker import Walker
from ftgate.v1 import advisor_pb2 as pb

_NOT_TEXT = "not a UTF-8 text file (a profile is YAML or JSON text; save it as UTF-8)"


def read_profile(data: bytes, file: str) -> ProfileFile:
    """Read a profile (YAML or JSON, optionally wrapped in `project:`); ProfileInputError names
    the file, the line, the field, what was expected and what was found."""
    if len(data) > MAX_BYTES:
        raise ProfileInputError([Problem(file, None, None, f"more than {MAX_BYTES:,} bytes; a "
                                                           "profile is a few kilobytes")])
    if b"\x00" in data:
        raise ProfileInputError([Problem(file, None, None, _NOT_TEXT)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ProfileInputError([Problem(file, line, None, _NOT_TEXT)]) from None
    try:
        root = parse(text, looks_like_json(file, text))
    except SourceError as exc:
        raise ProfileInputError([Problem(file, exc.line, None, exc.message)]) from None
    return read_profile_document(root, file)


def read_profile_document(root: Located | None, file: str | None) -> ProfileFile:
    """The profile of a parsed document; ProfileInputError with every problem, in file order."""
    walker = Walker(file)
    message = walker.root(root)
    read = ProfileFile(file, message, walker.lines, walker.written)
    found, validated = _contract(read, "project.")
    problems = walker.problems + found
    if problems:
        raise ProfileInputError(sorted(problems, key=lambda p: p.line or 0))
    return replace(read, validated=validated)


class RequestProfiles(NamedTuple):
    """The profiles of a request body: as messages, every problem of them, and (when there is
    none) each as the contract's checks validated it, for the service not to check again."""

    messages: list[pb.ProjectProfile]
    problems: list[Problem]
    validated: list[Profile]


def read_request_profiles(data: Mapping[str, Any], repeated: bool) -> RequestProfiles:
    """The profiles of a request decoded from JSON: `project` (EvaluateRequest) or each of
    `projects` (EvaluateBatchRequest, `repeated`), and every problem of them."""
    walker = Walker(None, null_is_unknown=True)
    checked: list[tuple[ProfileFile, str]] = []
    name = "projects" if repeated else "project"
    value = data.get(name)
    if value is None:
        return RequestProfiles([], [], [])
    node = plain_tree(value)
    if repeated and node.kind != "list":
        walker.bad(None, name, "expected a list of project profiles; found "
                   + ("a mapping" if node.kind == "map" else "a single value"))
        return RequestProfiles([], walker.problems, [])
    nodes = [(f"projects[{i}]", n) for i, n in enumerate(node.value)] if repeated \
        else [("project", node)]
    for at, item in nodes:
        message = walker.profile(item, at)
        checked.append((ProfileFile(None, message, walker.lines, walker.written), at + "."))
    problems = list(walker.problems)
    validated: list[Profile] = []
    for read, prefix in checked:
        found, profile = _contract(read, prefix)
        problems += found
        if profile is not None:
            validated.append(profile)
    return RequestProfiles([read.message for read, _ in checked], problems,
                           validated if not problems else [])


def _contract(read: ProfileFile, prefix: str) -> tuple[list[Problem], Profile | None]:
    """The contract's violations of what could be read (the gRPC door's checks), as problems
    of this input (lines and paths as written); the profile as validated when there is none."""
    try:
        return [], profile_from_proto(read.message, prefix)
    except InvalidProfile as exc:
        return [read.problem(v) for v in exc.violations], None


def plain_tree(value: Any) -> Located:
    """Decoded JSON as a tree of values without lines (an HTTP body has none to name)."""
    if isinstance(value, dict):
        return Located("map", 0, tuple((Located("scalar", 0, k), plain_tree(v))
                                       for k, v in value.items()))
    if isinstance(value, list):
        return Located("list", 0, tuple(plain_tree(v) for v in value))
    return Located("scalar", 0, value)


def as_violations(problems: Sequence[Problem]) -> list[Violation]:
    """The problems as field violations (gRPC BadRequest, the HTTP error's details)."""
    return [p.violation() for p in problems]
