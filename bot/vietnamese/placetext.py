"""Finding places in article text: provinces, and districts, towns and communes with their kind.

One regex (``wordtrie``) holds every spelling; an Aho-Corasick scan (``phrasescan``) of the
spellings and kind words says where it may match, so the regex runs only there. It matches
accented names only (plus a few ASCII codes such as "TPHCM"), at word boundaries, with tone marks in either placement style:
unaccented matching would read "làm đồng" as Lâm Đồng. Capitalised name tokens must be
capitalised in the text too ("hòa bình" is peace, "Hòa Bình" the province).

A district, town or commune counts only after its kind ("huyện Di Linh", "TP. Phổ Yên",
"xã Bảo Lạc"): bare, such names are people, streets and ordinary words. A name that several
provinces share ("huyện Châu Thành") counts only when the same text names one of those provinces.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.vietnamese.phrasescan import PhraseScanner
from bot.vietnamese.textnorm import TONE_MARKS, accent_key, clean
from bot.vietnamese.units import Mention
from bot.vietnamese.wordtrie import WordTrie

_TOKEN = re.compile(r"[^\W_]+")
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_VOWELS = "aeiouyăâêôơư"
# How a gap between two words of a name is written in a key, and what it allows in the text: a
# space, plus a dash or a dot only where the spelling has one ("Bà Rịa - Vũng Tàu", "TP.HCM"),
# so that "Đông Hà. Nam Định" or "Đông Hà - Nam Định" is not read as Hà Nam.
_GAP_FRAGMENTS = {
    " ": " ",
    "-": f"(?: ?[{re.escape(_DASHES)}] ?| )",
    ".": r"(?:\. ?| )",
}
# A locality's name does not run on into a dashed name ("TP. Bà Rịa - Vũng Tàu" is the province).
_NOT_DASHED_ON = f"(?! ?[{re.escape(_DASHES)}] ?\\w)"


# The same gaps as literal text, for the scan that finds where the regex may match.
_GAP_SPELLINGS = {
    " ": (" ",),
    "-": (" ", *(s for d in _DASHES for s in (d, " " + d, d + " ", " " + d + " "))),
    ".": (".", ". ", " "),
}


def _fragment(ch: str) -> str:
    return _GAP_FRAGMENTS.get(ch) or re.escape(ch)


def _spelled(key: str) -> list[str]:
    """Every literal text a key's regex matches (each gap written each way it may be)."""
    options = [_GAP_SPELLINGS.get(ch, (ch,)) for ch in key]
    return ["".join(combo) for combo in itertools.product(*options)]


@dataclass(frozen=True)
class Locality:
    """A district, town or commune: the kind words before its name, and its province."""

    level: str  # "district" | "town" | "commune"
    kind: str  # "huyện", "thị xã", "xã" …
    name: str
    province: str  # slug


@dataclass(frozen=True)
class _Entry:
    slug: str | None  # None: a phrase that only looks like a unit name ("Thái Bình Dương")
    caps: tuple[bool, ...]  # per token: must start with a capital letter in the text


def text_key(cleaned: str, low: str | None = None) -> str:
    """Lower-cased cleaned text, same length as it (offsets carry over)."""
    if low is None:
        low = cleaned.lower()
    if len(low) != len(cleaned):  # "İ".lower() is two characters
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in cleaned)
    return low


def _tone_variants(word: str) -> set[str]:
    """A lower-case word with its tone mark on each of its vowels: "hoá" → {"hóa", "hoá"}.

    Articles are matched against every placement instead of moving tone marks in the article
    (accent_key on every word of every item is the slow part of matching).
    """
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in TONE_MARKS]
    if len(tones) != 1:
        return {word}
    letters = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch != tones[0]))
    placements = {
        unicodedata.normalize("NFC", letters[: i + 1] + tones[0] + letters[i + 1 :])
        for i, ch in enumerate(letters)
        if ch in _VOWELS
    }
    # Only the placements people actually write (old and new style) share the word's key.
    key = accent_key(word)
    return {word} | {p for p in placements if accent_key(p) == key}


def _keys(spelling: str) -> list[str]:
    """Trie keys of one spelling: every tone placement, gaps written as " ", "-" or "."."""
    low = text_key(clean(spelling))
    tokens = _TOKEN.findall(low)
    gaps = _TOKEN.split(low)[1:-1]
    marks = ["-" if any(d in g for d in _DASHES) else "." if "." in g else " " for g in gaps]
    options = [sorted(_tone_variants(t)) for t in tokens]
    return [
        "".join(word + (marks[i] if i < len(marks) else "") for i, word in enumerate(combo))
        for combo in itertools.product(*options)
    ]


@functools.lru_cache(maxsize=8192)
def canonical(text: str) -> str:
    """Lookup key of a spelling: accent_key words joined by single spaces."""
    return " ".join(_TOKEN.findall(accent_key(text)))


def _caps(spelling: str) -> tuple[bool, ...]:
    # "Hòa" demands a capital; "TP"/"HCM" (codes) and "phố"/"xứ" (common words) do not.
    return tuple(t[:1].isupper() and not t.isupper() for t in _TOKEN.findall(clean(spelling)))


class PlaceFinder:
    """Provinces and localities named in article text."""

    def __init__(
        self,
        spellings: Mapping[str, Sequence[str]],
        *,
        not_places: Iterable[str],
        any_case: Iterable[str],
        localities: Iterable[Locality],
        kinds: Mapping[str, Sequence[str]],
        abbreviations: Mapping[str, str],
        ranks: Mapping[str, int],
        current: Mapping[str, str],
    ) -> None:
        """``spellings``: unit slug → its spellings; ``kinds``: locality level → kind words
        ("huyện", …); ``abbreviations``: "TP" → "thành phố", …; ``ranks``: kind → rank (a text
        may name a place by a lower-ranked kind than the data's); ``current``: unit slug → slug
        of its current unit."""
        self._ranks = ranks
        self._current = current
        self._index = _province_index(spellings, not_places, set(any_case))
        # One trie for everything: province spellings, and kind words each followed by a marker
        # character that stands for the names of its level, so that the first letters of all
        # of them are told apart once.
        markers: dict[str, str] = {}
        trie = WordTrie(lambda ch: markers.get(ch) or _fragment(ch))
        starts: list[str] = []  # what a match of the regex starts with, as literal text
        for spelling in [*not_places, *(s for ss in spellings.values() for s in ss)]:
            for key in _keys(spelling):
                # Checked here so that looking up a match in find() cannot fail.
                if canonical(key) not in self._index:
                    raise ValueError(f"{spelling!r}: variant {key!r} has no index entry")
                trie.add(key)
                starts += _spelled(key)

        # level → name key → [(kind, province)]
        self._places: dict[str, dict[str, list[tuple[str, str]]]] = {}
        name_tries: dict[str, WordTrie] = {}
        for place in localities:
            names = self._places.setdefault(place.level, {})
            found = names.setdefault(canonical(place.name), [])
            if (place.kind, place.province) not in found:
                found.append((place.kind, place.province))
            name_tries.setdefault(place.level, WordTrie(_fragment)).update(_keys(place.name))
        self._kind_of = {canonical(w): w for ws in kinds.values() for w in ws}
        self._kind_of.update({canonical(a): w for a, w in abbreviations.items()})
        self._kind_words: list[tuple[re.Pattern[str], str]] = []
        for level, words in kinds.items():
            if level not in name_tries:
                continue
            # Below " ", so tried before a province spelling that goes on from the same kind
            # word: "huyện Quảng Ninh" is a district of Quảng Bình, not Quảng Ninh.
            marker = chr(1 + len(markers))
            markers[marker] = f"(?:{name_tries[level].alternatives()}){_NOT_DASHED_ON}"
            codes = [a for a, w in abbreviations.items() if w in words]
            kind_keys = [k for w in [*words, *codes] for k in _keys(w)]
            trie.update(k + " " + marker for k in kind_keys)
            trie.update(k + "." + marker for w in codes for k in _keys(w))
            starts += (spelled for k in kind_keys for spelled in _spelled(k))
            heads = sorted(map(canonical, [*words, *codes]), key=len, reverse=True)
            self._kind_words.append((re.compile(f"({'|'.join(map(re.escape, heads))}) "), level))
        self._words = trie.word_pattern()
        self._starts = PhraseScanner((spelled, spelled) for spelled in starts)

    def find(self, cleaned: str, *, lowered: str | None = None) -> list[Mention]:
        """Places named in text already through ``textnorm.clean``, leftmost-longest."""
        key = text_key(cleaned, lowered)
        mentions: list[Mention] = []
        ambiguous: list[tuple[Mention, list[str]]] = []
        match = self._words.match
        pos = 0
        # The regex where a spelling or a kind word starts a word: the first such place it
        # matches at is where a search from pos would have found it.
        for start in self._starts.starts(key):
            if start < pos or (found := match(key, start)) is None:
                continue
            end, name = found.end(), found.group()
            surface = cleaned[start:end]
            hit = self._lookup(name, surface)
            if hit is None:
                pos = start + 1  # "thái nguyên liệu": no name here, but maybe a later one
                continue
            level, slugs = hit
            pos = end
            if not slugs:
                continue  # a phrase that only looks like a place
            mention = Mention(slugs[0], start, end, surface, level)
            mentions.append(mention)
            if len(slugs) > 1:  # a locality name several provinces share: _resolve decides
                ambiguous.append((mention, slugs))
        return self._resolve(mentions, ambiguous) if ambiguous else mentions

    # The same few names come back in item after item: a lookup is worked out once.
    @functools.lru_cache(maxsize=1 << 16)  # noqa: B019 (one finder per process, kept for good)
    def _lookup(self, name: str, surface: str) -> tuple[str, list[str]] | None:
        """(level, province slugs) of a matched name, or None when its capitals are wrong."""
        entry = self._index.get(canonical(name))
        if entry is not None:
            if not any(entry.caps) or all(
                t[:1].isupper() or not need
                for t, need in zip(_TOKEN.findall(surface), entry.caps, strict=False)
            ):
                return "province", [entry.slug] if entry.slug else []
            return None
        tokens = _TOKEN.findall(surface)
        folded = canonical(name)
        for pattern, level in self._kind_words:
            head = pattern.match(folded)
            if head is None:
                continue
            rest = folded[head.end():]
            places = self._places.get(level, {}).get(rest)
            if places is None:
                continue
            n = len(rest.split())
            if not all(t[:1].isupper() or t[:1].isdigit() for t in tokens[len(tokens) - n:]):
                return None
            kind = self._kind_of[head.group(1)]
            same_kind = [p for k, p in places if k == kind]
            if len(same_kind) == 1:
                return level, same_kind
            rank = self._ranks.get(kind, 0)
            fits = [p for k, p in places if self._ranks.get(k, 0) >= rank]
            return (level, list(dict.fromkeys(fits))) if fits else None
        return None

    def _resolve(
        self, mentions: list[Mention], ambiguous: list[tuple[Mention, list[str]]]
    ) -> list[Mention]:
        """Keep a shared locality name only when the text names one of its provinces."""
        choices = {id(m): slugs for m, slugs in ambiguous}
        named = {m.slug for m in mentions if id(m) not in choices}
        named_current = {self._current[s] for s in named}
        out = []
        for m in mentions:
            slugs = choices.get(id(m))
            if slugs is None:
                out.append(m)
                continue
            direct = [s for s in slugs if s in named]
            fits = direct or [s for s in slugs if self._current[s] in named_current]
            if len({self._current[s] for s in fits}) == 1:
                out.append(Mention(fits[0] if len(fits) == 1 else self._current[fits[0]],
                                   m.start, m.end, m.surface, m.level))
            elif not fits and len({self._current[s] for s in slugs}) == 1:
                out.append(Mention(self._current[slugs[0]], m.start, m.end, m.surface, m.level))
        return out


def _province_index(
    spellings: Mapping[str, Sequence[str]], not_places: Iterable[str], any_case: set[str]
) -> dict[str, _Entry]:
    index: dict[str, _Entry] = {}
    pairs: list[tuple[str | None, str]] = [(slug, s) for slug, ss in spellings.items() for s in ss]
    pairs += [(None, s) for s in not_places]
    for slug, spelling in pairs:
        key = canonical(spelling)
        caps = tuple(False for _ in key.split()) if spelling in any_case else _caps(spelling)
        old = index.get(key)
        if old is not None:
            if old.slug != slug:
                raise ValueError(f"{spelling!r} names both {old.slug} and {slug}")
            # The most lenient spelling decides: "thành phố" also allows "Thành phố".
            caps = tuple(a and b for a, b in zip(old.caps, caps, strict=True))
        index[key] = _Entry(slug, caps)
    return index
