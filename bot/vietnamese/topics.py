"""Topic taxonomy: tag digest items with ICT-sector topics and resolve what users type.

Three parts, one module each: ``topicspec`` (the ``Topic`` type, taxonomy files and overrides),
``topictagger`` (scoring article text) and ``topicinput`` (resolving user input). ``Topics``
puts them together for the rest of the project.

``Topics.load(path)`` reads a taxonomy file *instead of* the default taxonomy
(``bot/vietnamese/data/topics.toml``), then applies ``overrides`` (the parsed ``[topics]``
table of the app config, as a dict) on top; ``topicspec`` documents the format.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from bot.vietnamese.textnorm import clean
from bot.vietnamese.topicinput import TopicResolver
from bot.vietnamese.topicspec import (
    DEFAULT_LEAD_BONUS,
    DEFAULT_MIN_SCORE,
    TaxonomyDraft,
    Topic,
)
from bot.vietnamese.topictagger import TopicTagger, key_of

__all__ = ["Topic", "TopicResolution", "Topics", "default_topics"]


@dataclass(frozen=True)
class TopicResolution:
    """What a user's query names: ``topic`` when unambiguous, else up to 3 ``suggestions``."""

    query: str
    topic: Topic | None
    suggestions: tuple[Topic, ...] = ()


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
        self._thresholds = {
            t.slug: self.min_score if t.min_score is None else t.min_score for t in self.topics
        }
        self._tagger = TopicTagger(
            {t.slug: t.phrase_weights for t in self.topics},
            ignore=ignore,
            lead_bonus=self.lead_bonus,
            order={t.slug: i for i, t in enumerate(self.topics)},
        )
        self._resolver = TopicResolver(self.topics)

    @classmethod
    def load(cls, path: Path | None = None, overrides: Mapping[str, Any] | None = None) -> Topics:
        """The taxonomy in ``path`` (default: the bundled one) with ``overrides`` applied."""
        draft = TaxonomyDraft()
        if path is None:
            data = resources.files("bot.vietnamese").joinpath("data/topics.toml")
            draft.apply(tomllib.loads(data.read_text(encoding="utf-8")),
                        "bot/vietnamese/data/topics.toml")
        else:
            with Path(path).open("rb") as fh:
                draft.apply(tomllib.load(fh), str(path))
        if overrides:
            draft.apply(overrides, "config [topics]")
        taxonomy = draft.build()
        return cls(taxonomy.topics, min_score=taxonomy.min_score,
                   lead_bonus=taxonomy.lead_bonus, ignore=taxonomy.ignore)

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
        cleaned = clean(text or "")
        if not cleaned.strip() or self._tagger.empty:
            return {}
        return self._tagger.scores(cleaned, key_of(cleaned))

    def tag(self, text: str) -> list[str]:
        """Slugs of the topics whose score reaches their threshold, heaviest first."""
        return self._above_threshold(self.scores(text))

    def tag_clean(self, cleaned: str, *, key: str | None = None) -> list[str]:
        """``tag`` of text already through ``textnorm.clean``.

        ``key``: ``retone(cleaned.lower())``, given only when ``cleaned.lower()`` is plain
        (``textnorm.is_plain``). For callers that hold it already (classification computes it
        once per item).
        """
        if not cleaned.strip() or self._tagger.empty:
            return []
        return self._above_threshold(self._tagger.scores(cleaned, key or key_of(cleaned)))

    def _above_threshold(self, scores: dict[str, float]) -> list[str]:
        return [slug for slug, score in scores.items() if score >= self._thresholds[slug]]

    # ---- resolving user input

    def resolve(self, query: str) -> TopicResolution:
        """Slug, label (vi/en, accents optional), alias or phrase → topic; else suggestions."""
        query = query or ""
        slug, suggested = self._resolver.resolve(query)
        if slug is not None:
            return TopicResolution(query, self._by_slug[slug], ())
        return TopicResolution(query, None, tuple(self._by_slug[s] for s in suggested))


@cache
def default_topics() -> Topics:
    """The bundled taxonomy, compiled once."""
    return Topics.load()
