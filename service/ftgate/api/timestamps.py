"""RFC 3339 timestamps as people write them (`since=` of GET /v1/decisions, the CLI's --since):
what is accepted, and what a bad one is told.

Accepted: `YYYY-MM-DDTHH:MM:SS[.fraction]` then `Z` or an offset `±HH:MM` within ±14:00 (the
widest offset in use on Earth). A `T` may be a space. The CLI also takes a time without offset
(UTC); the API does not.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_FORM = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
                   r"(?:([Zz])|([+-])(\d{2}):(\d{2}))?$")
MAX_OFFSET = timedelta(hours=14)
EXAMPLE = "2026-01-31T12:00:00Z"


class BadTimestamp(ValueError):
    """Not an RFC 3339 timestamp; the message says what was expected and what was found."""


def _bad(text: str, why: str) -> BadTimestamp:
    shown = text if len(text) <= 40 else text[:40] + "…"
    return BadTimestamp(f"expected an RFC 3339 timestamp such as {EXAMPLE} (offset Z or "
                        f"within ±14:00); found {shown!r}: {why}")


def parse(text: str, offset_required: bool = True) -> tuple[datetime, int]:
    """The time (aware, UTC, to the microsecond) and its nanoseconds within the second;
    BadTimestamp otherwise.
    Without `offset_required`, a time without an offset is UTC."""
    m = _FORM.match(text.strip())
    if m is None:
        raise _bad(text, "not of the form YYYY-MM-DDTHH:MM:SS[.fraction]Z or ±HH:MM")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction, zulu, sign, off_h, off_m = m.group(7), m.group(8), m.group(9), m.group(10), \
        m.group(11)
    if not (zulu or sign) and offset_required:
        raise _bad(text, "no time zone offset (Z or ±HH:MM)")
    offset = timedelta(0)
    if sign:
        if int(off_m) > 59:
            raise _bad(text, f"the offset minutes {off_m} are not 00 to 59")
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        if offset > MAX_OFFSET:
            raise _bad(text, f"the offset {sign}{off_h}:{off_m} is outside ±14:00")
        offset = -offset if sign == "-" else offset
    if second == 60:
        raise _bad(text, "a leap second (:60) cannot be represented")
    nanos = int((fraction or "0").ljust(9, "0"))
    try:
        local = datetime(year, month, day, hour, minute, second, nanos // 1000,
                         tzinfo=timezone(offset))
    except ValueError:
        raise _bad(text, "no such date or time of day") from None
    try:
        when = local.astimezone(UTC)
    except OverflowError:
        raise _bad(text, "outside the years 0001 to 9999 in UTC") from None
    return when, nanos


def to_json(text: str) -> str:
    """The timestamp in the canonical form of google.protobuf.Timestamp JSON (UTC, `Z`)."""
    when, nanos = parse(text)
    fraction = f".{nanos:09d}" if nanos else ""
    return when.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"
