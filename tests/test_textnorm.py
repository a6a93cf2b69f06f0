"""Folding (accent-free, lower-case text) and lower-casing, however the text is written."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.vietnamese.textnorm import clean, fold, fold_clean, is_plain, lowered_view


def _reference_fold(text: str) -> str:
    """Folding as its definition says: lower case, every combining mark dropped, đ → d."""
    decomposed = unicodedata.normalize("NFD", clean(text).lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not "\u0300" <= ch <= "\u036f")


def test_fold_examples():
    assert fold("Điểm tin ĐỊA PHƯƠNG") == "diem tin dia phuong"
    assert fold("Thừa Thiên – Huế “Hoá”") == "thua thien – hue “hoa”"
    assert fold("SÓC TRĂNG\nLâm Đồng") == "soc trang\nlam dong"
    assert fold("Müller ở Ấn Độ") == "muller o an do"  # "ü" is off the code page: word by word
    assert fold("a\u0001b") == "a\u0001b"  # a stray control character is kept as it is


_ALPHABET = st.sampled_from(
    list("aAđĐ oOơƠưƯ\n.,:–“”…") + ["Ấ", "ỷ", "Ỵ", "ü", "Ç", "ß", "İ", "Σ", "\u0301", "\u0001",
                                      "\u00a0", "½", "€", "中", "\ue005"]
)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=40) | st.text(max_size=40))
def test_fold_agrees_with_its_definition(text):
    assert fold(text) == _reference_fold(text)
    assert fold_clean(clean(text)) == fold(text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=40) | st.text(max_size=40))
def test_lowered_view_is_lower_and_is_plain(text):
    cleaned = clean(text)
    assert lowered_view(cleaned) == (cleaned.lower(), is_plain(cleaned.lower()))
