"""Load rule files from a directory, validate them, and build an immutable RuleSet.

A file that fails validation raises RuleFileError naming the file, the rule and the field; the
caller keeps whatever RuleSet it had before (see ftgate.engine.Engine.reload).

Every text an answer shows (titles, messages, recommendations, questions, reasons, rationales,
details, plan items) is written in each language of ftgate.languages: `{en: ..., fr: ...}` (a
list of texts: `{en: [...], fr: [...]}`, as many in each). The files are read once and built
into one RuleSet per language; a text missing in one language is refused. Citations quote the
source article: one text for every language.

Each file is read through ftgate.userfile: a FIFO, a device, a socket or a directory named
`*.yaml` (directly or through a symlink) is refused by name without blocking, and so is a file
above `max_file_bytes` (DEFAULT_MAX_FILE_BYTES unless `serve --max-rule-file-bytes` says
otherwise) before it is parsed.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from ftgate import enums
from ftgate.errors import RuleFileError
from ftgate.languages import DEFAULT_LANGUAGE, LANGUAGES
from ftgate.present import typography
from ftgate.present.templates import check_spec
from ftgate.ruleset import conditions
from ftgate.ruleset.model import (
    AlternativeSpec,
    PlanSpec,
    Requirement,
    Rule,
    RulePlace,
    RuleSet,
    TreeStep,
    Trigger,
)
from ftgate.ruleset.vocabulary import FACTS
from ftgate.userfile import FileRefused, FileTooLarge, read_file

FAILURE_MODES = enums.FAILURE_MODE.names
SEVERITIES = enums.SEVERITY.names
OUTCOMES = enums.OUTCOME.names
ALTERNATIVE_KINDS = enums.ALTERNATIVE_KIND.names
DEFAULT_MAX_FILE_BYTES = 1024 * 1024  # a rule file; the shipped ones are under 20 KB each
AFTER_TREE = "after_tree"  # the `step` of a rule whose finding comes after the tree's
KINDS = ("thresholds", "failure_modes", "tree", "alternatives", "plan")
REQUIRED_THRESHOLDS = (
    "examples", "tree_minimum_examples_floor", "frequent_change", "retraining_runs_per_year",
    "days_per_month", "checklist_prompt_variations", "degradation_tolerance",
    "roi_positive_requests_per_day", "roi_positive_savings_per_request_usd",
    "impossible_retraining_runs_per_year",
)


class _File:
    """One rule file being read; its methods raise RuleFileError located in it."""

    def __init__(self, path: Path, data: Any) -> None:
        self.name = path.name
        self.data = data
        self.lang = DEFAULT_LANGUAGE  # the language whose texts are being read

    def text(self, obj: Any, key: str, rule: str | None = None, where: str = "") -> str:
        """A text written in every language (`{en: ..., fr: ...}`): the one of `self.lang`."""
        value = self.get(obj, key, dict, rule, where)
        return self._in_language(value, str, rule, f"{where}{key}")  # type: ignore[no-any-return]

    def texts(self, obj: Any, key: str, rule: str | None = None, where: str = "",
              default: Any = ...) -> tuple[str, ...]:
        """A list of texts written in every language (`{en: [...], fr: [...]}`, as many in
        each), the ones of `self.lang`; `default` when absent."""
        if not isinstance(obj, dict) or key not in obj:
            return tuple(default) if default is not ... else self.get(obj, key, dict, rule, where)
        field = f"{where}{key}"
        value = self.get(obj, key, dict, rule, where)
        counts = {len(v) for v in value.values() if isinstance(v, list)}
        items = self._in_language(value, list, rule, field)
        if not all(isinstance(i, str) for i in items):
            raise self.fail("expected a list of strings", rule, f"{field}.{self.lang}")
        if len(counts) > 1:
            raise self.fail("needs as many texts in each language", rule, field)
        return tuple(items)

    def _in_language(self, value: dict[str, Any], kind: type, rule: str | None,
                     field: str) -> Any:
        for lang in LANGUAGES:
            if lang not in value:
                raise self.fail(f"the text in {lang!r} is missing (write it in "
                                f"{', '.join(LANGUAGES)})", rule, field)
            if not isinstance(value[lang], kind) or (kind is str and not value[lang].strip()):
                raise self.fail(f"expected {_kind_name(kind)} in {lang!r}", rule,
                                f"{field}.{lang}")
        unknown = sorted(set(value) - set(LANGUAGES))
        if unknown:
            raise self.fail(f"unknown language {unknown[0]!r} (expected {', '.join(LANGUAGES)})",
                            rule, field)
        return typography.in_language(value[self.lang], self.lang) if kind is str else [
            typography.in_language(item, self.lang) if isinstance(item, str) else item
            for item in value[self.lang]]

    def fail(self, message: str, rule: str | None = None, field: str | None = None) -> RuleFileError:
        return RuleFileError(self.name, message, rule, field)

    def get(self, obj: Any, key: str, kind: type | tuple[type, ...], rule: str | None = None,
            where: str = "", default: Any = ...) -> Any:
        field = f"{where}{key}"
        if not isinstance(obj, dict):
            raise self.fail("expected a mapping", rule, where.rstrip(".") or None)
        if key not in obj:
            if default is ...:
                raise self.fail("is required", rule, field)
            return default
        value = obj[key]
        bad_bool = isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,))
        if not isinstance(value, kind) or bad_bool:
            raise self.fail(f"expected {_kind_name(kind)}, got {value!r}", rule, field)
        return value

    def template(self, text: str, names: set[str], rule: str | None, field: str) -> str:
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        except ValueError as exc:
            raise self.fail(f"bad template: {exc}", rule, field) from None
        for f in fields:
            if f not in names:
                raise self.fail(f"template names unknown fact or threshold {f!r}", rule, field)
        for _, name, spec, _ in string.Formatter().parse(text):
            problem = check_spec(spec or "") if name else None
            if problem:
                raise self.fail(f"field {{{name}:{spec}}}: {problem}", rule, field)
        return text

    def strings(self, obj: Any, key: str, rule: str | None = None, where: str = "",
                default: Any = ...) -> tuple[str, ...]:
        items = self.get(obj, key, list, rule, where, default)
        if not all(isinstance(i, str) for i in items):
            raise self.fail("expected a list of strings", rule, f"{where}{key}")
        return tuple(items)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             list: "a list", dict: "a mapping"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _read(directory: Path, max_file_bytes: int) -> tuple[list[_File], str]:
    if not directory.is_dir():
        raise RuleFileError(str(directory), "is not a directory of rule files")
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise RuleFileError(str(directory), "holds no *.yaml rule file")
    digest = hashlib.sha256()
    files = []
    for path in paths:
        try:
            raw = read_file(path, max_file_bytes)
        except FileTooLarge as exc:  # named, so that the log and the exit say which file
            raise RuleFileError(exc.path, f"{exc.reason} (--max-rule-file-bytes)") from None
        except FileRefused as exc:
            raise RuleFileError(exc.path, exc.reason) from None
        digest.update(path.name.encode() + b"\0" + raw + b"\0")
        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise RuleFileError(path.name, f"is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise RuleFileError(path.name, "must be a mapping with a `kind`")
        if data.get("kind") not in KINDS:
            raise RuleFileError(path.name, f"kind must be one of {', '.join(KINDS)}", field="kind")
        files.append(_File(path, data))
    return files, "sha256:" + digest.hexdigest()[:16]


def _one(files: list[_File], kind: str) -> _File:
    found = [f for f in files if f.data["kind"] == kind]
    if len(found) != 1:
        where = ", ".join(f.name for f in found) or "none"
        raise RuleFileError(kind, f"exactly one rule file of kind {kind!r} is needed (found: {where})")
    return found[0]


def _thresholds(f: _File) -> dict[str, Any]:
    t = f.get(f.data, "thresholds", dict)
    for key in REQUIRED_THRESHOLDS:
        f.get(t, key, (int, float, list, dict), where="thresholds.")
    for key, value in t.items():
        if key != "examples" and not isinstance(value, int | float | list | dict):
            raise f.fail("expected a number", field=f"thresholds.{key}")
        if isinstance(value, int | float) and (isinstance(value, bool) or value < 0):
            raise f.fail("expected a non-negative number", field=f"thresholds.{key}")
    examples = f.get(t, "examples", dict, where="thresholds.")
    for task, pair in examples.items():
        if task not in FACTS["task_type"].values:
            raise f.fail(f"unknown task type {task!r}", field=f"thresholds.examples.{task}")
        lo = f.get(pair, "minimum_viable", int, where=f"thresholds.examples.{task}.")
        hi = f.get(pair, "recommended", int, where=f"thresholds.examples.{task}.")
        if not 0 <= lo <= hi:
            raise f.fail("needs 0 <= minimum_viable <= recommended", field=f"thresholds.examples.{task}")
    for freq in f.strings(t, "frequent_change", where="thresholds."):
        if freq not in FACTS["data_change_frequency"].values:
            raise f.fail(f"unknown frequency {freq!r}", field="thresholds.frequent_change")
    runs = f.get(t, "retraining_runs_per_year", dict, where="thresholds.")
    for freq, n in runs.items():
        if freq not in FACTS["data_change_frequency"].values or not isinstance(n, int) or n < 0:
            raise f.fail(f"bad entry {freq}: {n}", field="thresholds.retraining_runs_per_year")
    if not 0 < t["degradation_tolerance"] <= 1:
        raise f.fail("must be in (0, 1]", field="thresholds.degradation_tolerance")
    return dict(t)


def _names(thresholds: dict[str, Any]) -> set[str]:
    return set(FACTS) | {k for k, v in thresholds.items() if isinstance(v, int | float)}


def _rule(f: _File, item: Any, index: int, thresholds: dict[str, Any], names: set[str]) -> Rule:
    rid = item.get("id") if isinstance(item, dict) else None
    rule = rid if isinstance(rid, str) else f"rules[{index}]"
    rid = f.get(item, "id", str, rule)
    fm = f.get(item, "failure_mode", str, rule)
    if fm not in FAILURE_MODES:
        raise f.fail(f"must be one of {', '.join(FAILURE_MODES)}", rule, "failure_mode")
    severity = f.get(item, "severity", str, rule)
    if severity not in SEVERITIES:
        raise f.fail(f"must be one of {', '.join(SEVERITIES)}", rule, "severity")
    step = f.get(item, "step", (int, str), rule)
    if step != AFTER_TREE and (isinstance(step, str) or step < 1):
        raise f.fail(f"must be a tree step (1, 2, ...) or {AFTER_TREE}, got {step!r}", rule,
                     "step")
    when = f.get(item, "when", dict, rule)
    try:
        conditions.validate(when, thresholds)
    except conditions.ConditionError as exc:
        raise f.fail(str(exc), rule, exc.path) from None
    evidence = f.strings(item, "evidence", rule, default=[])
    for e in evidence:
        if e not in names:
            raise f.fail(f"unknown fact or threshold {e!r}", rule, "evidence")
    return Rule(
        id=rid, failure_mode=fm, severity=severity,
        place=RulePlace.AFTER_TREE if step == AFTER_TREE else RulePlace.TREE_STEP,
        step=None if step == AFTER_TREE else step,
        title=f.text(item, "title", rule),
        when=when,
        message=f.template(f.text(item, "message", rule), names, rule, "message"),
        evidence=evidence,
        recommendation=f.template(f.text(item, "recommendation", rule), names, rule,
                                  "recommendation"),
        citation=f.get(item, "citation", str, rule),
        source_file=f.name,
    )


def _check_places(rules: list[Rule], steps: tuple[TreeStep, ...]) -> None:
    """Every rule's step is one of the tree's; a rule after the tree's last step says so by
    name (`step: after_tree`), never by a number past the last step."""
    for r in rules:
        if r.step is not None and r.step > len(steps):
            raise RuleFileError(r.source_file, f"must be a tree step 1..{len(steps)} or "
                                f"{AFTER_TREE}, got {r.step}: a rule checked after the tree's "
                                f"last step says `step: {AFTER_TREE}`", r.id, "step")


def _requirement(f: _File, req: Any, thresholds: dict[str, Any], where: str) -> Requirement:
    """One entry of a step's `requires`: an input, `{any_of: [[...], ...]}`, or either written
    `{fact: NAME, when: CONDITION}` / `{any_of: ..., when: CONDITION}`."""
    when = req.get("when") if isinstance(req, dict) else None
    if isinstance(req, dict) and isinstance(req.get("any_of"), list):
        groups = tuple(tuple(g) if isinstance(g, list) else (g,) for g in req["any_of"])
    elif isinstance(req, dict) and "fact" in req:
        groups = ((req["fact"],),)
    else:
        groups = ((req,),)
    if isinstance(req, dict) and not set(req) <= {"any_of", "fact", "when"}:
        raise f.fail("a requirement is an input name, {any_of: [[...]]} or {fact: NAME}, "
                     "with an optional `when`", field=where)
    for group in groups:
        for name in group:
            if not isinstance(name, str) or FACTS.get(name) is None or not FACTS[name].path:
                raise f.fail(f"{name!r} is not an input field", field=where)
    if when is not None:
        try:
            conditions.validate(when, thresholds, where + ".when")
        except conditions.ConditionError as exc:
            raise f.fail(str(exc), field=exc.path) from None
    return Requirement(groups, when)


def _steps(f: _File, rule_ids: set[str], names: set[str],
           thresholds: dict[str, Any]) -> tuple[TreeStep, ...]:
    steps = []
    for i, item in enumerate(f.get(f.data, "steps", list)):
        where = f"steps[{i}]"
        n = f.get(item, "step", int, where=where + ".")
        if n != i + 1:
            raise f.fail(f"steps must be numbered 1, 2, ... in order (got {n})", field=f"{where}.step")
        blocked_by = f.strings(item, "blocked_by", where=where + ".")
        for rid in blocked_by:
            if rid not in rule_ids:
                raise f.fail(f"unknown rule {rid!r}", rid, f"{where}.blocked_by")
        outcome = f.get(item, "outcome", str, where=where + ".")
        if outcome not in OUTCOMES:
            raise f.fail(f"must be one of {', '.join(OUTCOMES)}", field=f"{where}.outcome")
        requires: list[Requirement] = []
        for j, req in enumerate(f.get(item, "requires", list, where=where + ".")):
            requires.append(_requirement(f, req, thresholds, f"{where}.requires[{j}]"))
        steps.append(TreeStep(
            step=n,
            question=f.text(item, "question", where=where + "."),
            blocked_by=blocked_by,
            answer_when_blocked=f.get(item, "answer_when_blocked", bool, where=where + "."),
            outcome=outcome,
            requires=tuple(requires),
            pass_reason=f.template(f.text(item, "pass_reason", where=where + "."), names,
                                   None, f"{where}.pass_reason"),
            citation=f.get(item, "citation", str, where=where + "."),
        ))
    if not steps:
        raise f.fail("the tree needs at least one step", field="steps")
    return tuple(steps)


def _alternatives(f: _File, rule_ids: set[str], thresholds: dict[str, Any],
                  names: set[str]) -> tuple[tuple[AlternativeSpec, ...], list[Rule]]:
    specs, trigger_rules = [], []
    for i, item in enumerate(f.get(f.data, "alternatives", list)):
        where = f"alternatives[{i}]."
        kind = f.get(item, "kind", str, where=where)
        if kind not in ALTERNATIVE_KINDS:
            raise f.fail(f"must be one of {', '.join(ALTERNATIVE_KINDS)}", field=where + "kind")
        citation = f.get(item, "citation", str, where=where)
        triggers = []
        for j, t in enumerate(f.get(item, "triggers", list, where=where)):
            tw = f"{where}triggers[{j}]."
            rationale = f.template(f.text(t, "rationale", where=tw), names, None, tw + "rationale")
            if "finding" in t:
                rid = f.get(t, "finding", str, where=tw)
                if rid not in rule_ids:
                    raise f.fail(f"unknown rule {rid!r}", field=tw + "finding")
                triggers.append(Trigger(rid, None, rationale))
                continue
            name = f.get(t, "name", str, where=tw)
            when = f.get(t, "when", dict, where=tw)
            try:
                conditions.validate(when, thresholds, tw + "when")
            except conditions.ConditionError as exc:
                raise f.fail(str(exc), f"ALT.{name}", exc.path) from None
            rule = Rule(f"ALT.{name}", None, None, RulePlace.ALTERNATIVE_TRIGGER, None, kind,
                        when, rationale, (), "", citation, f.name)
            trigger_rules.append(rule)
            triggers.append(Trigger(None, rule.id, rationale))
        by_domain = f.get(item, "details_by_domain", dict, where=where, default={})
        specs.append(AlternativeSpec(
            kind=kind,
            details=f.texts(item, "details", where=where, default=[]),
            details_by_domain=tuple((d, f.texts(by_domain, d, where=f"{where}details_by_domain."))
                                    for d in by_domain),
            leaf_outcomes=f.strings(item, "leaf_outcomes", where=where, default=[]),
            triggers=tuple(triggers),
            citation=citation,
        ))
    return tuple(specs), trigger_rules


def _plan(f: _File) -> PlanSpec:
    p = f.get(f.data, "plan", dict)
    lora = f.get(p, "lora", dict, where="plan.")
    f.get(lora, "r", int, where="plan.lora.")
    f.get(lora, "lora_alpha", int, where="plan.lora.")
    f.strings(lora, "target_modules", where="plan.lora.")
    f.get(lora, "lora_dropout", float, where="plan.lora.")
    costs = []
    for i, c in enumerate(f.get(p, "year_one_costs", list, where="plan.")):
        w = f"plan.year_one_costs[{i}]."
        costs.append((f.text(c, "item", where=w), float(f.get(c, "low_usd", (int, float), where=w)),
                      float(f.get(c, "high_usd", (int, float), where=w))))
    total = f.get(p, "year_one_total", dict, where="plan.")
    return PlanSpec(
        lora=dict(lora),
        validation_tasks=f.texts(p, "validation_tasks", where="plan."),
        metrics=f.texts(p, "metrics", where="plan."),
        year_one_costs=tuple(costs),
        year_one_total=(float(f.get(total, "low_usd", (int, float), where="plan.year_one_total.")),
                        float(f.get(total, "high_usd", (int, float), where="plan.year_one_total."))),
        recommendations=f.texts(p, "recommendations", where="plan.", default=[]),
        citation=f.get(p, "citation", str, where="plan."),
    )


def load_ruleset(directory: str | Path,
                 max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> RuleSet:
    """Read and validate every *.yaml rule file of `directory` (test tables live in tests/),
    each at most `max_file_bytes`: the RuleSet in the default language, the others in its
    `translations`."""
    files, version = _read(Path(directory), max_file_bytes)
    built = {}
    for lang in LANGUAGES:
        for f in files:
            f.lang = lang
        built[lang] = replace(_build(files, version), lang=lang)
    default = built.pop(DEFAULT_LANGUAGE)
    return replace(default, translations=built)


def _build(files: list[_File], version: str) -> RuleSet:
    tf = _one(files, "thresholds")
    thresholds = _thresholds(tf)
    names = _names(thresholds)
    rules: list[Rule] = []
    for f in (f for f in files if f.data["kind"] == "failure_modes"):
        for i, item in enumerate(f.get(f.data, "rules", list)):
            rule = _rule(f, item, i, thresholds, names)
            if any(r.id == rule.id for r in rules):
                raise f.fail("duplicate rule id", rule.id, "id")
            rules.append(rule)
    if not rules:
        raise RuleFileError("failure_modes", "no failure-mode rule is defined")
    rule_ids = {r.id for r in rules}
    tree = _one(files, "tree")
    steps = _steps(tree, rule_ids, names, thresholds)
    _check_places(rules, steps)
    final = tree.get(tree.data, "final_outcome", str)
    if final not in OUTCOMES:
        raise tree.fail(f"must be one of {', '.join(OUTCOMES)}", field="final_outcome")
    alternatives, trigger_rules = _alternatives(_one(files, "alternatives"), rule_ids, thresholds,
                                                names)
    return RuleSet(
        version=version,
        thresholds=thresholds,
        rules=(*rules, *trigger_rules),
        steps=steps,
        final_outcome=final,
        alternatives=alternatives,
        plan=_plan(_one(files, "plan")),
        files=tuple(f.name for f in files),
    )
