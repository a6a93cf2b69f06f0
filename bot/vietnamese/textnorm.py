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

import codecs
import functools
import re
import unicodedata
from collections.abc import Callable

_ODD_SPACES = re.compile(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff\t\r\f\v]")
_SPACE_RUNS = re.compile(r" {2,}")
_LINE_EDGES = re.compile(r" ?\n ?")
_COMBINING = re.compile(r"[\u0300-\u036f]")
_NOT_ASCII_NOR_MARK = re.compile(r"[^\x00-\x7f\u0300-\u036f]")


def clean(text: str) -> str:
    """NFC-normalise, turn exotic spaces into plain ones, collapse runs of spaces, trim lines.

    The Icelandic eth ("Ð", "ð"), which legacy Vietnamese fonts type for "Đ", becomes "Đ"/"đ".
    """
    if not text:
        return ""
    if _is_clean(text):  # most text is cleaned more than once on its way: skip the work
        return text
    # Each step is one pass in C; this runs on every item of every feed.
    text = fix_eth(unicodedata.normalize("NFC", text))
    text = _ODD_SPACES.sub(" ", text)
    if "  " in text:
        text = _SPACE_RUNS.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = _LINE_EDGES.sub("\n", text)
    return text.strip(" \n")


_ETH = str.maketrans("\u00d0\u00f0", "Đđ")


def fix_eth(text: str) -> str:
    """The Icelandic eth ("Ð", "ð"), which legacy Vietnamese fonts type for "Đ", as "Đ"/"đ"."""
    if "\u00d0" in text or "\u00f0" in text:
        return text.translate(_ETH)
    return text


def _is_clean(text: str) -> bool:
    """True when ``clean(text) == text``, found out without building anything new."""
    if text[0] in " \n" or text[-1] in " \n" or "  " in text:
        return False
    if "\u00d0" in text or "\u00f0" in text:
        return False
    if not unicodedata.is_normalized("NFC", text):
        return False
    for line in text.split("\n"):
        # isprintable() is False for tabs, NBSP, zero-width and every other odd space.
        if not line.isprintable() or line[:1] == " " or line[-1:] == " ":
            return False
    return True


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
    return retone(clean(text).lower())


def retone(lowered: str) -> str:
    """The tone of oa/oe/uy moved onto the second vowel: ``accent_key`` of clean, lower-case text.

    ``accent_key(text) == retone(clean(text).lower())``; for callers that already hold the
    cleaned, lower-cased text.
    """
    return _OLD_STYLE_PATTERN.sub(_new_style, lowered)


def _new_style(match: re.Match[str]) -> str:
    return _OLD_STYLE[match.group()]


# Text made only of these characters (after lower-casing) gives the same key word by word as
# whole: no combining marks, nothing that NFC or lower-casing could change again, and no
# white space but " " and "\n". Vietnamese text is made of them.
_PLAIN_RANGES = ((0x0A, 0x0A), (0x20, 0x7E), (0xA1, 0x24F), (0x1E00, 0x1EFF), (0x2010, 0x2027),
                 (0x2030, 0x205E))
_NOT_PLAIN = re.compile(
    "[^" + "".join(re.escape(chr(lo)) + "-" + re.escape(chr(hi)) for lo, hi in _PLAIN_RANGES) + "]"
)


def is_plain(lowered: str) -> bool:
    """True when ``lowered`` holds only precomposed Latin letters, ASCII and common punctuation.

    For such text, per-word keys (``accent_key`` of each word) equal the whole-text key
    (``retone``), and ``clean`` changes nothing inside a word.
    """
    return _NOT_PLAIN.search(lowered) is None


def lowered_view(cleaned: str) -> tuple[str, bool]:
    """``cleaned.lower()``, and whether that is plain (``is_plain``), in one go.

    Vietnamese text goes through the one-byte code page that folding uses: lower-cased there in
    C, several times faster than ``str.lower`` of Vietnamese letters, and plain when none of its
    bytes is one that ``is_plain`` does not allow.
    """
    try:
        encoded = codecs.charmap_encode(cleaned, "strict", _ENCODING)[0]
    except UnicodeEncodeError:
        lowered = cleaned.lower()
        return lowered, is_plain(lowered)
    lowered = codecs.charmap_decode(encoded.translate(_LOWER_BYTES), "strict", _CODE_PAGE)[0]
    return lowered, not any(b in encoded for b in _NOT_PLAIN_BYTES)


def fold(text: str) -> str:
    """Lower-cased text without any diacritics; đ folds to d."""
    return fold_clean(clean(text))


def fold_clean(cleaned: str) -> str:
    """``fold`` of text already through ``clean`` (a tagged item's title and body)."""
    # This runs on every stored item (the search copy). Folding works character by character:
    # Vietnamese text goes through a one-byte code page (Vietnamese letters small and capital,
    # common punctuation), the letters fold in the byte string and come back, all in C. Anything
    # else folds word by word (nothing in folding looks across a space) with a cache, as a
    # feed's vocabulary is small.
    try:
        encoded = codecs.charmap_encode(cleaned, "strict", _ENCODING)[0]
    except UnicodeEncodeError:
        return " ".join(map(_FOLDED_TOKENS.__getitem__, cleaned.split(" ")))
    return codecs.charmap_decode(encoded.translate(_FOLD_BYTES), "strict", _CODE_PAGE)[0]


def _fold_token(token: str) -> str:
    decomposed = unicodedata.normalize("NFD", token.lower().replace("đ", "d"))
    if _NOT_ASCII_NOR_MARK.search(decomposed) is None:
        # Only ASCII letters and their marks: dropping every non-ASCII code point is exact, and
        # several times faster than a regex substitution per mark.
        return decomposed.encode("ascii", "ignore").decode("ascii")
    return _COMBINING.sub("", decomposed)


class TokenMemo(dict):
    """``fn`` of each token seen, memoised: digests reuse a small vocabulary. Bounded, so that a
    stream of odd tokens cannot grow it without end."""

    def __init__(self, fn: Callable[[str], str], limit: int = 200_000) -> None:
        super().__init__()
        self.fn, self.limit = fn, limit

    def __missing__(self, token: str) -> str:
        if len(self) >= self.limit:
            self.clear()
        value = self[token] = self.fn(token)
        return value


_FOLDED_TOKENS = TokenMemo(lambda token: _fold_token(token))


def _code_page() -> str:
    """A one-byte code page for Vietnamese text, which folding and lower-casing read.

    Printable ASCII, NUL and the line break keep their byte values. The other ASCII control
    characters (which clean text has only by accident) give theirs up, and Vietnamese letters,
    small and capital, and the punctuation of Vietnamese news fill the page. Each character of
    it folds, and lower-cases, to one character of it (``_byte_table``).
    """
    letters = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
    others = "“”‘’‚„–—―‐‑…•·°×±½‰«»©®™€"
    # NUL keeps its byte too: codecs.charmap_build makes its fast table only for such a page.
    kept = {i for i in range(128) if i in (0, 10) or 0x20 <= i < 0x7F}
    free = [i for i in range(256) if i not in kept]
    extra = letters + letters.upper() + others
    if len(extra) > len(free):
        raise ValueError("the code page holds 256 characters at most")
    chars = {i: chr(i) for i in kept} | dict(zip(free, extra, strict=False))
    # Unused byte values decode to private-use characters, which fold to themselves.
    return "".join(chars.get(i, chr(0xE000 + i)) for i in range(256))


def _byte_table(page: str, fn: Callable[[str], str]) -> bytes:
    """The bytes.translate table that applies ``fn`` to each character of the page.

    For folding, ``_fold_token`` per character is the same as in running text, as none of the
    page's characters decomposes to anything but ASCII and combining marks.
    """
    table = bytearray(256)
    for i, ch in enumerate(page):
        mapped = fn(ch)
        if len(mapped) != 1:
            raise ValueError(f"{ch!r} maps to {mapped!r}, not to one character")
        table[i] = page.index(mapped)  # ValueError if it maps off the page
    return bytes(table)


_CODE_PAGE = _code_page()
_FOLD_BYTES = _byte_table(_CODE_PAGE, _fold_token)
_LOWER_BYTES = _byte_table(_CODE_PAGE, str.lower)
_ENCODING = codecs.charmap_build(_CODE_PAGE)
# Characters of the page that ``is_plain`` does not allow.
_NOT_PLAIN_BYTES = [codecs.charmap_encode(ch, "strict", _ENCODING)[0] for ch in _CODE_PAGE
                    if _NOT_PLAIN.search(ch)]


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese accent (or đ)."""
    return fold(text) != clean(text).lower()


_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=1 << 16)
def _word_key(word: str) -> str:
    return accent_key(word)


def cached_accent_key(text: str) -> str:
    """``textnorm.accent_key(text)`` with a per-word cache: the same result, much faster."""
    lowered = clean(text).lower()
    if is_plain(lowered):  # per-word keys are the whole-text key: one pass
        return retone(lowered)
    return _WORD.sub(lambda m: _word_key(m.group()), lowered)
