"""The one place the HTTP edge meets the API: each method of FineTuningAdvisorService, called
with a request message, answering the response's JSON (the proto3 JSON mapping) or raising
`Refused`.

Calls go to api/service.py's AdvisorService, as the gRPC servicer's do, so that HTTP calls take
the same decision path: validation, engine, decision cache, metrics, decision log, audit.
Evaluate and EvaluateBatch answer typed answers, written as JSON from the Decision
(assessment_json.py: no bytes parsed back); the other methods answer messages, written by
json_format. Errors (InvalidInput, the typed errors of api/errors.py, anything else) become
`Refused` with the gRPC status code the gRPC servicer would have answered
(server/grpc/status.py); the HTTP layer maps codes to HTTP statuses (errors.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
import orjson
import structlog
from google.protobuf import json_format
from google.protobuf.message import Message

from ftgate.api.errors import ServiceError
from ftgate.api.limits import CallBudget
from ftgate.api.service import AdvisorService
from ftgate.domain.profile import Profile
from ftgate.errors import InvalidInput, Violation
from ftgate.languages import DEFAULT_LANGUAGE
from ftgate.server.grpc.status import code_of
from ftgate.server.http import assessment_json

log = structlog.get_logger("ftgate")


@dataclass(frozen=True)
class Refused(Exception):
    """The call ended with gRPC status `code`; `violations` name the bad fields of a request."""

    code: grpc.StatusCode
    message: str
    violations: tuple[Violation, ...] = ()

    def __str__(self) -> str:
        return self.message


class HttpCallContext:
    """One HTTP call as the API's CallBudget sees it: its deadline, and whether it is still
    wanted (the edge clears `active` when the deadline passes or the client leaves)."""

    def __init__(self, deadline: float | None, lang: str = DEFAULT_LANGUAGE,
                 waiver_token: str | None = None,
                 validated: Sequence[Profile] | None = None) -> None:
        self.expires = None if deadline is None else time.monotonic() + deadline
        self.active = True
        self.lang = lang  # of the answer's texts (the Accept-Language header: api/language.py)
        self.waiver_token = waiver_token  # the Ftgate-Waiver-Token header (api/waivers.py)
        # The request's profiles as the input reader validated them (body.request_from_json)
        self.validated = validated

    def time_remaining(self) -> float | None:
        return None if self.expires is None else max(0.0, self.expires - time.monotonic())

    def is_active(self) -> bool:
        return self.active

    def budget(self) -> CallBudget:
        """The budget of the decision path (the deadline already holds the server's default)."""
        return CallBudget(self, None)


class Decider:
    """FineTuningAdvisorService's methods by name, for the HTTP edge."""

    def __init__(self, service: AdvisorService) -> None:
        # Evaluate and EvaluateBatch answer typed answers: their JSON is written from them.
        self._methods: dict[str, Callable[[Any, HttpCallContext], Message | bytes]] = {
            "Evaluate": lambda r, c: assessment_json.evaluate_json(
                service.evaluate(r, c.budget(), c.lang, validated=c.validated)),
            "EvaluateBatch": lambda r, c: assessment_json.batch_json(
                service.evaluate_batch(r, c.budget(), c.lang, validated=c.validated)),
            "CheckRegression": lambda r, c: service.check_regression(r),
            "ListRules": lambda r, c: service.list_rules(r),
            "GetDecision": lambda r, c: service.get_decision(r),
            "ListDecisions": lambda r, c: service.list_decisions(r),
            "RecordOutcome": lambda r, c: service.record_outcome(r),
            "GrantWaiver": lambda r, c: service.grant_waiver(r, c.waiver_token),
            "ListWaivers": lambda r, c: service.list_waivers(r),
            "RevokeWaiver": lambda r, c: service.revoke_waiver(r, c.waiver_token),
        }

    def call(self, method: str, request: Message, context: HttpCallContext) -> bytes:
        """The JSON of `method`'s response to `request`; raises Refused for every failed
        call."""
        try:
            result = self._methods[method](request, context)
            return result if isinstance(result, bytes) else message_json(result)
        except InvalidInput as exc:
            log.info("invalid_request", method=method, violations=len(exc.violations))
            raise Refused(grpc.StatusCode.INVALID_ARGUMENT, f"invalid request: {exc}",
                          tuple(exc.violations)) from None
        except ServiceError as exc:
            raise Refused(code_of(exc), exc.message) from None
        except Exception as exc:
            log.error("internal_error", method=method, exc_info=exc)
            raise Refused(grpc.StatusCode.INTERNAL, "internal error; see the server log") from exc


def message_json(message: Message) -> bytes:
    """A response message in the proto3 JSON mapping, zero values included (readers of JSON
    expect `"answer": false`, not an absent key)."""
    return orjson.dumps(json_format.MessageToDict(message,
                                                  always_print_fields_with_no_presence=True))
