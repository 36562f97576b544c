"""How figures and enum names read in messages and reports."""

from __future__ import annotations


def usd(x: float) -> str:
    """Money for people: $15,000 · $60 · $0.002."""
    if abs(x) >= 100:
        return f"${x:,.0f}"
    if abs(x) >= 1:
        return f"${x:,.2f}".replace(".00", "")
    return f"${x:g}"


def signed_usd(x: float) -> str:
    """Money that may be negative: -$100 · $728."""
    return f"-{usd(-x)}" if x < 0 else usd(x)


def label(value: str | None) -> str:
    """An enum short name for people: TEXT_GENERATION → text generation."""
    return value.lower().replace("_", " ") if value else "an unspecified task type"
