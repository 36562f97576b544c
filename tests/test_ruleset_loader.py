"""Broken rule files are refused with file, rule and field named; the last good policy stays."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest_helpers import assess
from ftgate.engine import Engine
from ftgate.engine.engine import default_rules_dir
from ftgate.errors import RuleFileError
from ftgate.ruleset import load_ruleset

# (what, file, text to replace, replacement, expected file, rule, field)
BREAKAGES = [
    ("unknown severity", "failure_modes.yaml", "severity: BLOCKER\n    step: 3",
     "severity: FATAL\n    step: 3", "failure_modes.yaml", "FM1.below-minimum", "severity"),
    ("unknown fact", "failure_modes.yaml", "{ fact: goal, eq: KNOWLEDGE }",
     "{ fact: goals, eq: KNOWLEDGE }", "failure_modes.yaml", "FM3.knowledge-goal", "when.fact"),
    ("unknown enum value", "failure_modes.yaml", "{ fact: goal, eq: KNOWLEDGE }",
     "{ fact: goal, eq: FACTS }", "failure_modes.yaml", "FM3.knowledge-goal", "when.eq"),
    ("unknown threshold", "failure_modes.yaml", "threshold: minimum_requests_per_day } }",
     "threshold: minimum_request_per_day } }", "failure_modes.yaml", "FM6.low-volume", "when.lt"),
    ("number compared with text", "failure_modes.yaml",
     "{ fact: quality_examples, lt: { fact: tree_minimum_examples } }",
     "{ fact: quality_examples, lt: many }", "failure_modes.yaml", "FM1.below-minimum", "when.lt"),
    ("template names an unknown fact", "failure_modes.yaml",
     "en: \"High latency: the real cause is the infrastructure.\"",
     "en: \"High latency: {latency_ms} ms\"", "failure_modes.yaml", "FM7.high-latency",
     "message"),
    ("French template names an unknown fact", "failure_modes.yaml",
     "fr: \"Latence élevée : la vraie cause est l'infrastructure.\"",
     "fr: \"Latence élevée : {latence_ms} ms\"", "failure_modes.yaml", "FM7.high-latency",
     "message"),
    ("missing title", "failure_modes.yaml",
     "    title:\n      en: \"The data changes too often for a frozen model\"\n"
     "      fr: \"Les données changent trop souvent pour un modèle figé\"\n", "",
     "failure_modes.yaml", "FM2.frequent-change", "title"),
    # Every text in English and French: `ftgate rules lint` refuses one missing in a language.
    ("a message without its French", "failure_modes.yaml",
     "      fr: \"Latence élevée : la vraie cause est l'infrastructure.\"\n", "",
     "failure_modes.yaml", "FM7.high-latency", "message"),
    ("a title without its English", "failure_modes.yaml",
     "      en: \"The data changes too often for a frozen model\"\n", "",
     "failure_modes.yaml", "FM2.frequent-change", "title"),
    ("a text in one language only, as before", "failure_modes.yaml",
     "    title:\n      en: \"The data changes too often for a frozen model\"\n"
     "      fr: \"Les données changent trop souvent pour un modèle figé\"\n",
     "    title: The data changes too often for a frozen model\n",
     "failure_modes.yaml", "FM2.frequent-change", "title"),
    ("an empty French text", "tree.yaml",
     "fr: \"Pouvez-vous dédier le modèle à cette tâche ?\"", "fr: \" \"", "tree.yaml", None,
     "steps[5].question.fr"),
    ("an unknown language", "tree.yaml",
     "fr: \"Pouvez-vous dédier le modèle à cette tâche ?\"",
     "fr: \"Pouvez-vous dédier le modèle à cette tâche ?\"\n      de: \"Kann...\"", "tree.yaml",
     None, "steps[5].question"),
    ("a rationale without its French", "alternatives.yaml",
     "          fr: \"Le few-shot avec vos meilleurs exemples fait partie de la checklist.\"\n",
     "", "alternatives.yaml", None, "alternatives[1].triggers[2].rationale"),
    ("details: fewer in French", "alternatives.yaml",
     "\"sélection dynamique d'exemples similaires (top-k)\"", "", "alternatives.yaml", None,
     "alternatives[1].details"),
    ("plan recommendations without French", "plan.yaml",
     "    fr:\n      - Utilisez des adaptateurs", "    de:\n      - Utilisez des adaptateurs",
     "plan.yaml", None, "plan.recommendations"),
    ("tree step blocked by an unknown rule", "tree.yaml", "blocked_by: [FM3.knowledge-goal]",
     "blocked_by: [FM3.knowledge]", "tree.yaml", "FM3.knowledge", "steps[1].blocked_by"),
    ("unknown outcome", "tree.yaml", "outcome: USE_RAG", "outcome: USE_SEARCH", "tree.yaml", None,
     "steps[1].outcome"),
    ("threshold of the wrong type", "thresholds.yaml", "minimum_requests_per_day: 10000",
     "minimum_requests_per_day: lots", "thresholds.yaml", None,
     "thresholds.minimum_requests_per_day"),
    ("alternative of unknown kind", "alternatives.yaml", "kind: AGENT_TOOLS", "kind: ROBOTS",
     "alternatives.yaml", None, "alternatives[3].kind"),
    ("plan without lora", "plan.yaml", "  lora: { r: 16", "  lorax: { r: 16", "plan.yaml", None,
     "plan.lora"),
]


def _copy_rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), target, ignore=shutil.ignore_patterns("tests"))
    return target


def _edit(directory: Path, file: str, old: str, new: str) -> None:
    path = directory / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("what", "file", "old", "new", "efile", "rule", "field"), BREAKAGES,
                         ids=[b[0] for b in BREAKAGES])
def test_broken_file_is_refused_naming_file_rule_field(tmp_path, what, file, old, new, efile,
                                                       rule, field) -> None:
    rules = _copy_rules(tmp_path)
    _edit(rules, file, old, new)
    with pytest.raises(RuleFileError) as exc:
        load_ruleset(rules)
    assert (exc.value.file, exc.value.rule, exc.value.field) == (efile, rule, field)
    assert efile in str(exc.value)


def test_the_old_number_after_the_last_step_is_refused_suggesting_after_tree(tmp_path) -> None:
    """Rule files once wrote the step after the tree's last one as a number (7 for six steps):
    now refused, naming the file, the rule and the field, with the word to write instead."""
    rules = _copy_rules(tmp_path)
    _edit(rules, "failure_modes.yaml", "id: FM7.off-topic-answers\n    failure_mode: WRONG_PROBLEM\n"
          "    severity: WARNING\n    step: after_tree", "id: FM7.off-topic-answers\n"
          "    failure_mode: WRONG_PROBLEM\n    severity: WARNING\n    step: 7")
    with pytest.raises(RuleFileError) as exc:
        load_ruleset(rules)
    assert (exc.value.file, exc.value.rule, exc.value.field) == (
        "failure_modes.yaml", "FM7.off-topic-answers", "step")
    assert "step: after_tree" in str(exc.value) and "got 7" in str(exc.value)


def test_invalid_yaml(tmp_path) -> None:
    rules = _copy_rules(tmp_path)
    (rules / "tree.yaml").write_text("kind: tree\nsteps: [unclosed\n")
    with pytest.raises(RuleFileError, match=r"tree\.yaml: is not valid YAML"):
        load_ruleset(rules)


def test_half_written_file(tmp_path) -> None:
    rules = _copy_rules(tmp_path)
    text = (rules / "failure_modes.yaml").read_text()
    (rules / "failure_modes.yaml").write_text(text[: len(text) // 2])
    with pytest.raises(RuleFileError, match=r"failure_modes\.yaml"):
        load_ruleset(rules)


def test_missing_tree_file(tmp_path) -> None:
    rules = _copy_rules(tmp_path)
    (rules / "tree.yaml").unlink()
    with pytest.raises(RuleFileError, match="kind 'tree'"):
        load_ruleset(rules)


def test_version_is_a_content_hash(tmp_path) -> None:
    rules = _copy_rules(tmp_path)
    before = load_ruleset(rules).version
    assert load_ruleset(rules).version == before
    _edit(rules, "thresholds.yaml", "minimum_requests_per_day: 10000",
          "minimum_requests_per_day: 20000")
    assert load_ruleset(rules).version != before


def test_reload_keeps_the_last_good_policy(tmp_path) -> None:
    from ftgate.domain.profile import Economics, Profile

    rules = _copy_rules(tmp_path)
    engine = Engine(rules)
    good = engine.ruleset.version
    profile = Profile(economics=Economics(requests_per_day=15000))
    assert "FM6.low-volume" not in [f.rule_id for f in assess(engine, profile).findings]
    _edit(rules, "failure_modes.yaml", "severity: BLOCKER\n    step: 3", "severity: 7\n    step: 3")
    with pytest.raises(RuleFileError):
        engine.reload()
    assert engine.ruleset.version == good
    assert assess(engine, profile).ruleset_version == good
    _edit(rules, "failure_modes.yaml", "severity: 7\n    step: 3", "severity: BLOCKER\n    step: 3")
    _edit(rules, "thresholds.yaml", "minimum_requests_per_day: 10000",
          "minimum_requests_per_day: 20000")
    assert engine.reload() is True
    assert engine.ruleset.version != good
    assert "FM6.low-volume" in [f.rule_id for f in assess(engine, profile).findings]
    assert engine.reload() is False
