"""PhraseScanner: whole words, leftmost-longest, punctuation spaced either way."""

from __future__ import annotations

from bot.vietnamese.phrasescan import PhraseScanner


def found(scanner: PhraseScanner, text: str) -> list[str]:
    return [text[s:e] + "=" + key for s, e, key in scanner.scan(text)]


def test_longest_find_wins_where_phrases_overlap() -> None:
    scanner = PhraseScanner(["bưu điện", "bưu điện tỉnh", "điện tử"])
    assert found(scanner, "bưu điện tỉnh bán hàng điện tử") == [
        "bưu điện tỉnh=bưu điện tỉnh", "điện tử=điện tử",
    ]


def test_only_whole_words_count() -> None:
    scanner = PhraseScanner(["an ninh", "số"])
    assert found(scanner, "ban ninh thuận, số3 và số") == ["số=số"]


def test_punctuation_may_be_spaced_and_a_space_may_be_a_line_break() -> None:
    scanner = PhraseScanner(["tt&tt", "bưu điện-văn hoá xã"])
    text = "sở tt & tt và bưu điện - văn hoá\nxã"
    assert [key for _s, _e, key in scanner.scan(text)] == ["tt&tt", "bưu điện-văn hoá xã"]


def test_a_shorter_phrase_is_found_when_the_longer_one_does_not_end_a_word() -> None:
    scanner = PhraseScanner(["chuyển đổi", "chuyển đổi số"])
    assert found(scanner, "chuyển đổi sốt") == ["chuyển đổi=chuyển đổi"]


def test_no_phrases_finds_nothing() -> None:
    scanner = PhraseScanner([])
    assert not scanner
    assert scanner.scan("bất cứ gì") == []
