"""Vietnamese text normalisation: NFC, tone-mark placement and accent folding.

Three views of the same text, used throughout the project:

* ``clean(text)``      — NFC, non-breaking and odd spaces turned into plain spaces, trimmed.
* ``accent_key(text)`` — lower case with the tone mark of "oa", "oe", "uy" in one place, so that
  the old and new placement styles ("Hóa"/"Hoá", "Thủy"/"Thuỷ") compare equal while accents
  still tell "Lâm Đồng" from "làm đồng". Used to match accented text.
* ``fold(text)``       — lower case with every diacritic removed and đ→d. Used to match text
  typed without accents.

Both keys keep the length of NFC Vietnamese text (every Vietnamese letter has a precomposed
form), so offsets found in a key point at the same characters in ``clean(text)``.
"""

from __future__ import annotations

import re
import unicodedata

_ODD_SPACES = re.compile(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff\t\r\f\v]")
_SPACE_RUNS = re.compile(r" {2,}")
_LINE_EDGES = re.compile(r" ?\n ?")
_COMBINING = re.compile(r"[\u0300-\u036f]")
_NOT_ASCII_NOR_MARK = re.compile(r"[^\x00-\x7f\u0300-\u036f]")


def clean(text: str) -> str:
    """NFC-normalise, turn exotic spaces into plain ones, collapse runs of spaces, trim lines."""
    # Each step is one pass in C; this runs on every item of every feed.
    text = unicodedata.normalize("NFC", text or "")
    text = _ODD_SPACES.sub(" ", text)
    if "  " in text:
        text = _SPACE_RUNS.sub(" ", text)
    if "\n" in text:
        text = _LINE_EDGES.sub("\n", text)
    return text.strip(" \n")


# The five Vietnamese tone marks (the sixth tone has no mark).
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")

# The tone mark of "oa", "oe", "uy" sits on the first vowel in the old style ("hóa", "thủy") and
# on the second in the new one ("hoá", "thuỷ"); the key always puts it on the second.
_TONED = {"\u0300": "àèỳ", "\u0301": "áéý", "\u0303": "ãẽỹ", "\u0309": "ảẻỷ", "\u0323": "ạẹỵ"}
_OLD_STYLE = {
    unicodedata.normalize("NFC", first + tone) + second: first + toned
    for tone, targets in _TONED.items()
    for (first, second), toned in zip(("oa", "oe", "uy"), targets, strict=True)
}
_OLD_STYLE_PATTERN = re.compile("|".join(_OLD_STYLE))


def accent_key(text: str) -> str:
    """Lower-cased NFC text with the tone of oa/oe/uy on the second vowel (one style for both)."""
    return _OLD_STYLE_PATTERN.sub(lambda m: _OLD_STYLE[m.group()], clean(text).lower())


def fold(text: str) -> str:
    """Lower-cased text without any diacritics; đ folds to d."""
    decomposed = unicodedata.normalize("NFD", clean(text).lower().replace("đ", "d"))
    if _NOT_ASCII_NOR_MARK.search(decomposed) is None:
        # Only ASCII letters and their marks: dropping every non-ASCII code point is exact, and
        # several times faster than a regex substitution per mark.
        return decomposed.encode("ascii", "ignore").decode("ascii")
    return _COMBINING.sub("", decomposed)


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese accent (or đ)."""
    return fold(text) != clean(text).lower()


def slugify(text: str) -> str:
    """ASCII slug: "Bà Rịa – Vũng Tàu" → "ba-ria-vung-tau"."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
