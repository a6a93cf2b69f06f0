"""What a user typed for a topic: slug, label (vi/en, accents optional), alias or phrase; else
the closest topics as suggestions."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz

from bot.vietnamese.textnorm import fold
from bot.vietnamese.topicspec import Topic

SUGGEST_CUTOFF = 75.0
MAX_SUGGESTIONS = 3
PREFIX_MIN_CHARS = 3
PREFIX_SCORE = 90.0
SUGGEST_MARGIN = 8.0  # suggestions scoring this far below the best one are noise

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def _query_key(text: str) -> str:
    return _NOT_ALNUM.sub(" ", fold(text)).strip()


class TopicResolver:
    """Typed text → topic slug, or up to MAX_SUGGESTIONS slugs."""

    def __init__(self, topics: Sequence[Topic]) -> None:
        self._order = {t.slug: i for i, t in enumerate(topics)}
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

        for i, topic in enumerate(topics):
            for name in (topic.slug, topic.name_vi, topic.name_en, *topic.aliases):
                add(name, topic.slug, (0, i))
            for phrase, weight in topic.phrase_weights.items():
                add(phrase, topic.slug, (1, -weight, i))
        self._exact = {key: slug for key, (_, slug) in exact.items()}
        self._fuzzy = [
            (key, tuple(sorted(slugs, key=self._order.__getitem__))) for key, slugs in fuzzy.items()
        ]

    def resolve(self, query: str) -> tuple[str | None, list[str]]:
        """(slug of the topic named, or None; slugs to suggest when None)."""
        key = _query_key(query)
        if not key:
            return None, []
        slug = self._exact.get(key) or self._exact.get(key.replace(" ", ""))
        if slug is not None:
            return slug, []
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
        return None, sorted(close, key=lambda s: (-best[s], self._order[s]))[:MAX_SUGGESTIONS]
