"""What a chat subscribes to, and the rule that says whether an item is for it.

The rule: (province filter ∧ topic filter) ∨ any keyword; a chat with no subscription gets
nothing. Whether a keyword occurs in an item is text work (accents, word boundaries), so the
caller supplies that test; everything else about the rule lives here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.core.models import TaggedItem

PROVINCE, TOPIC, KEYWORD = "province", "topic", "keyword"
KINDS = (PROVINCE, TOPIC, KEYWORD)
NATIONAL = "toan-quoc"  # the province value of national items (no province is their subject)


@dataclass(frozen=True, slots=True)
class Keyword:
    """A keyword alert. Typed with accents it matches accent-aware; typed without, any accents."""

    text: str  # NFC, spaces tidied, as the user typed it
    folded: str  # lower case, no diacritics, đ → d
    accented: bool  # the user typed accents


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    """One subscription of one chat, as storage keeps it."""

    chat_ref: int
    kind: str  # PROVINCE | TOPIC | KEYWORD
    value: str  # current-unit slug or NATIONAL; topic slug; keyword text
    created_at: float = 0.0
    folded: str = ""  # keywords: Keyword.folded
    accented: bool = False  # keywords: Keyword.accented

    @property
    def keyword(self) -> Keyword:
        return Keyword(self.value, self.folded, self.accented)


@dataclass(frozen=True)
class ChatSubscriptions:
    provinces: frozenset[str] = frozenset()  # current-unit slugs, and NATIONAL for national items
    topics: frozenset[str] = frozenset()
    keywords: tuple[Keyword, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.provinces or self.topics or self.keywords)


def subscriptions_of(rows: Iterable[SubscriptionRow], as_of: float | None = None) -> ChatSubscriptions:
    """One chat's rows as the rule reads them; with ``as_of``, only rows that existed then."""
    live = [r for r in rows if as_of is None or r.created_at <= as_of]
    return ChatSubscriptions(
        provinces=frozenset(r.value for r in live if r.kind == PROVINCE),
        topics=frozenset(r.value for r in live if r.kind == TOPIC),
        keywords=tuple(r.keyword for r in live if r.kind == KEYWORD),
    )


def item_matches(
    subs: ChatSubscriptions, item: TaggedItem, keyword_occurs: Callable[[Keyword], bool]
) -> bool:
    """The subscription rule for one chat and one item."""
    if subs.empty:
        return False
    if subs.provinces or subs.topics:
        province_ok = not subs.provinces or bool(
            set(item.current_units) & subs.provinces
            or (item.national and NATIONAL in subs.provinces)
        )
        topic_ok = not subs.topics or bool(set(item.topics) & subs.topics)
        if province_ok and topic_ok:
            return True
    return any(keyword_occurs(k) for k in subs.keywords)
