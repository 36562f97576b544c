"""The one module that talks to durable-rules. Its quirks stay here:

- every profile is asserted as a *fact* (each matching rule fires once) in a session that holds
  nothing else, and the fact is retracted right after: the session is empty again (RSS stays
  flat). Deleting the session instead costs 150-700 µs: the core allocates and clears ~8 KB of
  index per Rete node for every new session, and frees it on delete (docs/performance.md);
- a fact that matches no rule raises MessageNotHandledException and deleting that session then
  crashes the process: an always-matching sentinel rule makes that impossible;
- `$ex` on `sid` never returns, so the sentinel tests a field of our own;
- a comparison with another field (`$m`) matches when that field is absent: guard it with `$ex`;
- the core is not thread-safe: one lock serialises every call into it;
- the core compares doubles, but a derived figure is a decimal (ftgate.domain.money): a figure
  whose double is rounded (`fact.exact`) is sent as a double that compares with the numbers its
  conditions name, and with the facts it is compared with, as the decimal does;
- the core's cost grows with the number of distinct session ids it has ever seen (+60 % after
  24,000 sessions): every evaluation uses the same session, and a new id is taken only after a
  failure, so that whatever a failed evaluation left behind never meets the next fact.

Speed (docs/performance.md): durable's Python `Host` json-dumps the fact, runs each matching
rule's action through Promise/Closure objects, json-dumps the session state and json-loads the
whole fact back once per fired rule, and keeps two timer threads polling the ruleset. We only need
the names of the rules that matched, so this module drives the C core (`durable_rules_engine`)
directly: one JSON string in (only the facts the conditions read), then one short C call per
matched rule whose name is sliced from the head of the returned message, never parsed.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import json.encoder
import re
import sys
import threading
import weakref
from collections.abc import Callable, Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any

import durable_rules_engine as _core

from ftgate.engine.ordering import comparison_groups, ordered_numbers
from ftgate.ruleset.conditions import COMPARISONS
from ftgate.ruleset.model import Condition

_SENTINEL_FIELD = "ftgate_fact"
_SENTINEL_RULE = "s"  # durable rule names are short ("s", "r0", "r1"...): they head every message
_DURABLE_OPS = {"lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}
_names = itertools.count(1)
# json's C encoder, built once (JSONEncoder.encode builds one per call): compact, keys as given.
_c_encoder = getattr(json.encoder, "c_make_encoder", None)
_encode: Callable[[Any], str] = (
    json.JSONEncoder(separators=(",", ":")).encode if _c_encoder is None else
    functools.partial(lambda encode, fact: "".join(encode(fact, 0)), _c_encoder(
        None, None, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True)))
# The core's JSON parser rejects exponents (error 204 on 2e-05 or 1e+16) and Infinity: such
# numbers are rewritten in positional notation, which it reads exactly.
_EXPONENT = re.compile(r"(?<=[:,\[])-?(?:[0-9.]+[eE][-+]?[0-9]+|Infinity)")
_FLOAT_MAX = format(Decimal(sys.float_info.max), "f")
_string = json.encoder.encode_basestring_ascii


def _positional(match: re.Match[str]) -> str:
    number = match.group(0)
    if number.endswith("Infinity"):
        return number.replace("Infinity", _FLOAT_MAX)
    return format(Decimal(number), "f")


def _dumps(value: Any) -> str:
    text = _encode(value)
    if "e-" in text or "e+" in text or "Infinity" in text:  # keys and enum names never hold these
        text = _EXPONENT.sub(_positional, text)
    return text


def _float(value: float) -> str:
    text = float.__repr__(value)
    if "e" in text or "n" in text:  # 1e-05, 1e+16, inf, nan: as json writes them, rewritten
        return _dumps([value])[1:-1]
    return text


_ABSENT = object()
_TRUE_FALSE = ("false", "true")


class EngineFailure(RuntimeError):
    """durable-rules failed on a fact it should have handled."""


def compile_condition(cond: Condition, thresholds: dict[str, Any],
                      keys: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Translate a validated rule-file condition into durable-rules' JSON form; `keys` renames
    the facts (see RuleHost)."""
    if "all" in cond:
        return {"$and": [compile_condition(c, thresholds, keys) for c in cond["all"]]}
    if "any" in cond:
        return {"$or": [compile_condition(c, thresholds, keys) for c in cond["any"]]}
    key = keys.__getitem__ if keys is not None else str
    name = key(cond["fact"])
    (op, value), = ((k, v) for k, v in cond.items() if k != "fact")
    guards: list[dict[str, Any]] = []
    if isinstance(value, dict) and "threshold" in value:
        value = thresholds[value["threshold"]]
    elif isinstance(value, dict) and "fact" in value:
        guards.append({"$ex": {key(value["fact"]): 1}})
        value = {"$m": key(value["fact"])}
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


def _release(handle: int, session: list[str]) -> None:
    """Free a ruleset in the core. Its session state goes first: `delete_ruleset` alone leaves
    the state of every session that held a fact allocated (its per-node indexes, ~350 KB for
    ftgate's rules), so each replaced policy leaked that much. A session abandoned after a
    failure is left alone (deleting it may crash the process, see above); the one in use has
    been emptied by its retraction and is safe to delete."""
    with contextlib.suppress(Exception):  # error 309: the session never held a fact
        _core.delete_state(handle, session[0])
    _core.delete_ruleset(handle)


class RuleHost:
    """A compiled set of rules; `fire(fact)` returns the ids of the rules that matched.

    `fields` are the facts the conditions read: only those are sent to the core, under the key
    each is given (a mapping: name → key; the conditions must have been compiled with the same
    keys), or under its own name. Short keys ("f3") make the JSON the core parses twice per
    evaluation, and the copy of it in every action message, a third of the size.
    """

    def __init__(self, rules: Sequence[tuple[str, dict[str, Any]]],
                 fields: Collection[str] | Mapping[str, str]) -> None:
        self._ids = {f"r{i}": rule_id for i, (rule_id, _) in enumerate(rules)}
        keys = fields if isinstance(fields, Mapping) else {name: name for name in fields}
        # Each fact read by a condition and the head of its JSON member ('"f3":').
        self._fields = tuple((name, f"{_encode(key)}:") for name, key in sorted(keys.items()))
        self._groups = comparison_groups([cond for _, cond in rules],
                                         {key: name for name, key in keys.items()})
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        self._session = ["", ""]  # the session in use and its fact's tail (shared: see _release)
        self._new_session()
        definition: dict[str, Any] = {
            f"r{i}": {"all": [{"m": cond}]} for i, (_, cond) in enumerate(rules)
        }
        definition[_SENTINEL_RULE] = {"all": [{"m": {"$ex": {_SENTINEL_FIELD: 1}}}]}
        self._handle = _core.create_ruleset(f"ftgate_{next(_names)}", _dumps(definition))
        # A replaced policy frees its Rete network and its session once the last call using it
        # has returned.
        weakref.finalize(self, _release, self._handle, self._session)

    def _new_session(self) -> None:
        sid = str(next(self._sids))
        self._session[:] = [sid, f'"sid":{_encode(sid)},{_encode(_SENTINEL_FIELD)}:1']

    def fire(self, fact: dict[str, Any]) -> list[str]:
        """Assert `fact` in the (empty) session, retract it, return the rules that fired."""
        # The JSON object written member by member (json's C encoder needed a dict of the
        # facts to send built first, and cost more than this loop in all).
        members = []
        get = fact.get
        exact = getattr(fact, "exact", None)  # figures whose double is rounded (engine/facts.py)
        if exact:
            ordered = ordered_numbers(fact, exact, self._groups)
            if ordered:  # (seldom: a figure whose double is a number it is compared with)
                get = {**fact, **ordered}.get
        for name, head in self._fields:
            value = get(name, _ABSENT)
            if value is _ABSENT:
                continue
            kind = type(value)
            if kind is bool:
                members.append(head + _TRUE_FALSE[value])
            elif kind is str:
                members.append(head + _string(value))
            elif kind is int:
                members.append(head + int.__repr__(value))
            elif kind is float:
                members.append(head + _float(value))
            else:
                members.append(head + _dumps(value))
        ids, handle = self._ids, self._handle
        fired: list[str] = []
        sentinel = False
        with self._lock:
            members.append(self._session[1])
            payload = "{" + ",".join(members) + "}"
            try:
                code, state = _core.assert_fact(handle, payload)
                if code != 0:
                    # The session is abandoned, never deleted: deleting an unhandled session
                    # crashes the process.
                    raise EngineFailure(f"durable-rules returned code {code} for the fact")
                started = _core.start_action_for_state(handle, state)
                message = started[1] if started else None
                while message:
                    # message = '{"<rule name>":{"m":{...the fact...}}}'
                    name = message[2:message.index('"', 2)]
                    if name == _SENTINEL_RULE:
                        sentinel = True
                    else:
                        fired.append(ids[name])
                    message = _core.complete_and_start_action(handle, state)
                if not sentinel:
                    raise EngineFailure("the sentinel rule did not fire")
                code, _ = _core.retract_fact(handle, payload)
                if code != 0:
                    raise EngineFailure(f"durable-rules returned code {code} for the retraction")
            except Exception as exc:  # the core raises bare Exceptions with error codes
                self._new_session()
                if isinstance(exc, EngineFailure):
                    raise
                raise EngineFailure(f"durable-rules failed: {exc}") from exc
        return fired
