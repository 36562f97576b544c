"""What a French text must not have: typography that is not French (ftgate.present.typography)
and English words, but for the terms the source article itself writes in English."""

from __future__ import annotations

import re

from ftgate.present.typography import problems

# The terms the article uses in English (when_fine_tuning_is_a_bad_idea, French edition), and
# names and code the texts quote.
GLOSSARY_PHRASES = ("catastrophic forgetting", "break-even analysis", "chain of thought",
                    "data scientist", "prompt engineering", "self-consistency", "few-shot",
                    "fine-tuning", "prompt caching", "prompt système", "top-k",
                    "cache_control ephemeral")

# English words a French text must not hold (function words and the words of ftgate's English
# texts), none of them a French word too (an, or, base, score, style, verdict, plan are left
# out). The article's English terms are taken out first.
_ENGLISH_WORDS = """
the and of to is was be been not with for this that these those from into at by it its then
than when which who what would could should will can may must has have had does did done yes no
unknown true false none month months year years day days request requests saving savings saved
invested invest break breaks breaking even value after before above below under over more less
least most retraining retrain data changing frequent frequently yearly quarterly monthly weekly
daily static never unpredictably model models target meets meet quality example examples
recommended task tasks goal knowledge behaviour behavior outcome blocker warning finding
findings step path needed missing decision ruleset answer answers general capability
capabilities summarisation accuracy cost costs tried given now what would fewest first relevant
watch degraded baseline
"""
ENGLISH = frozenset(_ENGLISH_WORDS.split())

_WORD = re.compile(r"[A-Za-zÀ-ÿ'’-]+")


# Code a text quotes: the fields of a template, a profile file's own key names.
_CODE = re.compile(r"\{[^{}]*\}|\(dans le fichier\s*:[^)]*\)")


def english_words(text: str) -> list[str]:
    """The English words of `text`, outside the glossary and the code it quotes."""
    lowered = _CODE.sub(" X ", text).lower()
    for phrase in GLOSSARY_PHRASES:
        lowered = lowered.replace(phrase, " ")
    found = []
    for token in lowered.split():
        if re.search(r"[_=/.\\[\]]|\d", token.strip(".,;:!?()«»")):  # code, ids, figures
            continue
        for word in _WORD.findall(token):
            word = word.strip("'’-")
            if word in ENGLISH:
                found.append(word)
    return found


# False friends: French words that do not mean what the English one does ("accuracy" is
# « exactitude »; "inconsistent" is « incohérent »).
FALSE_FRIENDS = ("précision", "inconsistant")


def faults(text: str) -> list[str]:
    """Everything wrong with one French text (a separator alone, ` : `, is not a text)."""
    if not re.search(r"\w", text):
        return []
    out = problems(_CODE.sub("X", text))
    words = english_words(text)
    if words:
        out.append(f"English words {words}: {text[:90]}")
    out += [f"false friend {w!r}: {text[:90]}" for w in FALSE_FRIENDS
            if w in _CODE.sub(" ", text).lower()]
    return out
