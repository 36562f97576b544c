"""Numbers, money and durations written as each language writes them, by the CLDR rules Babel
carries: `1,000` · `0.7` · `$15,000` · `250 months` in English, `1 000` (a narrow no-break
space) · `0,7` · `15 000 $` · `250 mois` in French. Figures are rounded first, by the one rule
of ftgate.present.rounding.

Formatting is on the request path. Babel's own functions look the locale's data up and parse
a pattern at every call (some 50 µs): here the locale's symbols, grouping and currency pattern
are read from Babel once per language, the digits are written by Python's decimal formatting
with them, and the figures written recently are kept (an evaluation writes a few, often the
same ones).
"""

from __future__ import annotations

import functools
from decimal import Decimal

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern

from ftgate.present.rounding import decimals, shown, shown_digits

# Babel's locale for each language ftgate answers in.
_LOCALES = {"en": "en_US", "fr": "fr_FR"}
_MONTHS = {"en": ("month", "months"), "fr": ("mois", "mois")}
_NBSP = "\u00a0"


@functools.cache
def _locale(lang: str) -> Locale:
    return Locale.parse(_LOCALES[lang])


@functools.lru_cache(maxsize=64)
def _pattern(places: int, fixed: bool) -> NumberPattern:
    """`#,##0` with `places` decimals (all shown when `fixed`, else trailing zeros dropped)."""
    return parse_pattern("#,##0" + ("." + ("0" if fixed else "#") * places if places else ""))


_KEPT = 4096  # figures written, kept per language and kind


class Numbers:
    """The number formats of one language."""

    __slots__ = ("_after", "_fast", "_locale", "_minus", "_prefix", "_symbols", "lang", "money",
                 "months", "number")

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._locale = _locale(lang)
        symbols = self._locale.number_symbols["latn"]
        # Python writes "1,234.5"; the locale's group and decimal signs replace those.
        group, point = str(symbols["group"]), str(symbols["decimal"])
        self._symbols = (None if (group, point) == (",", ".")
                         else str.maketrans({",": group, ".": point}))
        decimal = self._locale.decimal_formats[None]
        self._fast = decimal.grouping == (3, 3) and self._locale.number_symbols.get(
            "minimumGroupingDigits", 1) in (1, "1")
        currency = self._locale.currency_formats["standard"].pattern
        # Where the currency sign goes, as the locale writes it: "¤#,##0.00" → "$1", and
        # "#,##0.00 ¤" → "1 $" (its space kept, a no-break one).
        self._prefix = currency.lstrip().startswith("¤")
        self._after = currency[currency.rindex("0") + 1:currency.index("¤")].replace(" ", _NBSP) \
            if not self._prefix else ""
        self._minus = str(self._locale.number_symbols["latn"]["minusSign"])

        self.number = functools.lru_cache(maxsize=_KEPT)(self._number)
        self.money = functools.lru_cache(maxsize=_KEPT)(self._money)
        self.months = functools.lru_cache(maxsize=_KEPT)(self._months)

    def _digits(self, d: Decimal, places: int) -> str:
        """|d| with `places` decimals (as many as it has, trailing zeros kept), grouped."""
        d = abs(d)
        if self._fast:
            text = f"{d:,.{places}f}"
            return text if self._symbols is None else text.translate(self._symbols)
        pattern = _pattern(places, True)
        return str(pattern.apply(d, self._locale))

    def _grouped(self, whole: int, places: str) -> str:
        """`whole` grouped, then `places` (the decimals, as digits), in the language's signs."""
        text = f"{whole:,}.{places}" if places else f"{whole:,}"
        return text if self._symbols is None else text.translate(self._symbols)

    def _number(self, value: float | int | Decimal) -> str:
        """A figure, rounded by the rule: 20,833 · 6.25 · 0.002 (French: 20 833 · 6,25)."""
        parts = (shown_digits(value) if self._fast and not isinstance(value, Decimal)
                 else None)
        if parts is not None:
            negative, whole, places = parts
            text = self._grouped(whole, places)
            return f"{self._minus}{text}" if negative else text
        d = shown(value)
        text = self._digits(d, decimals(d))
        return f"{self._minus}{text}" if d < 0 else text

    def _money(self, value: float | int | Decimal) -> str:
        """US dollars: $15,000 · $60.50 · $0.002 (French: 15 000 $ · 60,50 $ · 0,002 $)."""
        parts = (shown_digits(value, whole_from=100)
                 if self._fast and not isinstance(value, Decimal) else None)
        if parts is not None:
            negative, whole, places = parts
            # (cents in full: $60.50, not $60.5)
            text = self._grouped(whole, places + "0" if len(places) == 1 else places)
        else:
            d = shown(value, whole_from=100)
            count = decimals(d)
            text = self._digits(d, 2 if count == 1 or (count == 2 and abs(d) >= 1) else count)
            negative = d < 0
        sign = self._minus if negative else ""
        return f"{sign}${text}" if self._prefix else f"{sign}{text}{self._after}$"

    def _months(self, value: float | int | Decimal) -> str:
        """A duration in months: 0.25 months · 1 month · 6,25 mois."""
        one, many = _MONTHS[self.lang]
        space = _NBSP if self.lang == "fr" else " "
        return f"{self.number(value)}{space}{one if value == 1 else many}"

    def shown(self, value: float | int | Decimal) -> Decimal:
        """The value a figure reads as (for a chart that draws what the text says)."""
        return shown(value)


@functools.cache
def numbers(lang: str) -> Numbers:
    """The number formats of `lang` (one object per language)."""
    return Numbers(lang)
