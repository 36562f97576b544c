"""The same policy in other rules engines, in process, side by side with ftgate's.

ftgate's rule files are translated, condition by condition, into what two well-kept rules
engines read, and every engine is given the same facts (those of never-seen random profiles,
`ftgate.randomprofiles`) and asked which rules match:

- **durable-rules** — ftgate's engine as the server runs it (`RuleHost.fire`: the fact written as
  JSON, asserted, matched by the Rete network, retracted);
- **Python closures** — the conditions compiled to Python closures (`engine/matching.py`, what
  the counterfactual search uses): the floor of a rules engine written in Python;
- **rule-engine** (`rule_engine`, pure Python) — one `Rule` per condition, each an expression
  of its language, compiled once;
- **ZEN** (`zen-engine`, a Rust core) — one decision table of the policy's rules (hit policy
  `collect`: every matching row), evaluated in one call per fact; and, beside it, one compiled
  ZEN expression per rule.

Every engine must name the same rules as durable-rules on every fact (the run stops otherwise;
tests/test_engines_bench.py holds the translations to it): the figures compare like with like.
One exception is counted, not hidden: ZEN's numbers are decimals of 15 or 16 significant
digits, so a figure a hair from a threshold (9999.999999999998 against 10,000) can be read as
the threshold itself and answered otherwise (`facts_zen_reads_otherwise`; none among random
profiles, 35 of the 198 boundary cases).
The other engines read the fact as ftgate's matcher does (`RuleMatcher.values`: a derived figure
whose double is rounded is given the double that compares as its decimal does), after which a
comparison of doubles means the same in every engine; a fact that is absent matches no
comparison (the translations test that it is present first).

    .venv/bin/python bench/engines.py [--count N] [--seed S] [--rounds R]

CPU time (time.process_time_ns) per fact, the least of the rounds, median and p99; in each
round every engine runs over all the facts in turn.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from ftgate.engine import Engine
from ftgate.engine.engine import facts_read
from ftgate.engine.facts import build_fact
from ftgate.engine.matching import RuleMatcher
from ftgate.randomprofiles import valid_profiles
from ftgate.ruleset import RuleSet
from ftgate.ruleset.model import Condition

_OPERATORS = {"eq": "==", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def _literal(value: Any) -> str:
    """A value as both expression languages write it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    raise ValueError(f"no literal for {value!r}")


def expression(cond: Condition, thresholds: dict[str, Any], contains: str) -> str:
    """`cond` as a boolean expression of rule-engine's and ZEN's languages (the same text in
    both, but for list membership: `contains` is the template of `X in list`, with {item} and
    {name})."""
    if "all" in cond:
        return "(" + " and ".join(expression(c, thresholds, contains) for c in cond["all"]) + ")"
    if "any" in cond:
        return "(" + " or ".join(expression(c, thresholds, contains) for c in cond["any"]) + ")"
    name: str = cond["fact"]
    (op, value), = ((k, v) for k, v in cond.items() if k != "fact")
    present = f"{name} != null"
    if op == "in":
        return "(" + " or ".join(f"{name} == {_literal(v)}" for v in value) + ")"
    if op == "contains":
        return f"({present} and {contains.format(item=_literal(value), name=name)})"
    if isinstance(value, dict) and "fact" in value:
        other = value["fact"]
        return f"({present} and {other} != null and {name} {_OPERATORS[op]} {other})"
    bound = thresholds[value["threshold"]] if isinstance(value, dict) else value
    return f"({present} and {name} {_OPERATORS[op]} {_literal(bound)})"


class RuleEngineMatcher:
    """The policy in rule-engine: one compiled Rule per condition."""

    def __init__(self, ruleset: RuleSet) -> None:
        import rule_engine
        context = rule_engine.Context(default_value=None)
        self.rules = [(r.id, rule_engine.Rule(expression(r.when, ruleset.thresholds,
                                                         "{item} in {name}"), context=context))
                      for r in ruleset.rules]

    def fire(self, values: dict[str, Any]) -> list[str]:
        return [rule_id for rule_id, rule in self.rules if rule.matches(values)]


class ZenExpressions:
    """The policy as compiled ZEN expressions, one per rule."""

    def __init__(self, ruleset: RuleSet) -> None:
        import zen
        self.names = facts_read(ruleset.rules)
        self.rules = [(r.id, zen.compile_expression(expression(
            r.when, ruleset.thresholds, "contains({name}, {item})"))) for r in ruleset.rules]

    def fire(self, values: dict[str, Any]) -> list[str]:
        context = {name: values.get(name) for name in self.names}
        return [rule_id for rule_id, rule in self.rules if rule.evaluate(context) is True]


class ZenTable:
    """The policy as one ZEN decision table, a row per rule (hit policy `collect`): one call
    a fact."""

    def __init__(self, ruleset: RuleSet) -> None:
        import zen
        self.names = facts_read(ruleset.rules)
        rows = [{"_id": f"row{i}", "when": expression(r.when, ruleset.thresholds,
                                                      "contains({name}, {item})"),
                 "rule": _literal(r.id)} for i, r in enumerate(ruleset.rules)]
        table = {
            "contentType": "application/vnd.gorules.decision",
            "nodes": [
                {"id": "request", "type": "inputNode", "name": "Request",
                 "position": {"x": 0, "y": 0}},
                {"id": "rules", "type": "decisionTableNode", "name": "Rules",
                 "position": {"x": 200, "y": 0},
                 "content": {"hitPolicy": "collect",
                             "inputs": [{"id": "when", "name": "When", "type": "expression"}],
                             "outputs": [{"id": "rule", "name": "Rule", "type": "expression",
                                          "field": "rule"}],
                             "rules": rows}},
                {"id": "response", "type": "outputNode", "name": "Response",
                 "position": {"x": 400, "y": 0}},
            ],
            "edges": [{"id": "e1", "sourceId": "request", "targetId": "rules", "type": "edge"},
                      {"id": "e2", "sourceId": "rules", "targetId": "response", "type": "edge"}],
        }
        self.decision = zen.ZenEngine().create_decision(json.dumps(table))

    def fire(self, values: dict[str, Any]) -> list[str]:
        context = {name: values.get(name) for name in self.names}
        result = self.decision.evaluate(context)["result"]
        return [row["rule"] for row in result]


def facts(engine: Engine, count: int, seed: int) -> list[dict[str, Any]]:
    """The facts of `count` never-seen random profiles."""
    return [build_fact(p, engine.ruleset.thresholds) for p in valid_profiles(count, seed)]


Fire = Callable[[dict[str, Any]], list[str]]


Values = Callable[[Any], dict[str, Any]]  # a fact → the values the other engines read


def engines(engine: Engine) -> tuple[dict[str, Fire], Values]:
    """Each engine's `fire` of a fact, keyed by its name (the others than durable-rules read
    the matcher's values of the fact); and that reading of a fact."""
    policy = engine.policy
    ruleset = engine.ruleset
    matcher = RuleMatcher([(r.id, r.when) for r in ruleset.rules], ruleset.thresholds)
    others = {"Python closures": matcher.fire_values,
              "rule-engine": RuleEngineMatcher(ruleset).fire,
              "ZEN, one decision table": ZenTable(ruleset).fire,
              "ZEN, an expression per rule": ZenExpressions(ruleset).fire}
    out: dict[str, Fire] = {"durable-rules": policy.host.fire}
    for name, fire in others.items():
        out[name] = (lambda f, fire=fire: fire(matcher.values(f)))  # type: ignore[misc]
    return out, matcher.values


def zen_reads_otherwise(values: dict[str, Any]) -> bool:
    """Whether ZEN reads one of these numbers as another: its numbers are decimals of 15 or 16
    significant digits, and a double such as 9999.999999999998 (a figure a hair below a
    threshold of 10,000) is read as the threshold itself."""
    import zen
    return any(type(v) is float and float(zen.evaluate_expression("x", {"x": v})) != v
               for v in values.values())


def disagreements(engine: Engine, fact_list: list[dict[str, Any]],
                  side_by_side: tuple[dict[str, Fire], Values] | None = None,
                  ) -> tuple[list[str], list[int]]:
    """Where an engine names other rules than durable-rules (none expected); and the facts on
    which ZEN does because it reads one of their numbers as another (zen_reads_otherwise).
    `side_by_side`: what `engines(engine)` gave, when already made."""
    found = []
    zen_rounded = []
    runs, values = side_by_side or engines(engine)
    for i, fact in enumerate(fact_list):
        expected = sorted(runs["durable-rules"](fact))
        for name, fire in runs.items():
            got = sorted(fire(fact))
            if got == expected:
                continue
            if name.startswith("ZEN") and zen_reads_otherwise(values(fact)):
                if i not in zen_rounded:
                    zen_rounded.append(i)
                continue
            found.append(f"fact {i}: {name} {got} != durable-rules {expected}")
    return found, zen_rounded


def compare(count: int, seed: int, rounds: int) -> dict[str, Any]:
    engine = Engine()
    fact_list = facts(engine, count, seed)
    side_by_side = engines(engine)
    wrong, zen_rounded = disagreements(engine, fact_list, side_by_side)
    if wrong:
        raise SystemExit("the engines disagree:\n" + "\n".join(wrong[:20]))
    runs = side_by_side[0]
    clock = time.process_time_ns
    best = {name: [1 << 62] * len(fact_list) for name in runs}
    for _ in range(rounds):
        # Engine after engine, each over every fact (one engine's work between another's
        # calls would evict what the other keeps in the processor's caches), in every round.
        for name, fire in runs.items():
            spent_by = best[name]
            for i, fact in enumerate(fact_list):
                t0 = clock()
                fire(fact)
                spent = clock() - t0
                if spent < spent_by[i]:
                    spent_by[i] = spent
    out: dict[str, Any] = {"facts": len(fact_list), "seed": seed, "rounds": rounds,
                           "rules": len(engine.ruleset.rules),
                           "facts_zen_reads_otherwise": len(zen_rounded), "engines": {}}
    base = sorted(best["durable-rules"])[len(fact_list) // 2]
    for name, per_fact in best.items():
        ordered = sorted(per_fact)
        median = ordered[len(ordered) // 2]
        out["engines"][name] = {
            "median_us": median / 1000, "p99_us": ordered[int(len(ordered) * 0.99)] / 1000,
            "vs_durable_rules": round(median / base, 2)}
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=3000, help="random profiles (default 3000)")
    p.add_argument("--seed", type=int, default=20261208)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    for flag in ("count", "rounds"):
        if getattr(args, flag) < 1:
            p.error(f"--{flag} must be at least 1")
    json.dump(compare(args.count, args.seed, args.rounds), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
