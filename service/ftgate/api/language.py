"""The language of an answer, from the caller's `accept-language` (gRPC metadata, or the HTTP
header of the same name): the supported language with the highest quality, English when none
is (a caller is never refused for its language preferences, as HTTP servers do)."""

from __future__ import annotations

from ftgate.languages import DEFAULT_LANGUAGE, LANGUAGES

HEADER = "accept-language"


def choose(header: str | None) -> str:
    """`fr-FR,fr;q=0.9,en;q=0.8` → "fr"; "de" → "en"; None → "en"."""
    if not header:
        return DEFAULT_LANGUAGE
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for position, item in enumerate(header.split(",")[:32]):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q - position * 1e-6  # ties: the first listed
    return best


def from_metadata(metadata: object) -> str:
    """The language asked for in a call's invocation metadata (key/value pairs)."""
    for key, value in metadata or ():  # type: ignore[attr-defined]
        if key == HEADER:
            return choose(value if isinstance(value, str) else None)
    return DEFAULT_LANGUAGE
