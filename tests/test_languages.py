"""English and French: every text of an Assessment exists in both; the caller chooses with
`accept-language` (gRPC metadata) or `ftgate check --lang fr`; English is the default."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ftgate.api import convert, language
from ftgate.assessment import to_message
from ftgate.engine import Engine
from ftgate.engine.engine import default_rules_dir
from ftgate.randomprofiles import random_profiles
from ftgate.ruletest import load_cases, profile_message
from ftgate.server.grpc import assessments
from ftgate.v1 import advisor_pb2 as pb
from serverproc import REPO
from test_cli import ftgate

CASES = [profile_message(case.profile) for case in load_cases(default_rules_dir() / "tests")]
EXAMPLES = REPO / "examples"


@pytest.mark.parametrize(("header", "lang"), [
    (None, "en"), ("", "en"), ("fr", "fr"), ("fr-FR", "fr"), ("FR-ca", "fr"),
    ("fr-FR,fr;q=0.9,en;q=0.8", "fr"), ("en-GB,fr;q=0.5", "en"), ("de,fr;q=0.3", "fr"),
    ("de", "en"), ("*", "en"), ("fr;q=0, en", "en"), ("fr;q=nonsense", "en"),
    ("en;q=0.5,fr;q=0.5", "en"),
])
def test_accept_language(header: str | None, lang: str) -> None:
    assert language.choose(header) == lang


def _texts(a: pb.Assessment) -> list[str]:
    out = [s.question for s in a.decision_path] + [s.reason for s in a.decision_path]
    for f in a.findings:
        out += [f.title, f.message, f.recommendation]
    for alt in a.alternatives:
        out += [alt.rationale, *alt.details]
    if a.HasField("plan"):
        out += [*a.plan.validation_tasks, *a.plan.metrics, *a.plan.recommendations,
                *(c.item for c in a.plan.year_one_costs)]
    out += [c.summary for c in a.counterfactuals]
    out += [o.description for m in a.missing_field_outcomes for o in m.outcomes]
    return out


# Texts the same in both languages: the names of models, and a few words French uses as is.
_SAME = {"reranking", "e-mail", "CodeLlama", "StarCoder", "DeepSeek-Coder", "Med-PaLM",
         "BioMistral", "Legal-BERT", "Saul-7B", "FinGPT", "BloombergGPT", "SQLCoder", "NSQL",
         "validation et tests"}


def test_every_text_exists_in_french(engine: Engine) -> None:
    seen = 0
    for project in CASES + random_profiles(120, seed=5):
        try:
            profile = convert.profile_from_proto(project)
        except ValueError:
            continue
        en = to_message(engine.decide(profile, explain=True), "")
        fr = to_message(engine.decide(profile, explain=True, lang="fr"), "")
        # Same decision, other words.
        assert (fr.verdict, fr.outcome, [f.rule_id for f in fr.findings]) == \
            (en.verdict, en.outcome, [f.rule_id for f in en.findings])
        words = en.roi.positive_roi_criteria, fr.roi.positive_roi_criteria
        assert bool(words[0]) == bool(words[1]) and (not words[0] or words[0] != words[1])
        for a in (en, fr):  # (the figures are the same; the words are each language's)
            a.roi.ClearField("positive_roi_criteria")
        assert fr.roi == en.roi
        for english, french in zip(_texts(en), _texts(fr), strict=True):
            if english not in _SAME and not english.endswith("→ FINE_TUNE") \
                    and "NEEDS_INFORMATION" not in english and "DO_NOT_FINE_TUNE" not in english:
                assert english != french, english
            seen += 1
    assert seen > 2_000


def test_the_writer_agrees_in_french(engine: Engine) -> None:
    writer = assessments.writer_for(engine.policy, "fr")
    assert writer is not assessments.writer_for(engine.policy)  # heads hold titles and questions
    for project in CASES + random_profiles(200, seed=9):
        try:
            profile = convert.profile_from_proto(project)
        except ValueError:
            continue
        for explain in (False, True):
            decision = engine.decide(profile, explain=explain, lang="fr")
            message = to_message(decision, "id")
            assert assessments.assessment("id", writer.body(decision)) == \
                message.SerializeToString(deterministic=True)


def test_the_article_terms(engine: Engine) -> None:
    fr = engine.ruleset.in_language("fr")
    words = " ".join([r.title + " " + r.message + " " + r.recommendation for r in fr.rules]
                     + [t.rationale for a in fr.alternatives for t in a.triggers]
                     + list(fr.plan.recommendations))
    for term in ("RAG", "few-shot", "oubli catastrophique", "seuil de rentabilité",
                 "réentraînement", "prompt engineering", "adaptateurs (LoRA)"):
        assert term in words, term


def test_over_grpc_with_accept_language(stub) -> None:  # type: ignore[no-untyped-def]
    project = profile_message({"goal": "GOAL_KNOWLEDGE", "dedicatedModel": False})
    request = pb.EvaluateRequest(project=project)
    english = stub.Evaluate(request, timeout=30).assessment
    french = stub.Evaluate(request, timeout=30,
                           metadata=[("accept-language", "fr-FR,fr;q=0.9")]).assessment
    again = stub.Evaluate(request, timeout=30, metadata=[("accept-language", "de")]).assessment
    titles = {f.rule_id: f.title for f in french.findings}
    assert titles["FM3.knowledge-goal"] == "Le fine-tuning enseigne un format, pas des faits"
    assert {f.rule_id: f.title for f in english.findings}["FM3.knowledge-goal"] == \
        "Fine-tuning teaches format, not facts"
    assert [f.title for f in again.findings] == [f.title for f in english.findings]
    batch = stub.EvaluateBatch(pb.EvaluateBatchRequest(projects=[project], explain=True),
                               timeout=30, metadata=[("accept-language", "fr")]).assessments[0]
    assert [f.title for f in batch.findings] == [f.title for f in french.findings]
    assert batch.counterfactuals[0].summary.startswith("Avec ")


def test_check_lang_fr_and_the_golden_reports() -> None:
    examples = sorted(EXAMPLES.glob("*.yaml")) + sorted(EXAMPLES.glob("*.json"))
    for path in examples:
        golden = path.with_suffix(".fr.out.txt")
        assert golden.exists(), f"{golden.name} is missing: run make docs"
        text = golden.read_text(encoding="utf-8")
        assert f"$ ftgate check examples/{path.name} --lang fr" in text
        assert "Évaluation ftgate du projet" in text
    run = ftgate("check", str(EXAMPLES / "low-volume-roi.yaml"), "--lang", "fr")
    assert run.returncode == 3
    assert "Le volume ne justifie pas l'investissement" in run.stdout
    assert ftgate("check", str(EXAMPLES / "low-volume-roi.yaml"),
                  "--lang", "de").returncode == 2


def test_lint_refuses_a_text_missing_in_one_language(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    path = rules / "failure_modes.yaml"
    text = path.read_text(encoding="utf-8")
    line = "      fr: \"Le volume ne justifie pas l'investissement\"\n"
    assert line in text
    path.write_text(text.replace(line, ""), encoding="utf-8")
    run = ftgate("rules", "lint", "--rules", str(rules))
    assert run.returncode == 2
    assert ("failure_modes.yaml: rule FM6.low-volume: field title: the text in 'fr' is missing"
            in run.stderr), run.stderr


def test_check_on_a_server_in_french(server) -> None:  # type: ignore[no-untyped-def]
    run = ftgate("check", str(EXAMPLES / "low-volume-roi.yaml"), "--server", server.address,
                 "--lang", "fr")
    assert run.returncode == 3, run.stderr
    assert "Le volume ne justifie pas l'investissement" in run.stdout
    assert "Ce qui changerait le verdict" in run.stdout  # explanations asked for by default
    plain = ftgate("check", str(EXAMPLES / "low-volume-roi.yaml"), "--server", server.address,
                   "--no-explain")
    assert "What would change the verdict" not in plain.stdout
