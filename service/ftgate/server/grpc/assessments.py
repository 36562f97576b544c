"""Answers → `ftgate.v1` bytes: the gRPC edge's own writer of the Assessment.

Building the message through the protobuf API (ftgate/assessment.py) cost about 1.5 µs per
sub-message and 15 sub-messages an answer; here the parts that are the same in every answer that
has them (the fixed head of each rule's finding, each step's question, each alternative's
details, the shared objects of the explainer — the plan, fixed findings, passed steps) are
encoded once per policy by protobuf itself and kept, and only the rendered strings are written
per call. Fields are written in field-number order, as protobuf serializes them, so the bytes are
exactly `assessment.to_bytes(...)` (tests/test_wire.py checks this on thousands of random
profiles and every rule-table case).

A writer belongs to one compiled policy and one language (`writer_for`: weakly keyed by the
policy, it dies with it); nothing outside the gRPC edge uses it.
"""

from __future__ import annotations

import struct
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

from ftgate import enums
from ftgate.api.answer import Answer
from ftgate.assessment import (
    counterfactual_message,
    finding_message,
    missing_outcome_message,
    plan_message,
    step_message,
    waiver_message,
)
from ftgate.domain.decision import (
    NO_EXPLANATIONS,
    Alternative,
    Decision,
    Explanations,
    Finding,
    Plan,
    Roi,
    StepTaken,
)
from ftgate.languages import DEFAULT_LANGUAGE
from ftgate.v1 import advisor_pb2 as pb

_ONE_BYTE = [bytes((n,)) for n in range(128)]  # the varint of each n < 128

def _varint(n: int) -> bytes:
    """An unsigned varint (n ≥ 0)."""
    if n < 128:
        return _ONE_BYTE[n]
    out = bytearray()
    while n >= 128:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _key(message_type: Any, field: str, wire_type: int = 2) -> bytes:
    """The key of a field (numbers from the descriptors): length-delimited unless `wire_type`
    says otherwise (0: varint, 1: 64-bit)."""
    return _varint(message_type.DESCRIPTOR.fields_by_name[field].number << 3 | wire_type)


def _field(key: bytes, data: bytes) -> bytes:
    """One length-delimited field: a sub-message's bytes or a string's UTF-8."""
    n = len(data)
    return key + (_ONE_BYTE[n] if n < 128 else _varint(n)) + data


def _text(key: bytes, value: str) -> bytes:
    """One string field; nothing for "" (proto3 leaves empty strings out)."""
    if not value:
        return b""
    data = value.encode()
    n = len(data)
    return key + (_ONE_BYTE[n] if n < 128 else _varint(n)) + data


def _encoded(message: Any) -> bytes:
    data: bytes = message.SerializeToString(deterministic=True)
    return data


_DECISION_ID = _key(pb.Assessment, "decision_id")
_VERDICT = _key(pb.Assessment, "verdict", 0)
_OUTCOME = _key(pb.Assessment, "outcome", 0)
_PATH, _FINDINGS, _ALTERNATIVES, _ROI, _PLAN, _MISSING, _VERSION, _PROJECT = (
    _key(pb.Assessment, f) for f in ("decision_path", "findings", "alternatives", "roi", "plan",
                                     "missing_fields", "ruleset_version", "project_name"))
_COUNTERFACTUALS, _MISSING_OUTCOMES = (
    _key(pb.Assessment, f) for f in ("counterfactuals", "missing_field_outcomes"))
_UNREACHABLE = _key(pb.Assessment, "fine_tune_unreachable", 0)
_F_EVIDENCE, _F_RECOMMENDATION, _F_CITATION, _F_MESSAGE, _F_WAIVER = (
    _key(pb.Finding, f) for f in ("evidence", "recommendation", "citation", "message",
                                  "waiver_id"))
_WAIVERS_APPLIED = _key(pb.Assessment, "waivers_applied")
_E_NAME, _E_VALUE = _key(pb.Evidence, "name"), _key(pb.Evidence, "value")
_S_REASON = _key(pb.DecisionStep, "reason")
_A_RATIONALE, _A_DETAILS, _A_RULE_IDS = (
    _key(pb.Alternative, f) for f in ("rationale", "details", "rule_ids"))
_DOUBLE = struct.Struct("<d").pack
_ROI_DOUBLES = tuple((name, _key(pb.RoiAnalysis, name, 1)) for name in (
    "monthly_savings_usd", "break_even_months", "annual_retraining_cost_usd"))
_ROI_LIKELY = _key(pb.RoiAnalysis, "likely_positive", 0)
_ROI_RUNS = _key(pb.RoiAnalysis, "retraining_runs_per_year", 0)
_ROI_NET_DOUBLES = tuple((name, _key(pb.RoiAnalysis, name, 1)) for name in (
    "net_monthly_savings_usd", "net_break_even_months", "net_value_one_year_usd",
    "net_value_three_years_usd"))
_ROI_NEVER = _key(pb.RoiAnalysis, "never_breaks_even", 0)
_ROI_CRITERIA = _key(pb.RoiAnalysis, "positive_roi_criteria")
_TRUE_FALSE = (b"\x00", b"\x01")


_KNOWN = 8192  # encoded parts a writer keeps
_BODIES_KEPT = 1024  # whole bodies a writer keeps (most are the decision cache's Decisions too)


class AssessmentWriter:
    """Writes the Assessments of one policy's decisions; `shared` are the objects the policy's
    explainer puts in many decisions (their fields are encoded once, here)."""

    def __init__(self, shared: Iterable[object]) -> None:
        # Encoded parts by the identity of the object they encode. The explainer hands out the
        # same object for the same texts (shared ones, and rendered ones it keeps), so most
        # parts are encoded once. Each entry holds its object, so that no other object can have
        # its id while it is here; at most _KNOWN entries (then all but the shared ones go).
        self._shared: dict[int, tuple[object, bytes]] = {}
        for obj in shared:
            self._shared[id(obj)] = (obj, self._encode_shared(obj))
        self._known = dict(self._shared)
        self._finding_heads: dict[str, tuple[bytes, bytes]] = {}
        self._step_heads: dict[tuple[int, bool], bytes] = {}
        self._alternative_heads: dict[str, bytes] = {}
        self._tails: dict[tuple[tuple[str, ...], tuple[str, ...]], bytes] = {}
        self._evidence: dict[tuple[str, str], bytes] = {}  # encoded evidence items
        self._verdicts = {v: _VERDICT + _varint(enums.VERDICT.number(v))
                          for v in enums.VERDICT.names}
        self._outcomes = {o: _OUTCOME + _varint(enums.OUTCOME.number(o))
                          for o in enums.OUTCOME.names}
        self._versions: dict[str, bytes] = {}
        # The bodies written last, by the identity of their Decision (held: no other object can
        # have its id while it is here): an answer from the decision cache is the same Decision
        # again, written once. At most _BODIES_KEPT (then emptied).
        self._bodies: dict[int, tuple[Decision, bytes]] = {}

    @staticmethod
    def _encode_shared(obj: object) -> bytes:
        if type(obj) is Finding:
            return _field(_FINDINGS, _encoded(finding_message(obj)))
        if type(obj) is StepTaken:
            return _field(_PATH, _encoded(step_message(obj)))
        if type(obj) is Plan:
            return _field(_PLAN, _encoded(plan_message(obj)))
        raise TypeError(f"no shared encoding for {type(obj).__name__}")

    def body(self, d: Decision) -> bytes:
        """Every field of the Assessment but its decision id, in field-number order: what
        `assessment(decision_id, body)` completes."""
        written = self._bodies.get(id(d))
        if written is not None:
            return written[1]
        data = self._body(d)
        if len(self._bodies) >= _BODIES_KEPT:
            self._bodies.clear()
        self._bodies[id(d)] = (d, data)
        return data

    def _body(self, d: Decision) -> bytes:
        known = self._known
        parts = [self._verdicts[d.verdict]]
        if d.outcome is not None:
            parts.append(self._outcomes[d.outcome])
        for s in d.path:
            entry = known.get(id(s))
            parts.append(entry[1] if entry is not None else self._remember(s, self._step(s)))
        for f in d.findings:
            entry = known.get(id(f))
            parts.append(entry[1] if entry is not None else self._remember(f, self._finding(f)))
        for a in d.alternatives:
            entry = known.get(id(a))
            parts.append(entry[1] if entry is not None
                         else self._remember(a, self._alternative(a)))
        parts.append(self._roi(d.roi))
        if d.plan is not None:
            entry = known.get(id(d.plan))
            parts.append(entry[1] if entry is not None else self._encode_shared(d.plan))
        parts += [_text(_MISSING, m) for m in d.missing_fields]
        version = self._versions.get(d.ruleset_version)
        if version is None:
            version = self._versions[d.ruleset_version] = _text(_VERSION, d.ruleset_version)
        parts.append(version)
        parts.append(_text(_PROJECT, d.project_name))
        if d.explanations is not _NONE:
            parts.append(_explanations(d.explanations))
        parts += [_field(_WAIVERS_APPLIED, _encoded(waiver_message(w)))
                  for w in d.waivers_applied]
        return b"".join(parts)

    def _remember(self, obj: object, data: bytes) -> bytes:
        if len(self._known) >= _KNOWN:
            self._known = dict(self._shared)
        self._known[id(obj)] = (obj, data)
        return data

    def _step(self, s: StepTaken) -> bytes:
        head = self._step_heads.get((s.step, s.answer))
        if head is None:
            head = self._step_heads[(s.step, s.answer)] = _encoded(pb.DecisionStep(
                step=s.step, question=s.question, answer=s.answer))
        return _field(_PATH, head + _text(_S_REASON, s.reason))

    def _finding(self, f: Finding) -> bytes:
        heads = self._finding_heads.get(f.rule_id)
        if heads is None:  # rule id, failure mode, severity, title; then the citation
            heads = self._finding_heads[f.rule_id] = (
                _encoded(pb.Finding(rule_id=f.rule_id,
                                    failure_mode=enums.FAILURE_MODE.number(f.failure_mode),
                                    severity=enums.SEVERITY.number(f.severity),
                                    title=f.title)),
                _text(_F_CITATION, f.citation))
        parts = [heads[0]]
        evidence = self._evidence
        for e in f.evidence:
            item = evidence.get((e.name, e.value))
            if item is None:
                item = _field(_F_EVIDENCE, _text(_E_NAME, e.name) + _text(_E_VALUE, e.value))
                if len(evidence) < _KNOWN:
                    evidence[(e.name, e.value)] = item
            parts.append(item)
        parts += [_text(_F_RECOMMENDATION, f.recommendation), heads[1],
                  _text(_F_MESSAGE, f.message), _text(_F_WAIVER, f.waiver_id)]
        return _field(_FINDINGS, b"".join(parts))

    def _alternative(self, a: Alternative) -> bytes:
        head = self._alternative_heads.get(a.kind)
        if head is None:
            head = self._alternative_heads[a.kind] = _encoded(
                pb.Alternative(kind=enums.ALTERNATIVE_KIND.number(a.kind)))
        tail = self._tails.get((a.details, a.rule_ids))
        if tail is None:  # (the tuples come from the explainer's shapes: a few per ruleset)
            tail = self._tails[(a.details, a.rule_ids)] = b"".join(
                [_text(_A_DETAILS, d) for d in a.details]
                + [_text(_A_RULE_IDS, r) for r in a.rule_ids])
        return _field(_ALTERNATIVES, head + _text(_A_RATIONALE, a.rationale) + tail)

    @staticmethod
    def _roi(r: Roi) -> bytes:
        """The RoiAnalysis, present even when empty."""
        data = b"".join([key + _DOUBLE(value) for name, key in _ROI_DOUBLES
                         if (value := getattr(r, name)) is not None])
        if r.likely_positive is not None:
            data += _ROI_LIKELY + _TRUE_FALSE[r.likely_positive]
        if r.retraining_runs_per_year is not None:
            data += _ROI_RUNS + _varint(r.retraining_runs_per_year & 0xFFFFFFFFFFFFFFFF)
        if r.never_breaks_even is not None:  # (set with the net figure: the net fields first)
            data += b"".join([key + _DOUBLE(value) for name, key in _ROI_NET_DOUBLES
                              if (value := getattr(r, name)) is not None])
            data += _ROI_NEVER + _TRUE_FALSE[r.never_breaks_even]
        data += _text(_ROI_CRITERIA, r.positive_roi_criteria)
        return _field(_ROI, data)


_NONE = NO_EXPLANATIONS  # (the one object of a decision without explanations)


def _explanations(e: Explanations) -> bytes:
    """Fields 12 to 14 (asked for by a request option, rarely: written with the message API)."""
    parts = [_field(_COUNTERFACTUALS, _encoded(counterfactual_message(c)))
             for c in e.counterfactuals]
    if e.fine_tune_unreachable:
        parts.append(_UNREACHABLE + b"\x01")
    parts += [_field(_MISSING_OUTCOMES, _encoded(missing_outcome_message(m)))
              for m in e.missing_field_outcomes]
    return b"".join(parts)


def assessment(decision_id: str, body: bytes) -> bytes:
    """A whole Assessment: its decision id before a writer's `body`."""
    return _text(_DECISION_ID, decision_id) + body


_RESPONSE_ASSESSMENT = _key(pb.EvaluateResponse, "assessment")
_BATCH_ASSESSMENTS = _key(pb.EvaluateBatchResponse, "assessments")


def evaluate_response(assessment_bytes: bytes) -> bytes:
    """An EvaluateResponse holding one encoded Assessment."""
    return _field(_RESPONSE_ASSESSMENT, assessment_bytes)


def batch_response(assessments: Iterable[bytes]) -> bytes:
    """An EvaluateBatchResponse holding encoded Assessments, in order."""
    return b"".join([_field(_BATCH_ASSESSMENTS, a) for a in assessments])


_writers: weakref.WeakKeyDictionary[Any, dict[str, AssessmentWriter]] = \
    weakref.WeakKeyDictionary()


def writer_for(policy: Any, lang: str = DEFAULT_LANGUAGE) -> AssessmentWriter:
    """The writer of a compiled policy's decisions in `lang`, made on first use and dropped
    with the policy (its caches belong to that policy's texts in that language: the heads it
    keeps by rule id and step hold titles and questions)."""
    by_language = _writers.get(policy)
    if by_language is None:
        by_language = _writers.setdefault(policy, {})
    writer = by_language.get(lang)
    if writer is None:
        writer = by_language.setdefault(
            lang, AssessmentWriter(policy.explainers[lang].shared()))
    return writer


def encode(answer: Answer) -> bytes:
    """The whole Assessment of an answer."""
    return assessment(answer.decision_id,
                      writer_for(answer.policy, answer.lang).body(answer.decision))


def encode_one(answer: Answer) -> bytes:
    """The EvaluateResponse of an answer."""
    return evaluate_response(encode(answer))


def encode_batch(answers: Sequence[Answer]) -> bytes:
    """The EvaluateBatchResponse of a batch's answers."""
    return batch_response([encode(a) for a in answers])
