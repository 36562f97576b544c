"""Prometheus series of ftgate's domain (the gRPC server series come from the interceptor)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, Info

from ftgate.domain.assessment import Assessment

DECISIONS = Counter("ftgate_decisions", "Decisions made, by verdict and tree outcome.",
                    ["verdict", "outcome"])
FINDINGS = Counter("ftgate_findings", "Findings reported, by failure mode and severity.",
                   ["failure_mode", "severity"])
EVALUATION_SECONDS = Histogram(
    "ftgate_evaluation_seconds", "Time spent evaluating one profile in the engine.",
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1),
)
RULES_LOADED = Gauge("ftgate_rules_loaded", "Rules in the active ruleset.")
RULES_RELOAD = Counter("ftgate_rules_reload", "Rule reloads, by result.", ["result"])
RULESET = Info("ftgate_ruleset", "The active ruleset.")


def record_decision(a: Assessment, seconds: float) -> None:
    EVALUATION_SECONDS.observe(seconds)
    DECISIONS.labels(a.verdict, a.outcome or "NONE").inc()
    for f in a.findings:
        FINDINGS.labels(f.failure_mode, f.severity).inc()


def record_ruleset(version: str, rule_count: int) -> None:
    RULES_LOADED.set(rule_count)
    RULESET.info({"version": version})
