"""Request messages from HTTP: a JSON body in the proto3 JSON mapping, or path and query
parameters. Every mistake is a `BadBody` naming it (field, and what was expected)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from ftgate.api import timestamps
from ftgate.errors import Violation

JSON_TYPES = ("application/json",)
_UNKNOWN = re.compile(r'no field named "([^"]+)" at "([^"]*)"')
_AT = re.compile(r'at "?([A-Za-z_][\w.\[\]]*)"?\.*$')
_FAILED_FIELD = re.compile(r"Failed to parse (\w+) field")
_PREFIX = re.compile(r"^(Failed to parse \w+ field: )+")


class BadBody(Exception):
    """The request cannot become a message; `http_status` is 400, 413 or 415."""

    def __init__(self, message: str, http_status: int = 400,
                 violations: Sequence[Violation] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.violations = tuple(violations)


def check_content_type(value: str | None) -> None:
    media = (value or "").partition(";")[0].strip().lower()
    if media not in JSON_TYPES:
        raise BadBody(f"expected Content-Type application/json, got {value or 'none'!r}", 415)


def message_from_json(raw: bytes, message: Message) -> Message:
    """Fill `message` from a JSON body; lowerCamelCase and proto field names both accepted."""
    try:
        text = raw.decode("utf-8")
        data = json.loads(text) if text.strip() else {}
    except UnicodeDecodeError:
        raise BadBody("the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BadBody(f"malformed JSON body: {exc.msg} at line {exc.lineno} column {exc.colno}"
                      ) from None
    except RecursionError:
        raise BadBody("malformed JSON body: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise BadBody(f"malformed JSON body: {exc}") from None
    if not isinstance(data, dict):
        raise BadBody(f"the body must be a JSON object ({message.DESCRIPTOR.name}), "
                      f"got {type(data).__name__}")
    return _parse(data, message)


def message_from_params(path: Mapping[str, str], query: Sequence[tuple[str, str]],
                        message: Message) -> Message:
    """Fill `message` from path parameters and query parameters (`a.b=v`; repeated: `k=1&k=2`)."""
    data: dict[str, Any] = {}
    for name, value in [*path.items(), *query]:
        _put(data, message.DESCRIPTOR, name, value)
    return _parse(data, message)


def _put(data: dict[str, Any], descriptor: Any, name: str, value: str) -> None:
    head, _, rest = name.partition(".")
    field = descriptor.fields_by_name.get(head) or descriptor.fields_by_camelcase_name.get(head)
    if field is None:
        raise BadBody(f"unknown query parameter {name!r} for {descriptor.name}",
                      violations=[Violation(name, "no such field")])
    if rest:
        if field.message_type is None or field.message_type.full_name.startswith("google."):
            raise BadBody(f"query parameter {name!r}: {head} has no fields",
                          violations=[Violation(name, "no such field")])
        _put(data.setdefault(field.name, {}), field.message_type, rest, value)
        return
    typed: Any = value
    if field.message_type is not None \
            and field.message_type.full_name == "google.protobuf.Timestamp":
        typed = _timestamp(name, value)
    if field.type == FieldDescriptor.TYPE_BOOL:
        if value.lower() not in ("true", "false"):
            raise BadBody(f"query parameter {name!r}: expected true or false, got {value!r}",
                          violations=[Violation(name, "expected true or false")])
        typed = value.lower() == "true"
    if _is_repeated(field):
        data.setdefault(field.name, []).append(typed)
    elif field.name in data:
        raise BadBody(f"query parameter {name!r} given twice",
                      violations=[Violation(name, "given twice")])
    else:
        data[field.name] = typed


def _timestamp(name: str, value: str) -> str:
    """A Timestamp query parameter, checked as RFC 3339 (offset within ±14:00) and given to
    json_format in its canonical form."""
    try:
        return timestamps.to_json(value)
    except timestamps.BadTimestamp as exc:
        raise BadBody(f"query parameter {name!r}: {exc}",
                      violations=[Violation(name, str(exc))]) from None


def _is_repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


def _parse(data: dict[str, Any], message: Message) -> Message:
    try:
        json_format.ParseDict(data, message, ignore_unknown_fields=False)
    except RecursionError:
        raise BadBody(f"invalid {message.DESCRIPTOR.name}: nested too deeply") from None
    except (json_format.ParseError, TypeError, ValueError) as exc:
        field, problem = _explain(str(exc), message.DESCRIPTOR.name)
        raise BadBody(f"invalid {message.DESCRIPTOR.name}: {field}: {problem}",
                      violations=[Violation(field, problem)]) from None
    return message


def _explain(text: str, root: str) -> tuple[str, str]:
    """The proto path (e.g. `project.economics.investment_usd`) a json_format error names, and
    the problem without json_format's nesting."""
    line = text.splitlines()[0] if text else "invalid value"
    problem = _PREFIX.sub("", line).rstrip(".")
    unknown = _UNKNOWN.search(line)
    if unknown:
        at, name = _strip_root(unknown.group(2), root), unknown.group(1)
        return (f"{at}.{name}" if at else name), f"unknown field {name!r}"
    found = _AT.search(line)
    if found:
        problem = problem[:problem.rfind(" at ")] if " at " in problem else problem
        return _snake(_strip_root(found.group(1).rstrip("."), root)) or "body", problem
    failed = _FAILED_FIELD.findall(line)
    return (".".join(_snake(f) for f in failed) or "body"), problem


def _strip_root(path: str, root: str) -> str:
    return path[len(root) + 1:] if path.startswith(root + ".") else ("" if path == root else path)


def _snake(path: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), path)
