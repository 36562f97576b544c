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


def test_every_kind_of_value_reaches_the_core_as_it_reads_it() -> None:
    """The fact's JSON is written by the host: numbers json would write with an exponent, or
    as Infinity, are positional; strings are escaped; lists and booleans as JSON has them."""
    rules = [
        ("tiny", compile_condition({"fact": "savings_per_request_usd", "lt": 0.0001}, {})),
        ("huge", compile_condition({"fact": "requests_per_day", "gt": 1e15}, {})),
        ("neg", compile_condition({"fact": "requests_per_day", "lt": -1e15}, {})),
        ("odd", compile_condition({"fact": "goal", "eq": 'a "quoted" \\ é'}, {})),
        ("yes", compile_condition({"fact": "few_shot_tried", "eq": True}, {})),
        ("list", compile_condition({"fact": "symptoms", "contains": "HIGH_LATENCY"}, {})),
    ]
    host = RuleHost(rules, {"savings_per_request_usd", "requests_per_day", "goal",
                            "few_shot_tried", "symptoms"})
    cases = [
        ({"savings_per_request_usd": 2e-05}, ["tiny"]),
        ({"savings_per_request_usd": 0.002}, []),
        ({"requests_per_day": 1e16}, ["huge"]),
        ({"requests_per_day": 10**16}, ["huge"]),
        ({"requests_per_day": float("inf")}, ["huge"]),
        ({"requests_per_day": float("-inf")}, ["neg"]),
        ({"requests_per_day": 1e15}, []),
        ({"goal": 'a "quoted" \\ é'}, ["odd"]),
        ({"goal": "a"}, []),
        ({"few_shot_tried": True}, ["yes"]),
        ({"few_shot_tried": False}, []),
        ({"symptoms": ["OFF_TOPIC_ANSWERS", "HIGH_LATENCY"]}, ["list"]),
        ({"symptoms": []}, []),
    ]
    for fact, expected in cases:
        assert host.fire(fact) == expected, fact
