"""PhraseScanner: whole words, leftmost-longest, punctuation spaced either way."""

from __future__ import annotations

from bot.vietnamese.phrasescan import PhraseScanner, spaced_punctuation


def scanner_of(*phrases: str) -> PhraseScanner:
    return PhraseScanner((s, p) for p in phrases for s in spaced_punctuation(p))


def found(scanner: PhraseScanner, text: str) -> list[str]:
    return [text[s:e] + "=" + key for s, e, key in scanner.scan(text)]


def test_longest_find_wins_where_phrases_overlap() -> None:
    scanner = scanner_of("bưu điện", "bưu điện tỉnh", "điện tử")
    assert found(scanner, "bưu điện tỉnh bán hàng điện tử") == [
        "bưu điện tỉnh=bưu điện tỉnh", "điện tử=điện tử",
    ]


def test_only_whole_words_count() -> None:
    scanner = scanner_of("an ninh", "số")
    assert found(scanner, "ban ninh thuận, số3 và số") == ["số=số"]


def test_punctuation_may_be_spaced_and_a_space_may_be_a_line_break() -> None:
    scanner = scanner_of("tt&tt", "bưu điện-văn hoá xã")
    text = "sở tt & tt và bưu điện - văn hoá\nxã"
    assert [key for _s, _e, key in scanner.scan(text)] == ["tt&tt", "bưu điện-văn hoá xã"]


def test_a_shorter_phrase_is_found_when_the_longer_one_does_not_end_a_word() -> None:
    scanner = scanner_of("chuyển đổi", "chuyển đổi số")
    assert found(scanner, "chuyển đổi sốt") == ["chuyển đổi=chuyển đổi"]


def test_no_phrases_finds_nothing() -> None:
    scanner = scanner_of()
    assert not scanner
    assert scanner.scan("bất cứ gì") == []


def test_starts_lists_overlapping_finds_too() -> None:
    scanner = scanner_of("thành phố", "thành phố huế", "huế")
    assert scanner.starts("về thành phố huế") == [3, 13]


def test_spaced_punctuation_spells_each_mark_four_ways() -> None:
    assert spaced_punctuation("tt&tt") == {"tt&tt", "tt &tt", "tt& tt", "tt & tt"}
    assert spaced_punctuation("bưu chính") == {"bưu chính"}


def test_a_scanner_survives_pickling_for_the_tagging_workers() -> None:
    import pickle

    scanner = scanner_of("bưu điện", "bưu điện tỉnh")
    again = pickle.loads(pickle.dumps(scanner))
    assert again.scan("bưu điện tỉnh") == scanner.scan("bưu điện tỉnh") == [(0, 13, "bưu điện tỉnh")]
