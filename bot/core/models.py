"""Plain data passed between the pipeline stages: feed entry → raw item → tagged item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Period:
    """The week a digest reports on ("tuần 19 (từ ngày 07/5 đến ngày 13/5/2022)")."""

    start: date
    end: date
    week: int | None = None

    @property
    def year(self) -> int:
        return self.end.year

    def label(self) -> str:
        """"tuần 19 (07/05–13/05/2022)" style label, language-neutral numbers only."""
        span = f"{self.start:%d/%m}–{self.end:%d/%m/%Y}"
        return f"{self.week} ({span})" if self.week else span


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a parsed feed, before splitting."""

    guid: str
    title: str
    content: str  # HTML or plain text, as the feed gave it
    link: str = ""
    published: datetime | None = None


@dataclass(frozen=True)
class RawItem:
    """One bullet of a digest (or one whole article), before tagging."""

    title: str
    body: str
    link: str = ""
    published: datetime | None = None
    period: Period | None = None


def title_is_from_body(title: str, body: str) -> bool:
    """Whether the title is the start of the body: a digest item's first sentence, perhaps cut
    short ("…"), rather than an article's headline of its own."""
    stem = title.rstrip("…").rstrip()
    return not stem or body.startswith(stem)


@dataclass(frozen=True)
class TaggedItem:
    """A raw item with its provinces and topics; what storage keeps and matching reads."""

    item_id: str
    title: str
    body: str
    link: str
    published: datetime | None
    period: Period | None
    primary: tuple[str, ...] = ()  # province slugs named in the lead (old or current units)
    mentioned: tuple[str, ...] = ()  # province slugs named elsewhere in the body
    current_units: tuple[str, ...] = ()  # the 34-unit slugs of the primary provinces
    topics: tuple[str, ...] = ()  # topic slugs, heaviest first
    seq: int | None = None  # arrival order, once stored
    stored_at: float | None = None  # Unix time first stored
    feed_id: int | None = None

    @property
    def national(self) -> bool:
        return not self.primary

    @property
    def search_text(self) -> str:
        """What full-text search reads: the title and the body, the title only once."""
        return self.body if title_is_from_body(self.title, self.body) else f"{self.title}\n{self.body}"
