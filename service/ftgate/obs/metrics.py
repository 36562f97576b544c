"""Prometheus series of ftgate's domain: decisions, findings, the ruleset (the gRPC server series are
in server/grpc_metrics.py)."""

from __future__ import annotations

import functools
import os
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, Info

from ftgate.domain.decision import Decision
from ftgate.obs.deferred import deferred

DECISIONS = Counter("ftgate_decisions", "Decisions made, by verdict and tree outcome.",
                    ["verdict", "outcome"])
FINDINGS = Counter("ftgate_findings", "Findings reported, by failure mode and severity.",
                   ["failure_mode", "severity"])
EVALUATION_SECONDS = Histogram(
    "ftgate_evaluation_seconds", "Time spent evaluating one profile in the engine.",
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1),
)
RULES_RELOAD = Counter("ftgate_rules_reload", "Rule reloads, by result.", ["result"])
OUTCOMES_RECORDED = Counter(
    "ftgate_outcomes_recorded", "Outcomes recorded, by the verdict of their decision and their "
    "result (met_target, missed_target, target_unknown, not_fine_tuned).", ["verdict", "result"])
# `serve --workers N` (server/workers.py) runs prometheus_client in multiprocess mode: counters and
# histograms are summed over the workers; a gauge needs a rule to combine them, and Info is not
# supported, so the ruleset version is a gauge of the same exposed name, 1 for each version a
# live worker serves (two series during a reload, as with two pods).
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
RULES_LOADED = Gauge("ftgate_rules_loaded", "Rules in the active ruleset.",
                     multiprocess_mode="livemax")
RULESET: Info | None = None if MULTIPROCESS else Info("ftgate_ruleset", "The active ruleset.")
RULESET_VERSION = (Gauge("ftgate_ruleset_info", "The active ruleset.", ["version"],
                         multiprocess_mode="livemax") if MULTIPROCESS else None)
_served_version: list[str] = []
# Waivers (api/waiver_book.py): set each time a server reads them from the store (at least every
# 5 s while it decides). The nearest expiry is a timestamp, not a countdown, so that it stays
# right between reads: seconds left = the gauge - time() (alert FtgateWaiverExpiringSoon).
WAIVERS_ACTIVE = Gauge("ftgate_waivers_active", "Waivers neither expired nor revoked, at the "
                       "last read of the store.", multiprocess_mode="livemax")
WAIVER_NEXT_EXPIRY = Gauge(
    "ftgate_waiver_next_expiry_timestamp_seconds", "When the active waiver nearest to its end "
    "expires, in seconds since the Unix epoch (0: no active waiver).", multiprocess_mode="livemax")
WAIVED_DECISIONS = Counter("ftgate_waived_decisions", "Decisions in which a waiver kept a "
                           "BLOCKER finding from blocking, by rule.", ["rule_id"])


# Labelled children resolved once, by short names (a label look-up per call costs more than the
# increment).
@functools.cache
def _decisions(verdict: str, outcome: str | None) -> Any:
    return deferred(DECISIONS.labels(verdict, outcome or "NONE"))


@functools.cache
def _findings(failure_mode: str, severity: str) -> Any:
    return deferred(FINDINGS.labels(failure_mode, severity))


@functools.cache
def _waived(rule_id: str) -> Any:
    return deferred(WAIVED_DECISIONS.labels(rule_id))


def record_waivers(active: int, next_expiry_us: int | None) -> None:
    """The waivers in force at a read of the store: how many, and the nearest expiry."""
    WAIVERS_ACTIVE.set(active)
    WAIVER_NEXT_EXPIRY.set(0 if next_expiry_us is None else next_expiry_us / 1e6)


def count_decision(decision: Decision, seconds: float | None) -> None:
    """Count a decision, its verdict and outcome and each finding; `seconds` the engine took
    (None for an answer from the decision cache: the engine did not run)."""
    if seconds is not None:
        EVALUATION_SECONDS.observe(seconds)
    _decisions(decision.verdict, decision.outcome).inc()
    for f in decision.findings:
        _findings(f.failure_mode, f.severity).inc()
        if f.waiver_id:
            _waived(f.rule_id).inc()


def record_ruleset(version: str, rule_count: int) -> None:
    RULES_LOADED.set(rule_count)
    if RULESET is not None:
        RULESET.info({"version": version})
    if RULESET_VERSION is not None:
        for old in _served_version:
            RULESET_VERSION.labels(old).set(0)
        RULESET_VERSION.labels(version).set(1)
        _served_version[:] = [version]
