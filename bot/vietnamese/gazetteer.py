"""Vietnam's provinces: names, mergers, finding them in article text and resolving user input.

The data (``bot/vietnamese/data/provinces.toml``) holds both eras: the 63 units in force until 30 June 2025
and the 34 in force since 1 July 2025. Every unit knows the current unit it is part of now.

Two matchers with different tolerances:

* ``find_in_text`` reads articles. It matches accented names only (plus a few ASCII codes such
  as "TPHCM"), at word boundaries, with tone marks in either placement style: unaccented
  matching would read "làm đồng" as Lâm Đồng. Capitalised name tokens must be capitalised in
  the text too ("hòa bình" is peace, "Hòa Bình" the province).
* ``resolve`` reads what a user typed: any case, with or without accents, with prefixes, slugs,
  typos (answered with suggestions).
"""

from __future__ import annotations

import functools
import itertools
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bot.vietnamese.textnorm import TONE_MARKS, WordStartPattern, accent_key, clean, fold, is_plain

NATIONAL = "toan-quoc"

DATA_FILE = Path(__file__).parent / "data" / "provinces.toml"

_TOKEN = re.compile(r"[^\W_]+")
_EDGE_JUNK = re.compile(r"^[\W_]+|[\W_]+$")
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
# Separators allowed between the words of a name in article text: a space, plus a dash or a
# dot only where the spelling has one ("Bà Rịa - Vũng Tàu", "TP.HCM"), so that "Đông Hà. Nam
# Định" or "Đông Hà - Nam Định" is not read as Hà Nam.
_SEP_SPACE = " "
_SEP_DASH = f" ?[{re.escape(_DASHES)}] ?"
_SEP_DOT = r"\. ?"
_SEP_MARK = "\0"  # trie atom standing for "a separator between two words"
_SUGGEST_CUTOFF = 60
_SUGGEST_LIMIT = 3


@dataclass(frozen=True)
class Region:
    slug: str
    name: str
    name_en: str


@dataclass(frozen=True)
class Unit:
    slug: str
    name: str
    full_name: str
    kind: str  # "tỉnh" or "thành phố"
    region: str  # region slug
    in_old: bool  # one of the 63 units before 1 July 2025
    in_current: bool  # one of the 34 units since 1 July 2025
    current: str  # slug of the 34-era unit it is part of now (itself if current)
    aliases: tuple[str, ...]
    old_name: str | None = None  # 63-era name when it differs ("Thừa Thiên Huế" for hue)


@dataclass(frozen=True)
class Mention:
    """A unit named in a text; offsets index ``textnorm.clean(text)``."""

    slug: str
    start: int
    end: int
    surface: str


@dataclass(frozen=True)
class Resolution:
    """What a user's query names."""

    query: str
    unit: Unit | None  # exact (accent-, case-, prefix-insensitive) hit, else None
    national: bool  # the query means "Toàn quốc"
    suggestions: tuple[Unit, ...]  # up to 3 closest units when unit is None


@dataclass(frozen=True)
class _TextEntry:
    slug: str | None  # None: a phrase that only looks like a unit name ("Thái Bình Dương")
    caps: tuple[bool, ...]  # per token: must start with a capital letter in the text


_VOWELS = "aeiouyăâêôơư"


def _text_key(cleaned: str, low: str | None = None) -> str:
    """Lower-cased cleaned text, same length as it (offsets carry over)."""
    if low is None:
        low = cleaned.lower()
    if len(low) != len(cleaned):  # "İ".lower() is two characters
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in cleaned)
    # Legacy fonts type Đ as the look-alike Icelandic eth.
    return low.replace("ð", "đ")


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


def _spelling_variants(key: str) -> list[str]:
    """Every tone placement of a lower-case spelling, separators kept as written."""
    parts = re.split(r"([^\W_]+)", key)
    options = [sorted(_tone_variants(p)) if i % 2 else [p] for i, p in enumerate(parts)]
    return ["".join(combo) for combo in itertools.product(*options)]


@functools.lru_cache(maxsize=4096)
def _canonical(text: str) -> str:
    """Lookup key of a spelling: accent_key words joined by single spaces."""
    return " ".join(_TOKEN.findall(accent_key(text)))


def _tokens(key: str) -> list[str]:
    return _TOKEN.findall(key)


def _caps(spelling: str) -> tuple[bool, ...]:
    # "Hòa" demands a capital; "TP"/"HCM" (codes) and "phố"/"xứ" (common words) do not.
    return tuple(t[:1].isupper() and not t.isupper() for t in _TOKEN.findall(clean(spelling)))


class _Trie:
    """Builds one regex in which names share prefixes, so matching costs one pass in C."""

    def __init__(self) -> None:
        self.children: dict[str, _Trie] = {}
        self.terminal = False
        self.seps: set[str] = set()  # separator patterns allowed after this node

    def add(self, key: str) -> None:
        """Add one lower-case spelling, separators as written."""
        node = self
        tokens = _tokens(key)
        gaps = _TOKEN.split(key)[1:-1]
        for i, token in enumerate(tokens):
            if i:
                gap = gaps[i - 1]
                node.seps.add(_SEP_SPACE)
                if "." in gap:
                    node.seps.add(_SEP_DOT)
                if any(d in gap for d in _DASHES):
                    node.seps.add(_SEP_DASH)
                node = node.children.setdefault(_SEP_MARK, _Trie())
            for ch in token:
                node = node.children.setdefault(ch, _Trie())
        node.terminal = True

    def pattern(self) -> str:
        alts = []
        for atom, child in self.children.items():
            if atom == _SEP_MARK:
                head = "(?:" + "|".join(sorted(self.seps)) + ")"
            else:
                head = re.escape(atom)
            alts.append(head + child.pattern())
        # Tried last, so the longest name wins (children are disjoint, hence no other order).
        if self.terminal:
            alts.append(r"(?!\w)")
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"


class Gazetteer:
    """The provinces of both eras and the two matchers over their names."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.regions: tuple[Region, ...] = tuple(
            Region(r["slug"], r["name"], r["name_en"]) for r in data["regions"]
        )
        self._regions = {r.slug: r for r in self.regions}
        national = data["national"]
        self._national_names = {"vi": national["name"], "en": national["name_en"]}
        self._national_keys = {" ".join(_tokens(fold(w))) for w in national["aliases"]}
        self._national_keys.add(" ".join(_tokens(fold(national["slug"]))))
        self._prefixes = [_tokens(fold(p)) for p in data["input"]["prefixes"]]

        units = []
        self._names_en: dict[str, str] = {}
        text_spellings: dict[str, list[str]] = {}
        any_case: set[str] = set()  # ASCII codes: "daklak.gov.vn" names Đắk Lắk too
        input_spellings: dict[str, list[str]] = {}
        for raw in data["units"]:
            aliases = _dedupe(
                ([raw["old_name"]] if raw.get("old_name") else [])
                + raw.get("aliases", [])
                + raw.get("ascii_aliases", [])
                + raw.get("input_aliases", [])
            )
            unit = Unit(
                slug=raw["slug"],
                name=raw["name"],
                full_name=raw["full_name"],
                kind=raw["kind"],
                region=raw["region"],
                in_old=raw["in_old"],
                in_current=raw["in_current"],
                current=raw["current"],
                aliases=tuple(a for a in aliases if a not in (raw["name"], raw["full_name"])),
                old_name=raw.get("old_name"),
            )
            units.append(unit)
            self._names_en[unit.slug] = raw["name_en"]
            text_spellings[unit.slug] = (
                [unit.name]
                + ([unit.old_name] if unit.old_name else [])
                + raw.get("aliases", [])
                + raw.get("ascii_aliases", [])
            )
            any_case.update(raw.get("ascii_aliases", []))
            input_spellings[unit.slug] = [unit.name, unit.full_name, *aliases]
        self.units: tuple[Unit, ...] = tuple(units)
        self._by_slug = {u.slug: u for u in self.units}
        self._validate()

        not_places = data["text"]["not_places"]
        self._text_index = self._build_text_index(text_spellings, not_places, any_case)
        trie = _Trie()
        for spelling in [*not_places, *(s for ss in text_spellings.values() for s in ss)]:
            for variant in _spelling_variants(_text_key(clean(spelling))):
                # Checked here so that looking up a match in find_in_text cannot fail.
                if _canonical(variant) not in self._text_index:
                    raise ValueError(f"{spelling!r}: variant {variant!r} has no index entry")
                trie.add(variant)
        self._text_words = WordStartPattern(trie.pattern())
        self._text_re = self._text_words.regex

        self._by_accent = _index(input_spellings, lambda s: " ".join(_tokens(accent_key(s))))
        self._by_fold = _index(input_spellings, lambda s: " ".join(_tokens(fold(s))))
        self._by_compact = _index(input_spellings, lambda s: "".join(_tokens(fold(s))))
        for unit in self.units:
            self._by_fold.setdefault(" ".join(unit.slug.split("-")), set()).add(unit.slug)
        self._choices: list[str] = []
        self._choice_slugs: list[str] = []
        for slug, spellings in input_spellings.items():
            for key in _dedupe(" ".join(_tokens(fold(s))) for s in spellings):
                self._choices.append(key)
                self._choice_slugs.append(slug)

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        """Read a provinces TOML file (the bundled one by default)."""
        with open(path or DATA_FILE, "rb") as fh:
            return cls(tomllib.load(fh))

    # -- lookups ---------------------------------------------------------------------------

    def get(self, slug: str) -> Unit:
        """The unit with this slug; KeyError if unknown."""
        return self._by_slug[slug]

    def current_units(self) -> list[Unit]:
        """The 34 units in force since 1 July 2025."""
        return [u for u in self.units if u.in_current]

    def old_units(self) -> list[Unit]:
        """The 63 units in force until 30 June 2025."""
        return [u for u in self.units if u.in_old]

    def current_of(self, slug: str) -> Unit:
        """The 34-era unit that the unit ``slug`` is part of now."""
        return self._by_slug[self.get(slug).current]

    def absorbed_by(self, slug: str) -> list[Unit]:
        """Old units merged into the current unit ``slug``, excluding itself."""
        self.get(slug)
        return [u for u in self.units if u.current == slug and u.slug != slug]

    def units_in_region(self, region_slug: str, *, current_only: bool = True) -> list[Unit]:
        """Units of a region (KeyError if unknown); old units keep their own region."""
        if region_slug not in self._regions:
            raise KeyError(region_slug)
        return [
            u for u in self.units if u.region == region_slug and (u.in_current or not current_only)
        ]

    def display(self, slug: str, lang: str = "vi") -> str:
        """Display name of a unit or of NATIONAL; English for lang "en", Vietnamese otherwise."""
        if slug == NATIONAL:
            return self._national_names["en" if lang == "en" else "vi"]
        unit = self.get(slug)
        return self._names_en[slug] if lang == "en" else unit.name

    # -- article text ----------------------------------------------------------------------

    def find_in_text(self, text: str) -> list[Mention]:
        """Units named in an article, leftmost-longest, in order of appearance."""
        return self.find_in_clean(clean(text))

    def find_in_clean(
        self, cleaned: str, *, lowered: str | None = None, plain: bool | None = None
    ) -> list[Mention]:
        """``find_in_text`` of text already through ``textnorm.clean``.

        ``lowered`` is ``cleaned.lower()`` and ``plain`` is ``textnorm.is_plain(lowered)``, for
        callers that hold them already (classification computes them once per item).
        """
        key = _text_key(cleaned, lowered)
        if plain is None or lowered is None:
            plain = is_plain(key)
        mentions: list[Mention] = []
        find = self._text_words.searcher(key, plain=plain)
        pos = 0
        while (found := find(pos)) is not None:
            start, end, name = found
            entry = self._text_index[_canonical(name)]
            surface = cleaned[start:end]
            if not all(
                tok[:1].isupper() or not need
                for tok, need in zip(_TOKEN.findall(surface), entry.caps, strict=False)
            ):
                pos = start + 1  # "thái nguyên liệu": no name here, but maybe a later one
                continue
            if entry.slug is not None:
                mentions.append(Mention(entry.slug, start, end, surface))
            pos = end
        return mentions

    # -- user input ------------------------------------------------------------------------

    def resolve(self, query: str) -> Resolution:
        """What a typed query names: a unit, the whole country, or suggestions."""
        text = _EDGE_JUNK.sub("", clean(query or ""))
        folded = _tokens(fold(text))
        if not folded:
            return Resolution(query, None, False, ())
        if " ".join(folded) in self._national_keys:
            return Resolution(query, None, True, ())

        accented = _tokens(accent_key(text))
        variants = [(accented, folded)]
        stripped = self._strip_prefix(accented, folded)
        if stripped is not None:
            variants.append(stripped)

        candidates: set[str] = set()
        lookups = []
        if accented != folded:  # typed with accents: trust them first
            lookups.append((self._by_accent, 0, " "))
        lookups += [(self._by_fold, 1, " "), (self._by_compact, 1, "")]
        for index, which, joiner in lookups:
            for variant in variants:
                found = index.get(joiner.join(variant[which]), set())
                if len(found) == 1:
                    return Resolution(query, self.get(next(iter(found))), False, ())
                if not candidates:
                    candidates = set(found)
        if candidates:  # the same spelling names several units: let the user pick
            ordered = tuple(u for u in self.units if u.slug in candidates)
            return Resolution(query, None, False, ordered[:_SUGGEST_LIMIT])
        return Resolution(query, None, False, self._suggest(" ".join(variants[-1][1])))

    def _strip_prefix(
        self, accented: list[str], folded: list[str]
    ) -> tuple[list[str], list[str]] | None:
        for prefix in self._prefixes:
            n = len(prefix)
            if len(folded) > n and folded[:n] == prefix:
                return accented[n:] if len(accented) == len(folded) else accented, folded[n:]
        return None

    def _suggest(self, query: str) -> tuple[Unit, ...]:
        hits = process.extract(
            query,
            self._choices,
            scorer=fuzz.WRatio,
            limit=None,
            score_cutoff=_SUGGEST_CUTOFF,
        )
        slugs = _dedupe(self._choice_slugs[index] for _choice, _score, index in hits)
        return tuple(self.get(s) for s in slugs[:_SUGGEST_LIMIT])

    # -- loading ---------------------------------------------------------------------------

    def _validate(self) -> None:
        if len(self._by_slug) != len(self.units):
            raise ValueError("duplicate unit slug in provinces data")
        for unit in self.units:
            if unit.region not in self._regions:
                raise ValueError(f"{unit.slug}: unknown region {unit.region!r}")
            target = self._by_slug.get(unit.current)
            if target is None or not target.in_current:
                raise ValueError(f"{unit.slug}: current {unit.current!r} is not a current unit")
            if unit.in_current and unit.current != unit.slug:
                raise ValueError(f"{unit.slug}: a current unit must be its own current")

    @staticmethod
    def _build_text_index(
        spellings: Mapping[str, list[str]], not_places: Iterable[str], any_case: set[str]
    ) -> dict[str, _TextEntry]:
        index: dict[str, _TextEntry] = {}
        pairs = [(slug, s) for slug, ss in spellings.items() for s in ss]
        pairs += [(None, s) for s in not_places]
        for slug, spelling in pairs:
            key = _canonical(spelling)
            caps = tuple(False for _ in key.split()) if spelling in any_case else _caps(spelling)
            old = index.get(key)
            if old is not None:
                if old.slug != slug:
                    raise ValueError(f"{spelling!r} names both {old.slug} and {slug}")
                # The most lenient spelling decides: "thành phố" also allows "Thành phố".
                caps = tuple(a and b for a, b in zip(old.caps, caps, strict=True))
            index[key] = _TextEntry(slug, caps)
        return index


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _index(
    spellings: Mapping[str, list[str]], keyfunc: Callable[[str], str]
) -> dict[str, set[str]]:
    index: dict[str, set[str]] = {}
    for slug, ss in spellings.items():
        for s in ss:
            index.setdefault(keyfunc(s), set()).add(slug)
    return index


@functools.cache
def default_gazetteer() -> Gazetteer:
    """The gazetteer of the bundled data file, loaded once."""
    return Gazetteer.load()
