"""French typography (docs/presentation.md): a no-break space before `:` and a narrow one before
`;` `?` `!` and `%`, no-break spaces inside `« »`. Texts are written with plain spaces, or none
(`Pourquoi ?`, `VERDICT :`): `french` puts the right ones in. The fields of a template
(`{name:spec}`) are left as they are.
"""

from __future__ import annotations

import re

NBSP, NNBSP = "\u00a0", "\u202f"
_SPACES = " \u00a0\u202f"

# A punctuation mark that ends a word or a field, followed by a space, a closing mark or the end.
# (or a separator alone, " ; ", that goes between two texts)
_COLON = re.compile(rf"(?:(?<=[^\s(«])|^(?=[{_SPACES}]))[{_SPACES}]*:(?=[\s)»\"]|$)")
_HIGH = re.compile(rf"(?:(?<=[^\s(«])|^(?=[{_SPACES}]))[{_SPACES}]*([;?!])(?=[\s)»\"]|$)")
_PERCENT = re.compile(rf"(?<=\d)[{_SPACES}]*%")
_OPEN = re.compile(rf"«[{_SPACES}]*")
_CLOSE = re.compile(rf"[{_SPACES}]*»")
_FIELD = re.compile(r"\{[^{}]*\}")


def french(text: str) -> str:
    """`text` with the spaces French typography puts around punctuation."""
    fields: list[str] = []

    def keep(m: re.Match[str]) -> str:
        fields.append(m.group(0))
        return f"\x00{len(fields) - 1}\x01"

    out = _FIELD.sub(keep, text) if "{" in text else text
    out = _COLON.sub(NBSP + ":", out)
    out = _HIGH.sub(lambda m: NNBSP + m.group(1), out)
    out = _PERCENT.sub(NNBSP + "%", out)
    out = _OPEN.sub("«" + NBSP, out)
    out = _CLOSE.sub(NBSP + "»", out)
    if fields:
        out = re.sub("\x00(\\d+)\x01", lambda m: fields[int(m.group(1))], out)
    return out


def in_language(text: str, lang: str) -> str:
    """`text` with the typography of `lang` (French: `french`; English: as it is)."""
    return french(text) if lang == "fr" else text


def problems(text: str) -> list[str]:
    """What breaks French typography in `text` (a finished text, fields rendered)."""
    found = []
    for m in re.finditer(r"(.)([:;?!])(?=[\s)»\"]|$)", text):
        before, mark = m.group(1), m.group(2)
        wanted = NBSP if mark == ":" else NNBSP
        if before not in (NBSP, NNBSP) or (mark != ":" and before != wanted):
            found.append(f"{mark!r} needs a {'no-break' if mark == ':' else 'narrow no-break'} "
                         f"space before it: …{text[max(0, m.start() - 20):m.end() + 5]}…")
    for m in re.finditer(r"«(.)|(.)»", text):
        if NBSP not in (m.group(1) or m.group(2)):
            found.append(f"« » need no-break spaces inside: …{text[max(0, m.start() - 10):m.end() + 10]}…")
    if re.search(r"(?<!\w)[\"“”](?=\w)", text):
        found.append(f"quotes are « », not \": {text[:60]}")
    return found
