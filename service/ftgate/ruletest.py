"""Rule test tables: YAML files of (profile → expected assessment) cases beside the rules.

Run by `ftgate rules test`, and by the test suite both in-process and against a live server.
A case: `{name, profile: <ProjectProfile in proto3 JSON>, expect: {...}}` where `expect` may hold
verdict, outcome (short enum names), findings (the exact ordered rule ids), includes_findings,
excludes_findings, severities ({rule_id: severity}), missing_fields (exact), alternatives (exact
ordered kinds), first_alternative, path (the answers of the steps walked, e.g. [true, false]),
roi ({field: value}, null meaning absent), plan (true/false), evidence ({rule_id: {name: value}}).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format

from ftgate import enums
from ftgate.api import convert
from ftgate.assessment import to_message
from ftgate.engine import Engine
from ftgate.ruleset import DEFAULT_MAX_FILE_BYTES
from ftgate.userfile import read_file
from ftgate.v1 import advisor_pb2 as pb


@dataclass(frozen=True)
class Case:
    file: str
    name: str
    profile: dict[str, Any]
    expect: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"


def load_cases(directory: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> list[Case]:
    """The cases of every DIR/*.yaml table; FileRefused for a table that is not a regular file
    or is above `max_file_bytes` (ftgate.userfile)."""
    cases = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(read_file(path, max_file_bytes).decode("utf-8")) or {}
        for item in data.get("cases", []):
            cases.append(Case(path.name, item["name"], item.get("profile") or {}, item["expect"]))
    return cases


def check(expect: dict[str, Any], a: pb.Assessment) -> list[str]:
    """The differences between an assessment and what a case expects (empty when it passes)."""
    got_findings = [f.rule_id for f in a.findings]
    actual: dict[str, Callable[[], Any]] = {
        "verdict": lambda: enums.VERDICT.short(a.verdict),
        "outcome": lambda: enums.OUTCOME.short(a.outcome) if a.outcome else None,
        "findings": lambda: got_findings,
        "missing_fields": lambda: list(a.missing_fields),
        "alternatives": lambda: [enums.ALTERNATIVE_KIND.short(x.kind) for x in a.alternatives],
        "first_alternative": lambda: (enums.ALTERNATIVE_KIND.short(a.alternatives[0].kind)
                                      if a.alternatives else None),
        "path": lambda: [s.answer for s in a.decision_path],
        "plan": lambda: a.HasField("plan"),
    }
    problems = []
    for key, want in expect.items():
        if key in actual:
            got = actual[key]()
            if got != want:
                problems.append(f"{key}: expected {want!r}, got {got!r}")
        elif key == "includes_findings":
            problems += [f"finding {r} missing (got {got_findings})" for r in want
                         if r not in got_findings]
        elif key == "excludes_findings":
            problems += [f"finding {r} unexpected" for r in want if r in got_findings]
        elif key == "severities":
            sev = {f.rule_id: enums.SEVERITY.short(f.severity) for f in a.findings}
            problems += [f"severity of {r}: expected {s}, got {sev.get(r)}"
                         for r, s in want.items() if sev.get(r) != s]
        elif key == "evidence":
            for rid, pairs in want.items():
                ev = {e.name: e.value for f in a.findings if f.rule_id == rid for e in f.evidence}
                problems += [f"evidence {rid}.{n}: expected {v!r}, got {ev.get(n)!r}"
                             for n, v in pairs.items() if ev.get(n) != str(v)]
        elif key == "roi":
            for field, value in want.items():
                present = a.roi.HasField(field)
                got = getattr(a.roi, field) if present else None
                same = (got is None and value is None) or (
                    got is not None and value is not None and (
                        got == value if isinstance(value, bool)
                        else math.isclose(got, value, rel_tol=1e-9)))
                if not same:
                    problems.append(f"roi.{field}: expected {value!r}, got {got!r}")
        else:
            problems.append(f"unknown expectation {key!r}")
    return problems


def profile_message(data: dict[str, Any]) -> pb.ProjectProfile:
    return json_format.ParseDict(data, pb.ProjectProfile())


def run_cases(engine: Engine, cases: Iterable[Case]) -> list[tuple[Case, list[str]]]:
    """Evaluate each case in-process; return each with its problems."""
    results = []
    for case in cases:
        try:
            profile = convert.profile_from_proto(profile_message(case.profile))
            problems = check(case.expect, to_message(engine.decide(profile), ""))
        except Exception as exc:  # a broken case is a failed case, not a crash
            problems = [f"error: {exc}"]
        results.append((case, problems))
    return results
