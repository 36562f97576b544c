"""Build request messages from what callers hand in: messages, or dicts in the proto3 JSON shape."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from typing import Any

from google.protobuf import json_format, timestamp_pb2

from ftgate_client._gen.ftgate.v1 import advisor_pb2 as pb
from ftgate_client.errors import FieldViolation, InvalidArgument, InvalidProfile

# A profile: a ProjectProfile message, or a dict such as {"taskType": "TASK_TYPE_CLASSIFICATION"}
# (lowerCamelCase or original field names, enum names or numbers, as proto3 JSON allows).
ProfileLike = pb.ProjectProfile | Mapping[str, Any]
# An outcome: a ProjectOutcome message, or a dict such as {"fineTuned": True, "metTarget": False}.
OutcomeLike = pb.ProjectOutcome | Mapping[str, Any]
# A waiver: a Waiver message, or a dict such as {"projectName": "faq", "ruleIds": [...],
# "reason": ..., "approvedBy": ..., "expiresAt": "2026-12-31T00:00:00Z"}.
WaiverLike = pb.Waiver | Mapping[str, Any]
# Task scores: {"general_qa": 0.9, ...}, or TaskScore messages / {"task": ..., "score": ...} dicts.
ScoresLike = Mapping[str, float] | Iterable[pb.TaskScore | Mapping[str, Any]]

# json_format ends its messages with "... at ProjectProfile.economics.requestsPerDay." when it can.
_PATH_AT_END = re.compile(r" at (?:[A-Za-z_][\w]*)((?:\.\w+|\[\d+\])*)\.?$")
# ... or at least starts with the top-level field: "Failed to parse qualityExamples field: ...".
_FIELD_AT_START = re.compile(r"^Failed to parse (\w+) field")
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _json_path(message: str, prefix: str) -> str:
    """The proto field path (original names) that a json_format error names, under ``prefix``."""
    match = _PATH_AT_END.search(message)
    if match and match.group(1):
        path = match.group(1)
    elif start := _FIELD_AT_START.match(message):
        path = "." + start.group(1)
    else:
        return prefix
    return prefix + _CAMEL_HUMP.sub(lambda m: "_" + m.group(1).lower(), path)


LANGUAGES = ("en", "fr")


def language(lang: str | None) -> tuple[tuple[str, str], ...]:
    """The call metadata asking for the texts in ``lang`` (none: the server's default)."""
    if lang is None:
        return ()
    if lang not in LANGUAGES:
        raise InvalidArgument(
            f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}",
            [FieldViolation("lang", f"expected one of {', '.join(LANGUAGES)}")],
            code=None,
        )
    return (("accept-language", lang),)


def profile(value: ProfileLike, field: str = "project") -> pb.ProjectProfile:
    """A ProjectProfile from a message or a proto3-JSON dict; InvalidProfile names a bad field."""
    if isinstance(value, pb.ProjectProfile):
        return value
    if not isinstance(value, Mapping):
        raise InvalidProfile(
            f"a profile is a ProjectProfile or a dict, not {type(value).__name__}",
            [FieldViolation(field, "not a ProjectProfile")],
            code=None,
        )
    try:
        return json_format.ParseDict(dict(value), pb.ProjectProfile())
    except json_format.ParseError as error:
        text = str(error)
        raise InvalidProfile(
            text, [FieldViolation(_json_path(text, field), text)], code=None
        ) from None


def task_scores(value: ScoresLike, field: str) -> list[pb.TaskScore]:
    """TaskScore messages from a {task: score} mapping or from TaskScore messages or dicts."""
    if isinstance(value, Mapping):
        items: Iterable[Any] = [{"task": task, "score": score} for task, score in value.items()]
    else:
        items = value
    scores: list[pb.TaskScore] = []
    for index, item in enumerate(items):
        where = f"{field}[{index}]"
        if isinstance(item, pb.TaskScore):
            scores.append(item)
            continue
        try:
            if not isinstance(item, Mapping):
                raise TypeError(f"a task score is a TaskScore or a dict, not {type(item).__name__}")
            scores.append(json_format.ParseDict(dict(item), pb.TaskScore()))
        except (json_format.ParseError, TypeError) as error:
            text = str(error)
            raise InvalidArgument(
                text, [FieldViolation(_json_path(text, where), text)], code=None
            ) from None
    return scores


def list_decisions(
    since: datetime.datetime | None,
    until: datetime.datetime | None,
    verdict: pb.Verdict.ValueType | str | None,
    page_size: int,
    page_token: str,
) -> pb.ListDecisionsRequest:
    """A ListDecisionsRequest; naive datetimes are taken as UTC, verdicts by value or name."""
    request = pb.ListDecisionsRequest(page_size=page_size, page_token=page_token)
    for field, when in (("since", since), ("until", until)):
        if when is not None:
            stamp = timestamp_pb2.Timestamp()
            stamp.FromDatetime(when)
            getattr(request, field).CopyFrom(stamp)
    if isinstance(verdict, str):
        try:
            request.verdict = pb.Verdict.Value(verdict)
        except ValueError:
            raise InvalidArgument(
                f"unknown verdict {verdict!r}",
                [FieldViolation("verdict", "unknown verdict")],
                code=None,
            ) from None
    elif verdict is not None:
        request.verdict = verdict
    return request


def record_outcome(decision_id: str, value: OutcomeLike) -> pb.RecordOutcomeRequest:
    """A RecordOutcomeRequest; InvalidArgument names a bad field of a dict (``outcome.…``)."""
    if isinstance(value, pb.ProjectOutcome):
        return pb.RecordOutcomeRequest(decision_id=decision_id, outcome=value)
    if not isinstance(value, Mapping):
        raise InvalidArgument(
            f"an outcome is a ProjectOutcome or a dict, not {type(value).__name__}",
            [FieldViolation("outcome", "not a ProjectOutcome")],
            code=None,
        )
    try:
        outcome = json_format.ParseDict(dict(value), pb.ProjectOutcome())
    except json_format.ParseError as error:
        text = str(error)
        raise InvalidArgument(
            text, [FieldViolation(_json_path(text, "outcome"), text)], code=None
        ) from None
    return pb.RecordOutcomeRequest(decision_id=decision_id, outcome=outcome)


def grant_waiver(value: WaiverLike) -> pb.GrantWaiverRequest:
    """A GrantWaiverRequest; InvalidArgument names a bad field of a dict (``waiver.…``)."""
    if isinstance(value, pb.Waiver):
        return pb.GrantWaiverRequest(waiver=value)
    if not isinstance(value, Mapping):
        raise InvalidArgument(
            f"a waiver is a Waiver or a dict, not {type(value).__name__}",
            [FieldViolation("waiver", "not a Waiver")],
            code=None,
        )
    try:
        waiver = json_format.ParseDict(dict(value), pb.Waiver())
    except json_format.ParseError as error:
        text = str(error)
        raise InvalidArgument(
            text, [FieldViolation(_json_path(text, "waiver"), text)], code=None
        ) from None
    return pb.GrantWaiverRequest(waiver=waiver)


def list_waivers(
    project_name: str, state: pb.WaiverState.ValueType | str | None
) -> pb.ListWaiversRequest:
    request = pb.ListWaiversRequest(project_name=project_name)
    if isinstance(state, str):
        request.state = pb.WaiverState.Value(
            state if state.startswith("WAIVER_STATE_") else f"WAIVER_STATE_{state.upper()}"
        )
    elif state is not None:
        request.state = state
    return request


def waiver_token(token: str) -> tuple[tuple[str, str], ...]:
    """The metadata that carries a waiver token (the server's --waiver-tokens)."""
    return (("ftgate-waiver-token", token),)
