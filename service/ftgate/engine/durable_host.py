"""The one module that talks to durable-rules. Its quirks stay here:

- every profile is asserted as a *fact* in a session of its own (each matching rule fires once),
  and the session is deleted right after (RSS stays flat);
- a fact that matches no rule raises MessageNotHandledException and deleting that session then
  crashes the process: an always-matching sentinel rule makes that impossible;
- `$ex` on `sid` never returns, so the sentinel tests a field of our own;
- a comparison with another field (`$m`) matches when that field is absent: guard it with `$ex`;
- the host is not thread-safe: one lock serialises every call into it;
- a ruleset name registers once per host: each RuleHost gets a fresh host and a unique name.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any

from durable.engine import Host

from ftgate.ruleset.conditions import COMPARISONS
from ftgate.ruleset.model import Condition

_SENTINEL_FIELD = "ftgate_fact"
_SENTINEL_RULE = "ftgate.sentinel"
_DURABLE_OPS = {"lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}
_names = itertools.count(1)


class EngineFailure(RuntimeError):
    """durable-rules failed on a fact it should have handled."""


def compile_condition(cond: Condition, thresholds: dict[str, Any]) -> dict[str, Any]:
    """Translate a validated rule-file condition into durable-rules' JSON form."""
    if "all" in cond:
        return {"$and": [compile_condition(c, thresholds) for c in cond["all"]]}
    if "any" in cond:
        return {"$or": [compile_condition(c, thresholds) for c in cond["any"]]}
    name = cond["fact"]
    (op, value), = ((k, v) for k, v in cond.items() if k != "fact")
    guards: list[dict[str, Any]] = []
    if isinstance(value, dict) and "threshold" in value:
        value = thresholds[value["threshold"]]
    elif isinstance(value, dict) and "fact" in value:
        guards.append({"$ex": {value["fact"]: 1}})
        value = {"$m": value["fact"]}
    if op == "eq":
        test: dict[str, Any] = {name: value}
    elif op == "ne":
        guards.append({"$ex": {name: 1}})
        test = {"$neq": {name: value}}
    elif op in _DURABLE_OPS:
        test = {_DURABLE_OPS[op]: {name: value}}
    elif op == "in":
        test = {"$or": [{name: v} for v in value]} if len(value) > 1 else {name: value[0]}
    elif op == "contains":
        test = {"$iany": {name: {"$i": value}}}
    else:  # pragma: no cover - conditions are validated on load
        raise ValueError(f"unknown operator {op!r} (known: {', '.join(COMPARISONS)}, in, contains)")
    return {"$and": [*guards, test]} if guards else test


class RuleHost:
    """A compiled set of rules; `fire(fact)` returns the ids of the rules that matched."""

    def __init__(self, rules: Sequence[tuple[str, dict[str, Any]]]) -> None:
        self._name = f"ftgate_{next(_names)}"
        self._fired: list[str] = []
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        definition: dict[str, Any] = {
            rule_id: {"all": [{"m": cond}], "run": self._recorder(rule_id)}
            for rule_id, cond in rules
        }
        definition[_SENTINEL_RULE] = {
            "all": [{"m": {"$ex": {_SENTINEL_FIELD: 1}}}],
            "run": self._recorder(_SENTINEL_RULE),
        }
        self._host = Host({self._name: definition})

    def _recorder(self, rule_id: str) -> Callable[[Any], None]:
        fired = self._fired

        def run(_closure: Any) -> None:
            fired.append(rule_id)

        return run

    def fire(self, fact: dict[str, Any]) -> list[str]:
        """Assert `fact` in a fresh session, delete the session, return the rules that fired."""
        with self._lock:
            sid = str(next(self._sids))
            self._fired.clear()
            try:
                self._host.assert_fact(self._name, {**fact, "sid": sid, _SENTINEL_FIELD: 1})
            except Exception as exc:  # durable raises bare Exceptions with error codes
                # The session is left alone: deleting an unhandled session crashes the process.
                raise EngineFailure(f"durable-rules failed: {exc}") from exc
            self._host.delete_state(self._name, sid)
            fired = [r for r in self._fired if r != _SENTINEL_RULE]
            if len(fired) == len(self._fired):
                raise EngineFailure("the sentinel rule did not fire")
            return fired
