"""durable-rules quirks kept behind ftgate.engine.durable_host (see its docstring)."""

from __future__ import annotations

from ftgate.engine.durable_host import RuleHost, compile_condition


def _host() -> RuleHost:
    rules = [
        ("low", compile_condition({"fact": "quality_examples", "lt": 500}, {})),
        ("cmp", compile_condition(
            {"fact": "quality_examples", "lt": {"fact": "tree_minimum_examples"}}, {})),
        ("sym", compile_condition({"fact": "symptoms", "contains": "HIGH_LATENCY"}, {})),
        ("ne", compile_condition({"fact": "goal", "ne": "KNOWLEDGE"}, {})),
    ]
    return RuleHost(rules, {"quality_examples", "tree_minimum_examples", "symptoms", "goal"})


def test_a_fact_matching_no_rule_is_handled() -> None:
    """Without the sentinel, durable raises and then crashes the process on delete_state."""
    host = _host()
    for _ in range(100):
        assert host.fire({"unrelated": 1}) == []
    assert host.fire({"quality_examples": 10}) == ["low"]


def test_each_matching_rule_fires_once_per_fact() -> None:
    host = _host()
    fired = host.fire({"quality_examples": 10, "tree_minimum_examples": 500,
                       "symptoms": ["HIGH_LATENCY", "HIGH_LATENCY"], "goal": "STYLE"})
    assert sorted(fired) == ["cmp", "low", "ne", "sym"]


def test_comparison_with_an_absent_fact_does_not_match() -> None:
    host = _host()
    assert host.fire({"quality_examples": 1000}) == []
    assert host.fire({"symptoms": []}) == []


def test_sessions_do_not_leak_between_evaluations() -> None:
    host = _host()
    assert host.fire({"quality_examples": 10}) == ["low"]
    assert host.fire({"goal": "KNOWLEDGE"}) == []
    assert host.fire({"goal": "STYLE"}) == ["ne"]


def test_two_hosts_coexist() -> None:
    a, b = _host(), _host()
    assert a.fire({"quality_examples": 10}) == b.fire({"quality_examples": 10}) == ["low"]
