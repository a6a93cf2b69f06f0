"""Tag article text with topics: phrases found, weighed, summed per topic.

Every phrase found counts ``weight × (1 + ln(occurrences))``, times ``lead_bonus`` when it also
occurs in the lead (first line or first sentence). Where phrases overlap the longest one wins.
Phrases are matched as whole words on ``accent_key`` (case and tone-mark placement do not
matter, accents do), all in one pass (``phrasescan``); ALL-CAPS phrases of at most three
characters ("AI", "SOC", "IOC", "5G") are matched case-sensitively on the text itself.
"""

from __future__ import annotations

import itertools
import math
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from operator import itemgetter

from bot.vietnamese.phrasescan import PhraseScanner, spaced_punctuation
from bot.vietnamese.sentences import first_sentence_end
from bot.vietnamese.textnorm import TokenMemo, accent_key, clean, is_plain, retone
from bot.vietnamese.wordtrie import WordTrie

LEAD_MAX_CHARS = 300

_WORD = re.compile(r"\w+")
_SPACE_AROUND_PUNCT = re.compile(r"\s*([^\w\s])\s*")
_SPACES = re.compile(r"\s+")
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"  # "-" in a phrase matches any of them
_START = itemgetter(0)  # of a find: (start, end, phrase)
_DASH = re.compile(f"[{re.escape(_DASHES[1:])}]")  # how a phrase's dashes become "-"


# --------------------------------------------------------------------------- text keys


def _token_key(token: str) -> str:
    """Key of one space-separated token: accent_key per word."""
    return _WORD.sub(_word_key, token)


def _word_key(match: re.Match[str]) -> str:
    return accent_key(match.group())


_TOKEN_KEYS = TokenMemo(_token_key)  # the digests' vocabulary is small


def key_of(text: str) -> str:
    """accent_key of NFC text, token by token; keeps the length of ``text``.

    Plain text (``textnorm.is_plain``) keys as ``retone(text.lower())``, which
    ``Topics.tag_clean`` also takes from callers that hold it.
    """
    lowered = text.lower()
    if is_plain(lowered):  # the usual case: one pass over the whole text gives the same key
        return retone(lowered)
    return " ".join(map(_TOKEN_KEYS.__getitem__, lowered.split(" ")))


def _canon(text: str) -> str:
    """One spelling for a phrase or a match: single spaces, none around punctuation."""
    return _SPACES.sub(" ", _SPACE_AROUND_PUNCT.sub(r"\1", text)).strip()


def _lead_end(cleaned: str) -> int:
    """End of the lead: the first line break or the end of the first sentence (at most
    LEAD_MAX_CHARS)."""
    newline = cleaned.find("\n")
    # The whole first line, as sentences.lead_spans asks for it: one cached computation.
    return min(first_sentence_end(cleaned if newline < 0 else cleaned[:newline]), LEAD_MAX_CHARS)


def is_case_sensitive(phrase: str) -> bool:
    return len(phrase) <= 3 and phrase.upper() == phrase and phrase.lower() != phrase


def phrase_key(phrase: str) -> str:
    """What a phrase is matched as: its accent key, or itself for a case-sensitive acronym."""
    cleaned = clean(phrase)
    return _canon(cleaned if is_case_sensitive(cleaned) else _DASH.sub("-", key_of(cleaned)))


def _spellings(key: str) -> list[str]:
    """How a phrase key may be written in a text's key: punctuation spaced either way, and
    every kind of dash where it has "-"."""
    out = []
    for spaced in sorted(spaced_punctuation(key)):
        parts = spaced.split("-")
        out += [parts[0] + "".join(d + part for d, part in zip(dashes, parts[1:], strict=True))
                for dashes in itertools.product(_DASHES, repeat=len(parts) - 1)]
    return out


def _fragment(ch: str) -> str:
    if ch == " ":
        return r"\s+"
    if _WORD.match(ch):
        return re.escape(ch)
    return r"\s*" + re.escape(ch) + r"\s*"


# --------------------------------------------------------------------------- scoring

Targets = tuple[tuple[str, float], ...]  # (topic slug, weight) of one phrase; () when ignored


class TopicTagger:
    """Phrase tables compiled into a scanner (accent-insensitive phrases) and a regex
    (acronyms)."""

    def __init__(
        self,
        phrases: Mapping[str, Mapping[str, float]],
        *,
        ignore: Iterable[str],
        lead_bonus: float,
        order: Mapping[str, int],
    ) -> None:
        """``phrases``: topic slug → phrase → weight; ``order``: slug → rank for ties."""
        self.lead_bonus = lead_bonus
        self._order = order
        ci: dict[str, list[tuple[str, float]]] = {}
        cs: dict[str, list[tuple[str, float]]] = {}
        for slug, weights in phrases.items():
            own: dict[tuple[bool, str], float] = {}  # one weight per key: the last spelling wins
            for phrase, weight in weights.items():
                own[is_case_sensitive(clean(phrase)), phrase_key(phrase)] = weight
            for (case_sensitive, key), weight in own.items():
                (cs if case_sensitive else ci).setdefault(key, []).append((slug, weight))
        for phrase in ignore:  # ignoring wins over a topic's own phrase
            if _WORD.search(phrase):
                (cs if is_case_sensitive(clean(phrase)) else ci)[phrase_key(phrase)] = []
        self._ci: dict[str, Targets] = {k: tuple(v) for k, v in ci.items()}
        self._cs: dict[str, Targets] = {k: tuple(v) for k, v in cs.items()}
        self._ci_scan = PhraseScanner((s, k) for k in self._ci for s in _spellings(k))
        cs_trie = WordTrie(_fragment).update(self._cs)
        self._cs_re = cs_trie.sparse_pattern() if cs_trie else None

    @property
    def empty(self) -> bool:
        return not self._ci_scan and self._cs_re is None

    def scores(self, cleaned: str, key: str) -> dict[str, float]:
        """Score of every topic found (> 0 only), heaviest first; ``key``: ``key_of(cleaned)``."""
        lead_end = _lead_end(cleaned)
        # phrase key -> [count, found in the lead]; accent-insensitive phrases, then acronyms
        # (the order in which scores are summed, kept for bit-identical results).
        ci_hits: dict[str, list] = {}
        cs_hits: dict[str, list] = {}
        finds = self._ci_scan.scan(key)
        for start, _end, phrase in finds:  # the hot loop: _count inlined
            entry = ci_hits.get(phrase)
            if entry is None:
                ci_hits[phrase] = [1, start < lead_end]
            else:
                entry[0] += 1
                entry[1] = entry[1] or start < lead_end
        if self._cs_re is not None:
            aligned = len(key) == len(cleaned)
            for m in self._cs_re.finditer(cleaned):
                if aligned and finds:  # skip an acronym inside a longer phrase ("camera AI")
                    i = bisect_right(finds, m.start(), key=_START) - 1
                    if i >= 0 and finds[i][1] > m.start():
                        continue
                _count(cs_hits, m.group(), m.start() < lead_end)
        totals: dict[str, float] = {}
        for table, hits in ((self._ci, ci_hits), (self._cs, cs_hits)):
            for phrase, (count, in_lead) in hits.items():
                targets = table.get(phrase, ())
                factor = (1.0 + math.log(count)) * (self.lead_bonus if in_lead else 1.0)
                for slug, weight in targets:
                    totals[slug] = totals.get(slug, 0.0) + weight * factor
        ranked = sorted(
            ((slug, round(score, 3)) for slug, score in totals.items() if score > 0),
            key=lambda kv: (-kv[1], self._order[kv[0]]),
        )
        return dict(ranked)


def _count(hits: dict[str, list], phrase: str, in_lead: bool) -> None:
    entry = hits.get(phrase)
    if entry is None:
        hits[phrase] = [1, in_lead]
    else:
        entry[0] += 1
        entry[1] = entry[1] or in_lead
