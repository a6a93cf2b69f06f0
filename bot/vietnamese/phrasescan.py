"""Whole-word occurrences of many phrases in one pass over the text (an Aho-Corasick automaton).

Each phrase is given with the spellings it may take in the text (``spaced_punctuation`` gives
the usual ones: any single space around its punctuation). A find must start and end a word;
overlapping finds resolve leftmost-longest, as a regex alternation of the phrases would, but
the scan itself runs once in native code (ahocorasick_rs) instead of trying every phrase at
every word. A line break counts as a space.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

import ahocorasick_rs

_PUNCTUATION = re.compile(r"[^\w ]")


def spaced_punctuation(key: str) -> set[str]:
    """The key, and the key with a space before, after or around each of its punctuation marks."""
    parts = _PUNCTUATION.split(key)
    marks = _PUNCTUATION.findall(key)
    if not marks:
        return {key}
    around = [(m, " " + m, m + " ", " " + m + " ") for m in marks]
    out = set()
    for choice in itertools.product(*around):
        spelled = parts[0] + "".join(mark + part for mark, part in zip(choice, parts[1:], strict=True))
        if "  " not in spelled and spelled == spelled.strip():
            out.add(spelled)
    return out


class PhraseScanner:
    """Finds phrases as whole words; each find gives back its phrase, however it was spelled."""

    def __init__(self, spellings: Iterable[tuple[str, str]]) -> None:
        """``spellings``: (spelling, phrase) pairs, a phrase as often as it has spellings."""
        self._pairs = list(dict.fromkeys(spellings))
        self._compile()

    def _compile(self) -> None:
        patterns = [spelling for spelling, _phrase in self._pairs]
        self._phrase_of = [phrase for _spelling, phrase in self._pairs]
        kinds = ahocorasick_rs.MatchKind
        self._automaton = self._longest = None
        if patterns:
            self._automaton = ahocorasick_rs.AhoCorasick(patterns, matchkind=kinds.Standard)
            self._longest = ahocorasick_rs.AhoCorasick(patterns, matchkind=kinds.LeftmostLongest)

    # The automata do not pickle (tagging sends the data to its worker processes): the
    # spellings travel, and the automata are built again where they arrive.
    def __getstate__(self) -> list[tuple[str, str]]:
        return self._pairs

    def __setstate__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs
        self._compile()

    def __bool__(self) -> bool:
        return self._automaton is not None

    def scan(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, phrase) of every whole-word find in ``text``, left to right, none
        overlapping: at each start the longest, then on from its end."""
        if self._longest is None:
            return []
        # Leftmost-longest finds are the answer when each of them is a whole word (then no
        # other find could come first); only otherwise are all finds weighed.
        haystack = _haystack(text)
        finds = self._longest.find_matches_as_indexes(haystack)
        if all(_whole_word(haystack, start, end) for _index, start, end in finds):
            return [(start, end, self._phrase_of[index]) for index, start, end in finds]
        out: list[tuple[int, int, str]] = []
        taken = 0
        for start, neg_end, index in self._finds(text):
            if start >= taken:
                taken = -neg_end
                out.append((start, taken, self._phrase_of[index]))
        return out

    def starts(self, text: str) -> list[int]:
        """Where in ``text`` any phrase starts as a whole word, overlaps included, in order."""
        return sorted({start for start, _end, _index in self._whole_finds(text)})

    def _finds(self, text: str) -> list[tuple[int, int, int]]:
        """(start, -end, pattern index) of every whole-word find, in order."""
        return sorted((start, -end, index) for start, end, index in self._whole_finds(text))

    def _whole_finds(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, pattern index) of every whole-word find, overlaps included, unordered."""
        if self._automaton is None:
            return []
        haystack = _haystack(text)
        finds = self._automaton.find_matches_as_indexes(haystack, overlapping=True)
        return [(start, end, index) for index, start, end in finds
                if _whole_word(haystack, start, end)]


def _haystack(text: str) -> str:
    """What the automata read: ``text`` with line breaks as spaces (same length)."""
    return text.replace("\n", " ") if "\n" in text else text


def _whole_word(haystack: str, start: int, end: int) -> bool:
    """A word is letters and digits: a find must not start or end inside one."""
    return (start == 0 or not haystack[start - 1].isalnum()) and (
        end == len(haystack) or not haystack[end].isalnum()
    )
