"""Whole-word occurrences of many phrases in one pass over the text (an Aho-Corasick automaton).

A phrase is a key made of words, single spaces and punctuation ("bưu điện-văn hoá xã",
"tt&tt"). It is found where it starts and ends a word, with any single space around its
punctuation ("bưu điện - văn hoá xã") and any line break where it has a space. Overlapping
finds resolve leftmost-longest, as a regex alternation of the phrases would, but the scan
itself runs once in native code (ahocorasick_rs) instead of trying every phrase at every word.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

import ahocorasick_rs

_PUNCTUATION = re.compile(r"[^\w ]")


def _spellings(key: str) -> set[str]:
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
    """Finds keys as whole words; each find gives back the key, however it was spaced."""

    def __init__(self, keys: Iterable[str]) -> None:
        patterns: list[str] = []
        self._key_of: list[str] = []
        for key in dict.fromkeys(keys):
            for spelled in sorted(_spellings(key)):
                patterns.append(spelled)
                self._key_of.append(key)
        self._automaton = (
            ahocorasick_rs.AhoCorasick(patterns, matchkind=ahocorasick_rs.MatchKind.Standard)
            if patterns else None
        )

    def __bool__(self) -> bool:
        return self._automaton is not None

    def scan(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, key) of every whole-word find in ``text``, left to right, none
        overlapping: at each start the longest, then on from its end."""
        if self._automaton is None:
            return []
        haystack = text.replace("\n", " ") if "\n" in text else text
        finds = self._automaton.find_matches_as_indexes(haystack, overlapping=True)
        if not finds:
            return []
        size = len(haystack)
        # A word is letters and digits: a find must not start or end inside one.
        whole = sorted(
            (start, -end, index) for index, start, end in finds
            if (start == 0 or not haystack[start - 1].isalnum())
            and (end == size or not haystack[end].isalnum())
        )
        out: list[tuple[int, int, str]] = []
        taken = 0
        for start, neg_end, index in whole:
            if start >= taken:
                taken = -neg_end
                out.append((start, taken, self._key_of[index]))
        return out
