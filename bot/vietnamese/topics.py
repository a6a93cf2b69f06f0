"""Topic taxonomy: tag digest items with ICT-sector topics and resolve what users type.

The default taxonomy lives in ``bot/vietnamese/data/topics.toml``. A taxonomy file and the app config's
``[topics]`` table share one shape (a file may also hold it at top level, without ``[topics]``)::

    [topics]
    min_score = 2.0          # a topic is tagged when its score reaches this (default 2.0)
    lead_bonus = 1.5         # factor for phrases found in the lead sentence (default 1.5)
    ignore = ["Thông tin và Truyền thông"]   # matched, then scored as nothing (shields)
    disable = ["bao-chi"]    # drop topics (an unknown slug is an error)

    [topics.vien-thong.phrases]      # add phrases to a topic or change their weight;
    "Starlink" = 3                   # weight 0 removes a phrase
    "3G" = 0

    [topics.kinh-te-so]
    replace = true                   # phrases/aliases below replace the existing ones
    weight = 2.5                     # weight for phrases given as a list (default 2.0)
    phrases = ["kinh tế số", "thương mại điện tử"]

    [topics.y-te-so]                 # an unknown slug adds a topic: "vi" is required,
    vi = "Y tế số"                   # "en" defaults to "vi"
    en = "Digital health"
    aliases = ["e-health"]           # extra words for resolve() only (extend, or replace)
    min_score = 3.0                  # per-topic threshold (optional)
    phrases = { "y tế số" = 3, "bệnh án điện tử" = 3 }

``Topics.load(path)`` reads such a file *instead of* the default taxonomy, then applies
``overrides`` (the parsed ``[topics]`` table of the app config, as a dict) on top.

Scoring: every phrase found counts ``weight × (1 + ln(occurrences))``, times ``lead_bonus``
when it also occurs in the lead (first line or first sentence). Where phrases overlap the
longest one wins. Phrases are matched at word boundaries on ``accent_key`` (case and tone-mark
placement do not matter, accents do); ALL-CAPS phrases of at most three characters ("AI",
"SOC", "IOC", "5G") are matched case-sensitively on the text itself.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from bot.vietnamese.textnorm import (
    TokenMemo,
    WordStartPattern,
    accent_key,
    clean,
    fold,
    is_plain,
    retone,
)

__all__ = ["Topic", "TopicResolution", "Topics", "default_topics"]

DEFAULT_WEIGHT = 2.0
DEFAULT_MIN_SCORE = 2.0
DEFAULT_LEAD_BONUS = 1.5
LEAD_MAX_CHARS = 300
SUGGEST_CUTOFF = 75.0
MAX_SUGGESTIONS = 3
PREFIX_MIN_CHARS = 3
PREFIX_SCORE = 90.0
SUGGEST_MARGIN = 8.0  # suggestions scoring this far below the best one are noise

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_WORD = re.compile(r"\w+")
_SPACE_AROUND_PUNCT = re.compile(r"\s*([^\w\s])\s*")
_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_LEAD_PUNCT = re.compile(r"[.!?…\n]")
_LAST_WORD = re.compile(r"(?<!\w)\w+$")
# Abbreviations followed by a period in the digests' prose (on the lower-cased key).
_ABBREVIATIONS = frozenset(
    "tp tx tt ts gs pgs ths bs ks ncs st mr ms dr tr vs".split()
    + list("abcdefghijklmnopqrstuvwxyzđ")
)


# --------------------------------------------------------------------------- data classes


@dataclass(frozen=True)
class Topic:
    """One topic. ``weights`` runs parallel to ``phrases`` (empty: all DEFAULT_WEIGHT)."""

    slug: str
    name_vi: str
    name_en: str
    phrases: tuple[str, ...]
    weights: tuple[float, ...] = ()
    aliases: tuple[str, ...] = ()
    min_score: float | None = None

    def __post_init__(self) -> None:
        if not _SLUG.match(self.slug):
            raise ValueError(
                f"topic slug must be lower-case ascii words with dashes: {self.slug!r}"
            )
        if self.weights and len(self.weights) != len(self.phrases):
            raise ValueError(
                f"topic {self.slug}: {len(self.phrases)} phrases, {len(self.weights)} weights"
            )
        for phrase in self.phrases:
            if not _WORD.search(phrase):
                raise ValueError(f"topic {self.slug}: phrase {phrase!r} has no letters or digits")

    def label(self, lang: str = "vi") -> str:
        """The English label for "en"/"en-GB"/..., the Vietnamese one otherwise."""
        return self.name_en if (lang or "").lower().startswith("en") else self.name_vi

    @property
    def phrase_weights(self) -> dict[str, float]:
        weights = self.weights or (DEFAULT_WEIGHT,) * len(self.phrases)
        return dict(zip(self.phrases, weights, strict=True))


@dataclass(frozen=True)
class TopicResolution:
    """What a user's query names: ``topic`` when unambiguous, else up to 3 ``suggestions``."""

    query: str
    topic: Topic | None
    suggestions: tuple[Topic, ...] = ()


# --------------------------------------------------------------------------- text keys


def _token_key(token: str) -> str:
    """Key of one space-separated token: accent_key per word, every dash as "-"."""
    return _DASH.sub("-", _WORD.sub(_word_key, token))


def _word_key(match: re.Match[str]) -> str:
    return accent_key(match.group())


_TOKEN_KEYS = TokenMemo(_token_key)  # the digests' vocabulary is small
_DASH = re.compile(r"[\u2010-\u2014\u2212]")
_INVISIBLE = re.compile(r"[\u200b\ufeff]")


def _nfc(text: str) -> str:
    """NFC text with zero-width spaces made plain spaces (the regexes handle other spacing)."""
    text = unicodedata.normalize("NFC", text)
    return _INVISIBLE.sub(" ", text) if "\u200b" in text or "\ufeff" in text else text


def _key(text: str) -> str:
    """accent_key of NFC text, token by token, dashes made "-"; keeps the length of ``text``."""
    return _key_and_plain(text)[0]


def _key_and_plain(text: str) -> tuple[str, bool]:
    """``_key(text)``, and whether the key is plain text (``textnorm.is_plain``)."""
    lowered = text.lower()
    if is_plain(lowered):  # the usual case: one pass over the whole text gives the same key
        return text_key(retone(lowered)), True
    return " ".join(map(_TOKEN_KEYS.__getitem__, lowered.split(" "))), False


def text_key(retoned: str) -> str:
    """What phrases are matched against, from ``retone(text.lower())`` of plain clean text.

    ``Topics.tag_clean`` takes it (see ``textnorm.is_plain``); other text goes through ``tag``.
    """
    return _DASH.sub("-", retoned)


def _canon(text: str) -> str:
    """One spelling for a phrase or a match: single spaces, none around punctuation."""
    return _SPACES.sub(" ", _SPACE_AROUND_PUNCT.sub(r"\1", text)).strip()


def _lead_end(key: str) -> int:
    """End of the lead: the first line break, or . ! ? … followed by a space and not closing
    an abbreviation ("TP. Huế", "Postmart.vn" go on); at most LEAD_MAX_CHARS."""
    for m in _LEAD_PUNCT.finditer(key, 0, LEAD_MAX_CHARS):
        i = m.start()
        if key[i] == "\n":
            return i
        if i + 1 < len(key) and not key[i + 1].isspace():
            continue
        word = _LAST_WORD.search(key, 0, i)
        if word is None or word.group() not in _ABBREVIATIONS:
            return i
    return LEAD_MAX_CHARS


def _is_case_sensitive(phrase: str) -> bool:
    return len(phrase) <= 3 and phrase.upper() == phrase and phrase.lower() != phrase


def _phrase_key(phrase: str) -> str:
    """What a phrase is matched as: its accent key, or itself for a case-sensitive acronym."""
    cleaned = clean(phrase)
    return _canon(cleaned if _is_case_sensitive(cleaned) else _key(cleaned))


def _query_key(text: str) -> str:
    return _NOT_ALNUM.sub(" ", fold(text)).strip()


def _fragment(ch: str) -> str:
    if ch == " ":
        return r"\s+"
    if _WORD.match(ch):
        return re.escape(ch)
    return r"\s*" + re.escape(ch) + r"\s*"


def _trie_regex(keys: Iterable[str], *, sparse: bool = False) -> re.Pattern[str] | None:
    """One regex for all keys, prefixes shared, longest alternative first, word-bounded.

    ``sparse``: the keys start with characters that are rare in the text (upper-case acronyms);
    the word-start check then comes after the first character ("A(?<!\\w\\w)I") so that every
    branch starts with a literal and the regex engine skips ahead to those characters.
    """
    trie = _trie(keys)
    if not trie:
        return None
    if not sparse:
        return _trie_words(trie).regex
    firsts = [
        (_fragment(ch) + r"(?<!\w\w)" if _WORD.match(ch) else r"(?<!\w)" + _fragment(ch))
        + _alternatives(child)
        for ch, child in sorted(trie.items())
    ]
    return re.compile("(?:" + "|".join(firsts) + r")(?!\w)")


def _trie_words(trie: dict[str, Any]) -> WordStartPattern:
    """The non-sparse ``_trie_regex`` of a trie, with a faster search in plain text."""
    return WordStartPattern("(?:" + _alternatives(trie) + r")(?!\w)")


def _trie(keys: Iterable[str]) -> dict[str, Any]:
    """Character trie of the keys; "" marks the end of a key."""
    trie: dict[str, Any] = {}
    for key in keys:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = True
    return trie


def _alternatives(node: dict[str, Any]) -> str:
    """Regex for the keys below ``node``; a longer key is tried before its prefix."""
    alts = [_fragment(ch) + _alternatives(child) for ch, child in sorted(node.items()) if ch]
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    # "(?:X|)" rather than "(?:X)?": the same match, and a plain branch is cheaper for the
    # regex engine than a repeat.
    return f"(?:{body}|)" if "" in node else body


# --------------------------------------------------------------------------- loading


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{where}: expected a number >= 0, got {value!r}")
    return float(value)


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: expected a list of strings")
    return [clean(v) for v in value if clean(v)]


_TOPIC_KEYS = {"vi", "en", "aliases", "phrases", "weight", "replace", "min_score"}
_SETTING_KEYS = {"min_score", "lead_bonus", "ignore", "disable"}


@dataclass
class _Draft:
    """Mutable state while files and overrides are applied."""

    topics: dict[str, dict[str, Any]] = field(default_factory=dict)
    min_score: float = DEFAULT_MIN_SCORE
    lead_bonus: float = DEFAULT_LEAD_BONUS
    ignore: list[str] = field(default_factory=list)

    def apply(self, spec: Mapping[str, Any], source: str) -> None:
        if "topics" in spec and isinstance(spec["topics"], Mapping):
            spec = spec["topics"]
        for name, value in spec.items():
            where = f"{source}: topics.{name}"
            if name == "min_score":
                self.min_score = _number(value, where)
            elif name == "lead_bonus":
                self.lead_bonus = _number(value, where)
            elif name == "ignore":
                self.ignore += _strings(value, where)
            elif name == "disable":
                for slug in _strings(value, where):
                    if self.topics.pop(slug, None) is None:
                        raise ValueError(f"{where}: no topic {slug!r} to disable")
            elif isinstance(value, Mapping):
                self._apply_topic(name, value, where)
            else:
                raise ValueError(f"{where}: unknown setting (settings: {sorted(_SETTING_KEYS)})")

    def _apply_topic(self, slug: str, spec: Mapping[str, Any], where: str) -> None:
        if not _SLUG.match(slug):
            raise ValueError(f"{where}: a slug is lower-case ascii words joined by '-'")
        unknown = set(spec) - _TOPIC_KEYS
        if unknown:
            raise ValueError(
                f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(_TOPIC_KEYS)})"
            )
        topic = self.topics.get(slug)
        if topic is None:
            if not isinstance(spec.get("vi"), str) or not clean(spec["vi"]):
                raise ValueError(f"{where}: a new topic needs a Vietnamese label 'vi'")
            topic = self.topics[slug] = {
                "vi": "",
                "en": "",
                "aliases": [],
                "phrases": {},
                "min_score": None,
            }
        replace = spec.get("replace", False)
        if not isinstance(replace, bool):
            raise ValueError(f"{where}.replace: expected true or false")
        for lang in ("vi", "en"):
            if lang in spec:
                if not isinstance(spec[lang], str) or not clean(spec[lang]):
                    raise ValueError(f"{where}.{lang}: expected a non-empty string")
                topic[lang] = clean(spec[lang])
        topic["en"] = topic["en"] or topic["vi"]
        if "min_score" in spec:
            topic["min_score"] = _number(spec["min_score"], f"{where}.min_score")
        if "aliases" in spec:
            aliases = _strings(spec["aliases"], f"{where}.aliases")
            topic["aliases"] = aliases if replace else topic["aliases"] + aliases
        default = _number(spec.get("weight", DEFAULT_WEIGHT), f"{where}.weight")
        if "phrases" in spec:
            raw = spec["phrases"]
            if isinstance(raw, Mapping):
                pairs = [(p, _number(w, f"{where}.phrases.{p!r}")) for p, w in raw.items()]
            else:
                pairs = [(p, default) for p in _strings(raw, f"{where}.phrases")]
            phrases = {} if replace else topic["phrases"]  # phrase key -> (phrase, weight)
            for phrase, weight in pairs:
                phrase = clean(phrase)
                if not _WORD.search(phrase):
                    raise ValueError(f"{where}.phrases: {phrase!r} has no letters or digits")
                key = _phrase_key(phrase)  # "hoá" and "hóa" are one phrase
                phrases.pop(key, None)  # re-insert: the latest spelling and weight win
                if weight > 0:
                    phrases[key] = (phrase, weight)
            topic["phrases"] = phrases

    def build(self) -> Topics:
        topics = [
            Topic(
                slug=slug,
                name_vi=t["vi"],
                name_en=t["en"],
                phrases=tuple(phrase for phrase, _ in t["phrases"].values()),
                weights=tuple(weight for _, weight in t["phrases"].values()),
                aliases=tuple(dict.fromkeys(t["aliases"])),
                min_score=t["min_score"],
            )
            for slug, t in self.topics.items()
        ]
        return Topics(
            topics, min_score=self.min_score, lead_bonus=self.lead_bonus, ignore=self.ignore
        )


# --------------------------------------------------------------------------- the taxonomy


class Topics:
    """A compiled taxonomy: tag article text, resolve user queries."""

    def __init__(
        self,
        topics: Iterable[Topic],
        *,
        min_score: float = DEFAULT_MIN_SCORE,
        lead_bonus: float = DEFAULT_LEAD_BONUS,
        ignore: Iterable[str] = (),
    ) -> None:
        self.topics: tuple[Topic, ...] = tuple(topics)
        self.min_score = float(min_score)
        self.lead_bonus = float(lead_bonus)
        self._by_slug = {t.slug: t for t in self.topics}
        if len(self._by_slug) != len(self.topics):
            raise ValueError("duplicate topic slugs")
        self._order = {t.slug: i for i, t in enumerate(self.topics)}
        self._thresholds = {
            t.slug: self.min_score if t.min_score is None else t.min_score for t in self.topics
        }
        # phrase key -> ((slug, weight), ...); an ignored phrase maps to ().
        ci: dict[str, list[tuple[str, float]]] = {}
        cs: dict[str, list[tuple[str, float]]] = {}
        for topic in self.topics:
            own: dict[tuple[bool, str], float] = {}  # one weight per key: the last spelling wins
            for phrase, weight in topic.phrase_weights.items():
                own[_is_case_sensitive(clean(phrase)), _phrase_key(phrase)] = weight
            for (case_sensitive, key), weight in own.items():
                (cs if case_sensitive else ci).setdefault(key, []).append((topic.slug, weight))
        for phrase in ignore:  # ignoring wins over a topic's own phrase
            if _WORD.search(phrase):
                (cs if _is_case_sensitive(clean(phrase)) else ci)[_phrase_key(phrase)] = []
        self._ci = {k: tuple(v) for k, v in ci.items()}
        self._cs = {k: tuple(v) for k, v in cs.items()}
        ci_trie = _trie(self._ci)
        self._ci_words = _trie_words(ci_trie) if ci_trie else None
        self._ci_re = self._ci_words.regex if self._ci_words is not None else None
        self._cs_re = _trie_regex(self._cs, sparse=True)
        self._build_resolver()

    # ---- construction

    @classmethod
    def load(cls, path: Path | None = None, overrides: Mapping[str, Any] | None = None) -> Topics:
        """The taxonomy in ``path`` (default: the bundled one) with ``overrides`` applied."""
        draft = _Draft()
        if path is None:
            text = resources.files("bot.vietnamese").joinpath("data/topics.toml").read_text(encoding="utf-8")
            draft.apply(tomllib.loads(text), "bot/vietnamese/data/topics.toml")
        else:
            with Path(path).open("rb") as fh:
                draft.apply(tomllib.load(fh), str(path))
        if overrides:
            draft.apply(overrides, "config [topics]")
        return draft.build()

    # ---- lookup

    def get(self, slug: str) -> Topic:
        try:
            return self._by_slug[slug]
        except KeyError:
            raise KeyError(f"unknown topic {slug!r}") from None

    def __contains__(self, slug: object) -> bool:
        return slug in self._by_slug

    def __iter__(self) -> Iterator[Topic]:
        return iter(self.topics)

    def __len__(self) -> int:
        return len(self.topics)

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(self._by_slug)

    # ---- tagging

    def scores(self, text: str) -> dict[str, float]:
        """Score of every topic found in ``text`` (> 0 only), heaviest first."""
        cleaned = _nfc(text or "")
        if not cleaned.strip() or self._ci_re is None and self._cs_re is None:
            return {}
        key, plain = _key_and_plain(cleaned)
        return self._scores(cleaned, key, plain)

    def tag(self, text: str) -> list[str]:
        """Slugs of the topics whose score reaches their threshold, heaviest first."""
        return self._above_threshold(self.scores(text))

    def tag_clean(self, cleaned: str, *, key: str | None = None) -> list[str]:
        """``tag`` of text already through ``textnorm.clean``.

        ``key``: ``text_key(retone(cleaned.lower()))``, given only when ``cleaned.lower()`` is
        plain (``textnorm.is_plain``). For callers that hold these already (classification
        computes them once per item).
        """
        if not cleaned.strip() or self._ci_re is None and self._cs_re is None:
            return []
        if key is None:
            key, plain = _key_and_plain(cleaned)
        else:
            plain = True
        return self._above_threshold(self._scores(cleaned, key, plain))

    def _above_threshold(self, scores: dict[str, float]) -> list[str]:
        return [slug for slug, score in scores.items() if score >= self._thresholds[slug]]

    def _scores(self, cleaned: str, key: str, plain: bool) -> dict[str, float]:
        lead_end = _lead_end(key)
        # phrase key -> [count, found in the lead]; accent-insensitive phrases, then acronyms
        # (the order in which scores are summed, kept for bit-identical results).
        ci_hits: dict[str, list] = {}
        cs_hits: dict[str, list] = {}
        starts: list[int] = []
        ends: list[int] = []
        if self._ci_words is not None:
            find = self._ci_words.searcher(key, plain=plain)
            pos = 0
            while (found := find(pos)) is not None:
                start, pos, phrase = found
                starts.append(start)
                ends.append(pos)
                entry = ci_hits.get(phrase)
                if entry is None:
                    ci_hits[phrase] = [1, start < lead_end]
                else:
                    entry[0] += 1
                    if start < lead_end:
                        entry[1] = True
        if self._cs_re is not None:
            aligned = len(key) == len(cleaned)
            for m in self._cs_re.finditer(cleaned):
                if aligned and starts:  # skip an acronym inside a longer phrase ("camera AI")
                    i = bisect_right(starts, m.start()) - 1
                    if i >= 0 and ends[i] > m.start():
                        continue
                phrase = m.group()
                entry = cs_hits.get(phrase)
                if entry is None:
                    cs_hits[phrase] = [1, m.start() < lead_end]
                else:
                    entry[0] += 1
                    if m.start() < lead_end:
                        entry[1] = True
        totals: dict[str, float] = {}
        for table, hits in ((self._ci, ci_hits), (self._cs, cs_hits)):
            for phrase, (count, in_lead) in hits.items():
                targets = table.get(phrase)
                if targets is None:  # matched with other spacing: "bưu điện  -  văn hoá xã"
                    targets = table.get(_canon(phrase), ())
                factor = (1.0 + math.log(count)) * (self.lead_bonus if in_lead else 1.0)
                for slug, weight in targets:
                    totals[slug] = totals.get(slug, 0.0) + weight * factor
        ranked = sorted(
            ((slug, round(score, 3)) for slug, score in totals.items() if score > 0),
            key=lambda kv: (-kv[1], self._order[kv[0]]),
        )
        return dict(ranked)

    # ---- resolving user input

    def _build_resolver(self) -> None:
        exact: dict[str, tuple[tuple, str]] = {}
        fuzzy: dict[str, set[str]] = {}

        def add(text: str, slug: str, rank: tuple) -> None:
            key = _query_key(text)
            if not key:
                return
            # "buuchinh" / "do thi thong minh" typed without spaces rank below exact keys
            for k, r in ((key, rank), (key.replace(" ", ""), (2, *rank))):
                if k not in exact or r < exact[k][0]:
                    exact[k] = (r, slug)
            fuzzy.setdefault(key, set()).add(slug)

        for i, topic in enumerate(self.topics):
            for name in (topic.slug, topic.name_vi, topic.name_en, *topic.aliases):
                add(name, topic.slug, (0, i))
            for phrase, weight in topic.phrase_weights.items():
                add(phrase, topic.slug, (1, -weight, i))
        self._exact = {key: slug for key, (_, slug) in exact.items()}
        self._fuzzy = [
            (key, tuple(sorted(slugs, key=self._order.__getitem__))) for key, slugs in fuzzy.items()
        ]

    def resolve(self, query: str) -> TopicResolution:
        """Slug, label (vi/en, accents optional), alias or phrase → topic; else suggestions."""
        query = query or ""
        key = _query_key(query)
        if not key:
            return TopicResolution(query, None, ())
        slug = self._exact.get(key) or self._exact.get(key.replace(" ", ""))
        if slug is not None:
            return TopicResolution(query, self._by_slug[slug], ())
        best: dict[str, float] = {}
        for candidate, slugs in self._fuzzy:
            score = max(fuzz.ratio(key, candidate), fuzz.token_sort_ratio(key, candidate))
            if len(key) >= PREFIX_MIN_CHARS and candidate.startswith(key):
                score = max(score, PREFIX_SCORE)  # "bưu" → bưu chính, "digital" → digital …
            if score >= SUGGEST_CUTOFF:
                for s in slugs:
                    best[s] = max(best.get(s, 0.0), score)
        top = max(best.values(), default=0.0)
        close = [s for s in best if best[s] >= top - SUGGEST_MARGIN]
        ranked = sorted(close, key=lambda s: (-best[s], self._order[s]))[:MAX_SUGGESTIONS]
        return TopicResolution(query, None, tuple(self._by_slug[s] for s in ranked))


@cache
def default_topics() -> Topics:
    """The bundled taxonomy, compiled once."""
    return Topics.load()
