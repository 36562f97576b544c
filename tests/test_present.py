"""The presentation layer: figures by CLDR rules and one rounding rule, a label for every enum
value, and French texts that a French reader takes for French (typography, no English words but
the article's own terms)."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest
from french_text import english_words, faults
from ftgate import enums
from ftgate.api import convert
from ftgate.assessment import to_message
from ftgate.cli import report
from ftgate.engine import Engine, fact_texts, phrases
from ftgate.engine.engine import default_rules_dir
from ftgate.present import console_words, labels
from ftgate.present.numbers import numbers
from ftgate.present.rounding import shown, shown_digits
from ftgate.present.typography import NBSP, NNBSP, french
from ftgate.randomprofiles import random_profiles
from ftgate.ruletest import load_cases, profile_message
from ftgate.server.http import console_data
from test_languages import _texts

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("value", "en", "fr"), [
    (1000, "1,000", f"1{NNBSP}000"),
    (6000.0, "6,000", f"6{NNBSP}000"),
    (0.7, "0.7", "0,7"),
    (0.25, "0.25", "0,25"),
    (6.25, "6.25", "6,25"),
    (250.0, "250", "250"),
    (18.115942028985508, "18.12", "18,12"),
    (0.37037037037, "0.37", "0,37"),
    (0.0023, "0.0023", "0,0023"),
    # A figure above a whole threshold never reads as the threshold: 12.0002 months is above 12.
    (12.000166666666667, "12.0002", "12,0002"),
    (11.9999, "11.9999", "11,9999"),
    (12.0, "12", "12"),
])
def test_numbers(value: float, en: str, fr: str) -> None:
    assert (numbers("en").number(value), numbers("fr").number(value)) == (en, fr)


@pytest.mark.parametrize(("value", "en", "fr"), [
    (15000, "$15,000", f"15{NNBSP}000{NBSP}$"),
    (60.5, "$60.50", f"60,50{NBSP}$"),
    (828.4999, "$828", f"828{NBSP}$"),
    (0.002, "$0.002", f"0,002{NBSP}$"),
    (-839.0, "-$839", f"-839{NBSP}$"),
])
def test_money(value: float, en: str, fr: str) -> None:
    assert (numbers("en").money(value), numbers("fr").money(value)) == (en, fr)


def _figures(count: int, seed: int) -> list[float | int]:
    """Numbers of every size a figure takes, with many decimal ties (x.xx5) and values that sit
    just off a whole number, of both signs."""
    rng = random.Random(seed)
    values: list[float | int] = [0.0, -0.0, 1.0, 0.995, 99.995, 99.5, 100.0, 0.125, 2.675,
                                 1.005, 11.999999, 12.000001, 0.0001, 0.00012345, 1e-5, 1e20,
                                 123456789012345.67, 5]
    for _ in range(count):
        pick = rng.random()
        if pick < 0.3:
            value: float | int = rng.uniform(0, 1e6) * 10.0 ** rng.randint(-6, 2)
        elif pick < 0.5:
            value = round(rng.uniform(0, 1000), rng.randint(0, 5))
        elif pick < 0.7:  # ties of the rounding at 2, 3 and 4 decimals
            value = rng.randint(0, 10**6) / 10 ** rng.randint(2, 4) + 5 / 10 ** rng.randint(3, 5)
        elif pick < 0.8:
            value = rng.randint(0, 10**7)
        else:
            value = rng.randint(1, 100) / rng.randint(1, 10**6)
        values.append(-value if rng.random() < 0.2 else value)
    return values


def test_figures_written_from_their_digits_are_written_as_in_decimal() -> None:
    # Doubles and ints are rounded on the digits of their shortest repr; a Decimal goes
    # through decimal arithmetic. Both must write every figure alike, ties included (half up
    # on the decimal, never the binary value's rounding: 2.675 → 2.68, 0.125 → 0.13).
    values = _figures(40_000, 7)
    for lang in ("en", "fr"):
        n = numbers(lang)
        for write in (n._number, n._money, n._months):
            for value in values:
                as_decimal = Decimal(repr(value)) if type(value) is float else Decimal(value)
                assert write(value) == write(as_decimal), (lang, write.__name__, value)
    assert numbers("en").number(2.675) == "2.68" and numbers("en").money(0.125) == "$0.125"
    assert numbers("en").number(1.005) == "1.01" and numbers("en").number(11.995) == "11.995"


def test_shown_digits_is_shown() -> None:
    for value in _figures(40_000, 8):
        for whole_from in (float("inf"), 100):
            parts = shown_digits(value, whole_from)
            if parts is None:  # an exponent in its repr: shown() itself
                continue
            d = shown(value, whole_from=whole_from)
            whole, _, places = format(abs(d), "f").partition(".")
            assert parts == (d < 0, int(whole), places.rstrip("0")), (value, whole_from)


def test_months() -> None:
    assert numbers("en").months(0.25) == "0.25 months"
    assert numbers("fr").months(0.25) == f"0,25{NBSP}mois"
    assert numbers("en").months(1) == "1 month"
    assert numbers("fr").months(250.0) == f"250{NBSP}mois"


def test_every_enum_value_has_a_label_in_every_language() -> None:
    for lang in ("en", "fr"):
        assert set(labels.table(lang)) == set(labels.ENUMS)
        for name, enum in labels.ENUMS.items():
            assert set(labels.table(lang)[name]) == set(enum.names), (lang, name)
    assert labels.label(enums.VERDICT, "DO_NOT_FINE_TUNE", "fr") == "Ne pas fine-tuner"


def test_french_typography() -> None:
    assert french("VERDICT: oui ; non ? « x » 82 %") == \
        f"VERDICT{NBSP}: oui{NNBSP}; non{NNBSP}? «{NBSP}x{NBSP}» 82{NNBSP}%"
    assert french("{x:usd} : https://ftgate.dev 12:00") == \
        f"{{x:usd}}{NBSP}: https://ftgate.dev 12:00"  # a field's spec, a URL, a time: left


def test_the_checks_catch_what_the_issue_saw() -> None:
    """The texts of the issue fail the checks that the French texts pass."""
    assert faults("VERDICT: DO NOT FINE TUNE")
    assert faults("Avec requêtes/jour : au moins 10,000")  # plain space before ':'
    assert english_words("le seuil de rentabilité de $12,000 investis est atteint after 80 mois")
    assert english_words("Yes. Le modèle de base obtient 0.82")
    assert not english_words("Le few-shot prompting et le prompt engineering, le RAG.")
    assert faults("précision sur la tâche cible")  # accuracy is « exactitude »


def _french_sources() -> list[str]:
    """Every French text as written: rule files, fact texts, phrases, labels, report words."""
    fr = Engine().ruleset.in_language("fr")
    texts = [s.question for s in fr.steps] + [s.pass_reason for s in fr.steps]
    for r in fr.rules:
        texts += [r.title, r.message, r.recommendation]
    for a in fr.alternatives:
        texts += [t.rationale for t in a.triggers] + list(a.details)
    texts += [*fr.plan.validation_tasks, *fr.plan.metrics, *fr.plan.recommendations,
              *(item for item, _, _ in fr.plan.year_one_costs)]
    for value in fact_texts.WORDS["fr"].values():
        if isinstance(value, dict):
            texts += value.values()
        elif isinstance(value, tuple):
            texts += map(str, value)
        elif not isinstance(value, int):
            texts.append(str(value))
    texts += phrases.words("fr").values()
    texts += phrases.field_names("fr").values()
    texts += [v for table in labels.table("fr").values() for v in table.values()]
    texts += [french(t) for t in report._LABELS["fr"].values()]
    # The console: its page's words, its ROI table's and chart's.
    texts += [french(t) for t in console_words.WORDS["fr"].values()]
    texts += [french(t) for t in console_words.FIELD_HELP["fr"].values()]
    texts += [french(t) for table in (console_data._ROWS["fr"], console_data._CHART["fr"])
              for t in table.values()]
    return texts


def test_every_french_source_text_is_french() -> None:
    found = [fault for text in _french_sources() for fault in faults(french(text).strip())]
    assert not found, "\n".join(found)


def _answers(engine: Engine) -> list[tuple[str, str]]:
    """(French text, where it comes from) for French answers to many profiles."""
    cases = [profile_message(c.profile) for c in load_cases(default_rules_dir() / "tests")]
    out = []
    for project in cases + random_profiles(150, seed=11):
        try:
            profile = convert.profile_from_proto(project)
        except ValueError:
            continue
        a = to_message(engine.decide(profile, explain=True, lang="fr"), "id")
        out.append((report.render_report(a, "fr"), profile.name or "?"))
        # Each text of the answer as it is sent (the console shows them as they are).
        out.append(("\n\n\n\n" + "\n".join(_texts(a)), (profile.name or "?") + " (answer)"))
    return out


def test_every_french_answer_is_french(engine: Engine) -> None:
    """Rendered: the figures, labels and sentences of whole reports, as a reader sees them."""
    found = []
    for text, name in _answers(engine):
        for line in text.splitlines()[3:]:  # (below the title and ids)
            found += [f"{name}: {fault}" for fault in faults(line.strip())]
    assert not found, "\n".join(sorted(set(found))[:40])


def test_the_golden_french_reports_are_french() -> None:
    for path in sorted((REPO / "examples").glob("*.fr.out.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()[4:]
        found = [f for line in lines for f in faults(line.strip())]
        assert not found, f"{path.name}:\n" + "\n".join(found)


def test_a_template_with_an_unknown_spec_is_refused(tmp_path: Path) -> None:
    import shutil

    from test_cli import ftgate

    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    path = rules / "failure_modes.yaml"
    text = path.read_text(encoding="utf-8")
    written = "{savings_per_request_usd:usd} saved per request"
    assert written in text
    path.write_text(text.replace(written, "{savings_per_request_usd:dollars} saved per request"),
                    encoding="utf-8")
    run = ftgate("rules", "lint", "--rules", str(rules))
    assert run.returncode == 2
    assert "rule FM6.small-savings: field message.en" in run.stderr or \
        "FM6.small-savings" in run.stderr, run.stderr
    assert "unknown format 'dollars' (expected nothing, usd or months)" in run.stderr, run.stderr


def test_a_figure_at_a_boundary_reads_as_what_the_rules_compared(engine: Engine) -> None:
    """$0.002 × 20,833 requests/day: $15,000 breaks even in 12.0002 months, which fails the
    12-month maximum; the message must not say "12 months, above the maximum of 12 months"."""
    from ftgate.domain.profile import Economics

    base = convert.profile_from_proto(profile_message({
        "taskType": "TASK_TYPE_STYLE_TONE", "goal": "GOAL_STYLE", "qualityExamples": 6000,
        "dataChangeFrequency": "CHANGE_FREQUENCY_STATIC", "dedicatedModel": True,
        "baseModelScore": 0.7, "targetScore": 0.85,
        "promptEngineering": {"promptVariationsTested": 12, "fewShotTried": True,
                              "moreCapableModelTried": True}}))
    import dataclasses

    for lang, said in (("en", "breaks even after 12.0002 months, above the maximum of 12 months"),
                       ("fr", f"amortis en 12,0002{NBSP}mois, au-delà du maximum de 12{NBSP}mois")):
        profile = dataclasses.replace(base, economics=Economics(20_833, 0.002, 15_000, None))
        d = engine.decide(profile, lang=lang)
        (message,) = [f.message for f in d.findings if f.rule_id == "FM6.slow-break-even"]
        assert said in message, message
        passing = dataclasses.replace(base, economics=Economics(20_834, 0.002, 15_000, None))
        assert engine.decide(passing, lang=lang).verdict == "FINE_TUNE"
