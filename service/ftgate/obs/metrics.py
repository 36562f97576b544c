"""Prometheus series of ftgate's domain (the gRPC server series come from the interceptor)."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, Info

from ftgate.enums import short_name
from ftgate.obs.deferred import deferred
from ftgate.v1 import advisor_pb2 as pb

DECISIONS = Counter("ftgate_decisions", "Decisions made, by verdict and tree outcome.",
                    ["verdict", "outcome"])
FINDINGS = Counter("ftgate_findings", "Findings reported, by failure mode and severity.",
                   ["failure_mode", "severity"])
EVALUATION_SECONDS = Histogram(
    "ftgate_evaluation_seconds", "Time spent evaluating one profile in the engine.",
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1),
)
RULES_RELOAD = Counter("ftgate_rules_reload", "Rule reloads, by result.", ["result"])
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


# Labelled children resolved once, by enum numbers (a label look-up per call costs more than the
# increment).
@functools.cache
def _decisions(verdict: int, outcome: int) -> Any:
    return deferred(DECISIONS.labels(short_name(pb.Verdict, verdict),
                                     short_name(pb.Outcome, outcome) if outcome else "NONE"))


@functools.cache
def _findings(failure_mode: int, severity: int) -> Any:
    return deferred(FINDINGS.labels(short_name(pb.FailureMode, failure_mode),
                                    short_name(pb.Severity, severity)))


def record_decision(counters: tuple[Any, ...], seconds: float) -> None:
    """A decision the engine made in `seconds`; `counters` are its counters_of()."""
    EVALUATION_SECONDS.observe(seconds)
    count(counters)


def counters_of(a: pb.Assessment) -> tuple[Any, ...]:
    """The counters one decision like `a` moves: its verdict and outcome, each finding."""
    return counters_for(a.verdict, a.outcome, [(f.failure_mode, f.severity) for f in a.findings])


def counters_for(verdict: int, outcome: int,
                 findings: Iterable[tuple[int, int]]) -> tuple[Any, ...]:
    """counters_of() an answer with this verdict, outcome and findings' (failure mode,
    severity), known without the message (engine.assemble.Encoded)."""
    return (_decisions(verdict, outcome), *(_findings(*kind) for kind in findings))


def count(counters: tuple[Any, ...]) -> None:
    """Count a decision (one from the decision cache is counted, not timed: the engine did not
    run)."""
    for counter in counters:
        counter.inc()


def record_ruleset(version: str, rule_count: int) -> None:
    RULES_LOADED.set(rule_count)
    if RULESET is not None:
        RULESET.info({"version": version})
    if RULESET_VERSION is not None:
        for old in _served_version:
            RULESET_VERSION.labels(old).set(0)
        RULESET_VERSION.labels(version).set(1)
        _served_version[:] = [version]
