"""The counterfactuals' sentences are written by one Phrases per language, which keeps each
change as written (engine/phrases.py): after thousands of changes, what it says is what a fresh
Phrases writes, for every change of the random profiles' counterfactuals and for values equal
as numbers but not alike (0.0 and -0.0, True and 1.0, an absent value)."""

from __future__ import annotations

import pytest
from ftgate.domain.decision import FieldChange
from ftgate.engine import Engine
from ftgate.engine.phrases import Phrases, phrases
from ftgate.randomprofiles import valid_profiles


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_kept_sentences_are_those_written_afresh(engine: Engine, lang: str) -> None:
    kept = phrases(lang)
    written = 0
    for profile in valid_profiles(600, seed=401):
        decision = engine.decide(profile, explain=True, lang=lang)
        for c in decision.explanations.counterfactuals:
            for changes in (c.changes, c.changes[:1], c.changes[::-1]):
                said = kept.counterfactual(changes, c.verdict)
                assert said == Phrases(lang).counterfactual(changes, c.verdict)
                assert said == kept.counterfactual(changes, c.verdict)
                written += 1
    assert written > 500


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize(("first", "then"), [
    (FieldChange("economics.requests_per_day", 0.0, 500.0),
     FieldChange("economics.requests_per_day", -0.0, 500.0)),
    (FieldChange("economics.requests_per_day", 1.0, 500.0),
     FieldChange("economics.requests_per_day", True, 500.0)),
    (FieldChange("economics.requests_per_day", 1.0, 500.0),
     FieldChange("economics.requests_per_day", None, 500.0)),
    (FieldChange("economics.requests_per_day", 500.0, 1.0),
     FieldChange("economics.requests_per_day", 500.0, 0.0)),
    (FieldChange("symptoms", ["HALLUCINATION"], []),
     FieldChange("symptoms", ["HALLUCINATION", "FORMAT_DRIFT"], [])),
])
def test_values_alike_as_numbers_are_written_as_they_are(lang: str, first: FieldChange,
                                                         then: FieldChange) -> None:
    kept = phrases(lang)
    for change in (first, then, first):
        assert kept.counterfactual([change], "FINE_TUNE") == \
            Phrases(lang).counterfactual([change], "FINE_TUNE")
