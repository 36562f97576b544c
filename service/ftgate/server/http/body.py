"""Request messages from HTTP: a JSON body in the proto3 JSON mapping, or path and query
parameters. Every mistake is a `BadBody` naming it (field, and what was expected).

The profiles of Evaluate and EvaluateBatch (`project`, `projects`) are read by the one input
reader (profile_input), as `ftgate check` files and webhook annotations are: the same problems in
the same words, all of them in one answer, fields named as the client wrote them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from ftgate import bignum, describe
from ftgate.api import timestamps
from ftgate.domain.profile import Profile
from ftgate.errors import Violation
from ftgate.profile_input import read_request_profiles
from ftgate.profile_input.reader import as_violations
from ftgate.server.http.wording import described
from ftgate.v1 import advisor_pb2 as pb

JSON_TYPES = ("application/json",)
_UNKNOWN = re.compile(r'no field named "([^"]+)" at "([^"]*)"')
_AT = re.compile(r'at "?([A-Za-z_][\w.\[\]]*)"?\.*$')
_FAILED_FIELD = re.compile(r"Failed to parse (\w+) field")
_PREFIX = re.compile(r"^(Failed to parse \w+ field: )+")
_REPEATED = re.compile(r"repeated field (\w+) must be in \[\]")
# Every digit as "0": a run of 19 digits is then a run of 19 "0" (a C search; the regex
# [0-9]{19} took twice as long as orjson's whole decoding).
_AS_ZEROS = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_DIGITS = b"0" * 19


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
    return request_from_json(raw, message)[0]


def request_from_json(raw: bytes, message: Message) -> tuple[Message, list[Profile] | None]:
    """`message_from_json`, and for a request that carries profiles (Evaluate, its batch)
    each as the input reader validated it (the service does not check them again); else
    None."""
    data = _fast_json(raw)
    if data is None:
        data = _json(raw)
    if not isinstance(data, dict):
        raise BadBody(f"the body must be a JSON object ({message.DESCRIPTOR.name}), "
                      f"got {type(data).__name__}")
    profiles = _PROFILES.get(message.DESCRIPTOR.full_name)
    if profiles is None:
        return _parse(data, message), None
    return _with_profiles(data, message, *profiles)


def _fast_json(raw: bytes) -> Any:
    """The body decoded by orjson (about 2 µs for an Evaluate body, where the standard library
    and bignum take 6), or None when it may need more than orjson gives: a number of 19 digits
    or more (orjson reads an integer beyond 64 bits as a float; bignum keeps it whole), or a
    body orjson refuses (the standard library then says why, in its words, or reads what
    orjson does not: NaN, lone surrogates)."""
    if not raw or _LONG_DIGITS in raw.translate(_AS_ZEROS):
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def _json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
        return json.loads(text, parse_int=bignum.integer) if text.strip() else {}
    except UnicodeDecodeError:
        raise BadBody("the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BadBody(f"malformed JSON body: {exc.msg} at line {exc.lineno} column {exc.colno}"
                      ) from None
    except RecursionError:
        raise BadBody("malformed JSON body: nested too deeply") from None


# The requests that carry profiles: the field holding them, and whether it is repeated.
_PROFILES = {pb.EvaluateRequest.DESCRIPTOR.full_name: ("project", False),
             pb.EvaluateBatchRequest.DESCRIPTOR.full_name: ("projects", True)}


def _with_profiles(data: dict[str, Any], message: Message, field: str,
                   repeated: bool) -> tuple[Message, list[Profile]]:
    """The request, its profiles read by the one input reader and the other fields by the
    proto3 JSON mapping; every problem of both in one BadBody. With the profiles as
    validated."""
    try:
        profiles, problems, validated = read_request_profiles(data, repeated)
    except RecursionError:
        raise BadBody(f"invalid {message.DESCRIPTOR.name}: nested too deeply") from None
    violations = as_violations(problems)
    rest = {k: v for k, v in data.items() if k != field}
    if rest:  # (most bodies hold the profiles alone: the mapping has nothing to do then)
        try:
            _parse(rest, message)
        except BadBody as exc:
            violations += exc.violations
    if violations:
        raise BadBody("invalid request: " + "; ".join(f"{v.field}: {v.description}"
                                                      for v in violations),
                      violations=violations)
    target = getattr(message, field)
    if repeated:
        target.extend(profiles)
    elif profiles:
        target.CopyFrom(profiles[0])
    return message, validated


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


def _huge(value: Any, path: str) -> list[Violation]:
    """The integers too long for any field (bignum), which the JSON mapping cannot take."""
    if isinstance(value, bignum.HugeInteger):
        return [Violation(path or "body", describe.expected(
            "a number the field holds", describe.shown(value)))]
    if isinstance(value, dict):
        return [v for k, item in value.items() for v in _huge(item, f"{path}.{k}".lstrip("."))]
    if isinstance(value, list):
        return [v for i, item in enumerate(value) for v in _huge(item, f"{path}[{i}]")]
    return []


def _parse(data: dict[str, Any], message: Message) -> Message:
    huge = _huge(data, "")
    if huge:
        raise BadBody(f"invalid {message.DESCRIPTOR.name}: " + "; ".join(
            f"{v.field}: {v.description}" for v in huge), violations=huge)
    try:
        json_format.ParseDict(data, message, ignore_unknown_fields=False)
    except RecursionError:
        raise BadBody(f"invalid {message.DESCRIPTOR.name}: nested too deeply") from None
    except (json_format.ParseError, TypeError, ValueError) as exc:
        field, problem = _explain(str(exc), message.DESCRIPTOR.name)
        problem = described(message.DESCRIPTOR, field, data, problem)
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
    repeated = _REPEATED.search(line)
    if repeated:  # a list field given something else, named by the fields that hold it
        return ".".join(_snake(f) for f in _FAILED_FIELD.findall(line)), problem
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
