"""Sentences: where the first one ends (abbreviation- and number-aware), leads, titles."""

from __future__ import annotations

import functools
import re

# Words that end with a dot without ending the sentence. Compared case-insensitively with the
# word right before the dot ("TP. Phổ Yên", "ThS. Nguyễn", "v.v. và"). Any single letter
# ("Nguyễn V. A") counts as well.
ABBREVIATIONS: tuple[str, ...] = (
    "TP", "Tp", "TX", "TT", "Q", "P", "H", "X",
    "ThS", "Th.S", "TS", "PGS", "GS", "PGS.TS", "GS.TS", "BS", "BSCKII", "KS", "CN", "NCS", "ĐH",
    "Th", "Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Jr", "Sr",
    "v.v", "vv", "tr", "Tr", "Co", "Corp", "Inc", "Ltd", "No", "vs", "etc", "e.g", "i.e",
)
_ABBREV_KEYS = frozenset(a.lower() for a in ABBREVIATIONS)

TITLE_MAX = 120  # characters of an item title, "…" included
LEAD_PREFIX_MAX = 60  # "Sóc Trăng: …" — a heading before ":" at most this long is the lead

# Candidate sentence ends: terminal punctuation and any closing quotes; the code then looks at
# what follows (see first_sentence_end).
_END_CANDIDATE = re.compile(r"[.!?…]+[\"'”’»)\]]*")
_OPENING = "\"'“‘«([-–—"
HEADING_COLON = re.compile(r":\s")  # where a heading ("Sóc Trăng: …") ends


def lead_spans(text: str) -> tuple[int, int]:
    """(heading end, first sentence end) of the first line; heading end is 0 without heading."""
    newline = text.find("\n")
    first_end = first_sentence_end(text if newline < 0 else text[:newline])
    colon = HEADING_COLON.search(text, 0, first_end)
    if colon is not None and 0 < colon.start() <= LEAD_PREFIX_MAX:
        return colon.start(), first_end
    return 0, first_end


@functools.lru_cache(maxsize=256)
def first_sentence_end(text: str) -> int:
    """Index just past the first sentence of ``text`` (its end punctuation included).

    A sentence ends at ``.``/``!``/``?``/``…`` followed by a space and an upper-case letter or a
    digit (or the end of the text), unless the dot closes an abbreviation ("TP. Phổ Yên") or an
    initial; numbers ("7.776", "2,8") never end one. A dot glued to a capitalised word after a
    lower-case one ("khác nhau.Đồng thời") ends a sentence too.
    """
    n = len(text)
    for match in _END_CANDIDATE.finditer(text):
        start, after = match.start(), match.end()
        punct = len(match.group(0).rstrip("\"'”’»)]"))
        if after >= n:
            return after
        nxt = text[after]
        if nxt.isspace():
            j = after + 1
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                return after
            c = text[j]
            if c in _OPENING and j + 1 < n:
                c = text[j + 1]
            if not (c.isupper() or c.isdigit()):
                continue
            if punct == 1 and text[start] == "." and _is_abbreviation(text, start):
                continue
            return after
        if (
            punct == 1
            and text[start] == "."
            and after == start + 1
            and start >= 2
            and text[start - 1].islower()
            and text[start - 2].islower()
            and nxt.isupper()
            and after + 1 < n
            and text[after + 1].islower()
        ):
            return after
    return n


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph, abbreviation- and number-aware."""
    out = []
    rest = text.strip()
    while rest:
        end = first_sentence_end(rest)
        out.append(rest[:end].strip())
        rest = rest[end:].strip()
    return [s for s in out if s]


def make_title(text: str, limit: int = TITLE_MAX) -> str:
    """The first sentence of ``text`` without its final dot, cut at a word to ``limit`` chars."""
    line = text.split("\n", 1)[0].strip()
    sentence = line[: first_sentence_end(line)].strip()
    if sentence.endswith(".") and not sentence.endswith(".."):
        sentence = sentence[:-1].rstrip()
    sentence = sentence.rstrip(":;,–—- ").strip()
    return shorten(sentence, limit)


def shorten(text: str, limit: int = TITLE_MAX, *, strip: str = " ,;:–—-") -> str:
    """``text`` cut at a word boundary to ``limit`` chars, "…" included, when longer.

    ``strip``: the characters dropped from the end of the cut before the "…".
    """
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(strip) + "…"



def _is_abbreviation(text: str, dot: int) -> bool:
    start = max(text.rfind(" ", 0, dot), text.rfind("\n", 0, dot)) + 1
    word = text[start:dot].lstrip("([\"'“‘")
    if not word or word.isdigit():
        return False  # "năm 2021. 100% đơn vị" ends a sentence
    if len(word) == 1:
        return word.isalpha()  # an initial: "Nguyễn V. A"
    lowered = word.lower()
    if lowered in _ABBREV_KEYS:
        return True
    # "TP.HCM.", "v.v." — a dotted abbreviation ending in a single letter
    tail = lowered.rsplit(".", 1)[-1]
    return "." in lowered and len(tail) == 1 and tail.isalpha()
