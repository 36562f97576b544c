"""The one place the HTTP edge meets the API: each method of FineTuningAdvisorService, called
with a request message, answering a response message or raising `Refused`.

Calls go to api/service.py's AdvisorService, as the gRPC servicer's do, so that HTTP calls take
the same decision path: validation, engine, decision cache, metrics, decision log, audit. Its
errors (InvalidInput, StatusError, anything else) become `Refused` with the gRPC status code the
gRPC servicer would have answered; the HTTP layer maps codes to HTTP statuses (errors.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import structlog
from google.protobuf.message import Message

from ftgate.api.limits import CallBudget
from ftgate.api.service import AdvisorService
from ftgate.api.status import StatusError
from ftgate.errors import InvalidInput, Violation
from ftgate.languages import DEFAULT_LANGUAGE
from ftgate.v1 import advisor_pb2 as pb

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
                 waiver_token: str | None = None) -> None:
        self.expires = None if deadline is None else time.monotonic() + deadline
        self.active = True
        self.lang = lang  # of the answer's texts (the Accept-Language header: api/language.py)
        self.waiver_token = waiver_token  # the Ftgate-Waiver-Token header (api/waivers.py)

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
        # Evaluate and EvaluateBatch answer serialized responses (the gRPC path sends bytes).
        self._methods: dict[str, Callable[[Any, HttpCallContext], Message]] = {
            "Evaluate": lambda r, c: pb.EvaluateResponse.FromString(
                service.evaluate(r, c.budget(), c.lang)),
            "EvaluateBatch": lambda r, c: pb.EvaluateBatchResponse.FromString(
                service.evaluate_batch(r, c.budget(), c.lang)),
            "CheckRegression": lambda r, c: service.check_regression(r),
            "ListRules": lambda r, c: service.list_rules(r),
            "GetDecision": lambda r, c: service.get_decision(r),
            "ListDecisions": lambda r, c: service.list_decisions(r),
            "RecordOutcome": lambda r, c: service.record_outcome(r),
            "GrantWaiver": lambda r, c: service.grant_waiver(r, c.waiver_token),
            "ListWaivers": lambda r, c: service.list_waivers(r),
            "RevokeWaiver": lambda r, c: service.revoke_waiver(r, c.waiver_token),
        }

    def call(self, method: str, request: Message, context: HttpCallContext) -> Message:
        """The response of `method` to `request`; raises Refused for every failed call."""
        try:
            return self._methods[method](request, context)
        except InvalidInput as exc:
            log.info("invalid_request", method=method, violations=len(exc.violations))
            raise Refused(grpc.StatusCode.INVALID_ARGUMENT, f"invalid request: {exc}",
                          tuple(exc.violations)) from None
        except StatusError as exc:
            raise Refused(exc.code, exc.message) from None
        except Exception as exc:
            log.error("internal_error", method=method, exc_info=exc)
            raise Refused(grpc.StatusCode.INTERNAL, "internal error; see the server log") from exc
