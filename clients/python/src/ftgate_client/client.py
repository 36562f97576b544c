"""Client: the blocking ftgate client."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TypeVar

import grpc
from grpc_health.v1 import health_pb2

from ftgate_client import _channel, _requests
from ftgate_client._gen.ftgate.v1 import advisor_pb2 as pb
from ftgate_client._gen.ftgate.v1 import advisor_pb2_grpc
from ftgate_client.errors import from_rpc_error

_Response = TypeVar("_Response")


class Client:
    """A connection to an ftgate server; use it as a context manager (or call close()).

    ``timeout`` is the deadline of each call in seconds (retries included); ``tls`` is False,
    True (system roots) or grpc.ChannelCredentials; ``token`` is sent as a bearer token.
    """

    def __init__(
        self,
        address: str,
        *,
        timeout: float = _channel.DEFAULT_TIMEOUT,
        tls: _channel.TlsLike = False,
        token: str | None = None,
    ) -> None:
        self.address = address
        self.timeout = _channel.check_timeout(timeout)
        self._metadata = _channel.call_metadata(token)
        creds = _channel.credentials(tls)
        options = _channel.channel_options()
        self._channel = (
            grpc.secure_channel(address, creds, options=options)
            if creds is not None
            else grpc.insecure_channel(address, options=options)
        )
        self._stub = advisor_pb2_grpc.FineTuningAdvisorServiceStub(self._channel)
        self._health_check = self._channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the channel; calls in flight are cancelled."""
        self._channel.close()

    def _call(
        self,
        method: str,
        rpc: Callable[..., _Response],
        request: object,
        timeout: float | None,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> _Response:
        try:
            return rpc(
                request,
                timeout=self.timeout if timeout is None else _channel.check_timeout(timeout),
                metadata=[*self._metadata, *extra],
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error, method) from None

    def evaluate(
        self,
        profile: _requests.ProfileLike,
        *,
        timeout: float | None = None,
        explain: bool = False,
        lang: str | None = None,
    ) -> pb.Assessment:
        """Evaluate one project profile (a ProjectProfile or a proto3-JSON dict).

        ``explain`` asks for the counterfactuals (what would make the verdict FINE_TUNE) and, for
        NEEDS_INFORMATION, what each missing field's values lead to; ``lang`` ("en", "fr") is the
        language of the texts (sent as ``accept-language``).
        """
        request = pb.EvaluateRequest(project=_requests.profile(profile), explain=explain)
        return self._call(
            "Evaluate", self._stub.Evaluate, request, timeout, _requests.language(lang)
        ).assessment

    def evaluate_batch(
        self,
        profiles: Iterable[_requests.ProfileLike],
        *,
        timeout: float | None = None,
        explain: bool = False,
        lang: str | None = None,
    ) -> list[pb.Assessment]:
        """Evaluate several profiles in one call; the assessments come in the same order
        (``explain`` and ``lang`` as for evaluate)."""
        projects = [_requests.profile(p, f"projects[{i}]") for i, p in enumerate(profiles)]
        request = pb.EvaluateBatchRequest(projects=projects, explain=explain)
        return list(
            self._call(
                "EvaluateBatch",
                self._stub.EvaluateBatch,
                request,
                timeout,
                _requests.language(lang),
            ).assessments
        )

    def check_regression(
        self,
        baseline: _requests.ScoresLike,
        candidate: _requests.ScoresLike,
        tolerance: float | None = None,
        *,
        timeout: float | None = None,
    ) -> pb.CheckRegressionResponse:
        """Compare candidate task scores with the baseline ({task: score} or TaskScore lists)."""
        request = pb.CheckRegressionRequest(
            baseline=_requests.task_scores(baseline, "baseline"),
            candidate=_requests.task_scores(candidate, "candidate"),
            tolerance=tolerance,
        )
        return self._call("CheckRegression", self._stub.CheckRegression, request, timeout)

    def list_rules(self, *, timeout: float | None = None) -> pb.ListRulesResponse:
        """The rules, thresholds and ruleset version loaded in the server."""
        return self._call("ListRules", self._stub.ListRules, pb.ListRulesRequest(), timeout)

    def get_decision(self, decision_id: str, *, timeout: float | None = None) -> pb.DecisionRecord:
        """One decision of the audit log (NotFound, or FailedPrecondition: no audit log)."""
        request = pb.GetDecisionRequest(decision_id=decision_id)
        return (self._call("GetDecision", self._stub.GetDecision, request, timeout)).decision

    def list_decisions(
        self,
        *,
        since: datetime.datetime | None = None,
        until: datetime.datetime | None = None,
        verdict: pb.Verdict.ValueType | str | None = None,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> pb.ListDecisionsResponse:
        """One page of the audit log, newest first; pass next_page_token back for the next."""
        request = _requests.list_decisions(since, until, verdict, page_size, page_token)
        return self._call("ListDecisions", self._stub.ListDecisions, request, timeout)

    def record_outcome(
        self,
        decision_id: str,
        outcome: _requests.OutcomeLike,
        *,
        timeout: float | None = None,
    ) -> pb.RecordOutcomeResponse:
        """Record what became of the project of a decision (a ProjectOutcome or a proto3-JSON
        dict such as {"fineTuned": True, "metTarget": False}); a later outcome replaces it in
        reports. NotFound for an unknown decision, InvalidArgument naming a bad figure."""
        request = _requests.record_outcome(decision_id, outcome)
        return self._call("RecordOutcome", self._stub.RecordOutcome, request, timeout)

    def grant_waiver(
        self,
        waiver: _requests.WaiverLike,
        *,
        waiver_token: str,
        timeout: float | None = None,
    ) -> pb.Waiver:
        """Grant a waiver (a Waiver or a proto3-JSON dict): the BLOCKER rules it names stop
        blocking its project until it expires. PermissionDenied without a token of the server's
        --waiver-tokens, InvalidArgument naming a bad field (``waiver.rule_ids[0]``...)."""
        request = _requests.grant_waiver(waiver)
        extra = _requests.waiver_token(waiver_token)
        return (self._call("GrantWaiver", self._stub.GrantWaiver, request, timeout, extra)).waiver

    def list_waivers(
        self,
        *,
        project_name: str = "",
        state: pb.WaiverState.ValueType | str | None = None,
        timeout: float | None = None,
    ) -> list[pb.Waiver]:
        """Waivers, newest first: of one project, in one state ("active", "expired",
        "revoked"), or all."""
        request = _requests.list_waivers(project_name, state)
        return list((self._call("ListWaivers", self._stub.ListWaivers, request, timeout)).waivers)

    def revoke_waiver(
        self, waiver_id: str, *, waiver_token: str, timeout: float | None = None
    ) -> pb.Waiver:
        """Revoke a waiver now (NotFound for an unknown id); the waiver as stored."""
        request = pb.RevokeWaiverRequest(waiver_id=waiver_id)
        extra = _requests.waiver_token(waiver_token)
        return (self._call("RevokeWaiver", self._stub.RevokeWaiver, request, timeout, extra)).waiver

    def health(
        self, service: str = "", *, timeout: float | None = None
    ) -> health_pb2.HealthCheckResponse:
        """The grpc.health.v1 status of the server ("") or of one service."""
        request = health_pb2.HealthCheckRequest(service=service)
        return self._call("Health.Check", self._health_check, request, timeout)


__all__ = ["Client"]
