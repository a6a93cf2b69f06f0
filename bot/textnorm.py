"""Vietnamese text normalisation: NFC, tone-mark placement and accent folding.

Three views of the same text, used throughout the project:

* ``clean(text)``      — NFC, non-breaking and odd spaces turned into plain spaces, trimmed.
* ``accent_key(text)`` — lower case with every tone mark moved to the end of its syllable, so that
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

# The five Vietnamese tone marks (the sixth tone has no mark).
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
# Only odd spaces and runs of spaces: rewriting every single space would double the cost.
_SPACES = re.compile(r" *[\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff\t\r\f\v][\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff\t\r\f\v ]*| {2,}")
_WORD_CHARS = re.compile(r"\w+")


def clean(text: str) -> str:
    """NFC-normalise, turn exotic spaces into plain ones, collapse runs of spaces, trim lines."""
    text = unicodedata.normalize("NFC", text or "")
    text = _SPACES.sub(" ", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def _move_tone_to_end(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in TONE_MARKS]
    if not tones:
        return word
    base = [ch for ch in decomposed if ch not in TONE_MARKS]
    # Put the tone on the last vowel of the syllable: a canonical spot for both styles.
    vowels = "aeiouyăâêôơư"
    letters = unicodedata.normalize("NFC", "".join(base))
    idx = max((i for i, ch in enumerate(letters) if ch.lower() in vowels), default=-1)
    if idx < 0:
        return unicodedata.normalize("NFC", word)
    rebuilt = letters[: idx + 1] + tones[0] + letters[idx + 1 :]
    return unicodedata.normalize("NFC", rebuilt)


def accent_key(text: str) -> str:
    """Lower-cased NFC text with tone marks in one canonical position per syllable."""
    text = clean(text).lower()
    return _WORD_CHARS.sub(lambda m: _move_tone_to_end(m.group(0)), text)


def fold(text: str) -> str:
    """Lower-cased text without any diacritics; đ folds to d."""
    text = clean(text).lower().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese accent (or đ)."""
    return fold(text) != clean(text).lower()


def slugify(text: str) -> str:
    """ASCII slug: "Bà Rịa – Vũng Tàu" → "ba-ria-vung-tau"."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
