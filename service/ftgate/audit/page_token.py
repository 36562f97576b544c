"""Page tokens of ListDecisions: opaque, bounded and tamper-evident.

A token says where the next page starts (the time and id of the last decision sent) and for
which filters it was made. It is signed with HMAC-SHA256 under a key kept in the audit database
itself, so that every process serving the same file accepts the tokens of the others, and a
token is checked (size first, then signature) before any of its content is read: a client can
neither craft a position nor make the server parse something it did not write.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct

# version (1 byte), decided_at_us (signed 64-bit), filter digest (8 bytes), then the decision id
_HEAD = struct.Struct(">Bq8s")
_VERSION = 1
_MAC_BYTES = 16
_MAX_ID_BYTES = 64
# A token is at most this long; anything longer is refused before it is decoded.
MAX_TOKEN_CHARS = 4 * (_HEAD.size + _MAX_ID_BYTES + _MAC_BYTES + 2) // 3
_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")


class BadPageToken(ValueError):
    """A page token this store did not make (or made for other filters)."""


def filter_digest(key: str) -> bytes:
    """A short digest of a listing's filters, carried in its tokens."""
    return hashlib.sha256(key.encode()).digest()[:8]


def make_token(secret: bytes, filters: bytes, decided_at_us: int, decision_id: str) -> str:
    raw_id = decision_id.encode()
    if len(raw_id) > _MAX_ID_BYTES:  # never happens with UUIDs; refuse rather than overflow
        raise ValueError(f"decision id of {len(raw_id)} bytes")
    body = _HEAD.pack(_VERSION, decided_at_us, filters) + raw_id
    mac = hmac.new(secret, body, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(body + mac).decode().rstrip("=")


def read_token(secret: bytes, filters: bytes, token: str) -> tuple[int, str]:
    """The (decided_at_us, decision_id) a token points after; BadPageToken when it is not one
    this store made for these filters."""
    if len(token) > MAX_TOKEN_CHARS:
        raise BadPageToken(f"longer than {MAX_TOKEN_CHARS} characters: not a page token")
    if not _ALPHABET.fullmatch(token):
        raise BadPageToken("not a page token (characters outside base64url)")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        raise BadPageToken("not a page token (bad base64url)") from None
    body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if len(body) < _HEAD.size:
        raise BadPageToken("not a page token (too short)")
    expected = hmac.new(secret, body, hashlib.sha256).digest()[:_MAC_BYTES]
    if not hmac.compare_digest(mac, expected):
        raise BadPageToken("not a page token of this audit log (altered, or made elsewhere)")
    version, at, digest = _HEAD.unpack_from(body)
    if version != _VERSION:
        raise BadPageToken(f"page token of an unknown version {version}")
    if not hmac.compare_digest(digest, filters):
        raise BadPageToken("page token of another listing (filters changed?)")
    try:
        return at, body[_HEAD.size:].decode()
    except UnicodeDecodeError:
        raise BadPageToken("not a page token (bad decision id)") from None
