"""Who wants an item: the subscription rule, for one chat and (via an index) for many."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from bot.gazetteer import NATIONAL
from bot.models import TaggedItem
from bot.textnorm import accent_key, fold, has_diacritics


@dataclass(frozen=True)
class Keyword:
    """A keyword alert. Typed with accents it matches accent-aware; typed without, any accents."""

    text: str

    @cached_property
    def accented(self) -> bool:
        return has_diacritics(self.text)

    @cached_property
    def key(self) -> str:
        return accent_key(self.text) if self.accented else fold(self.text)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(rf"(?<!\w){re.escape(self.key)}(?!\w)")

    def occurs_in(self, item_keys: tuple[str, str]) -> bool:
        """``item_keys`` is (accent_key(text), fold(text)) of the item's title and body."""
        return bool(self.pattern.search(item_keys[0] if self.accented else item_keys[1]))


def item_keys(item: TaggedItem) -> tuple[str, str]:
    text = f"{item.title}\n{item.body}"
    return accent_key(text), fold(text)


@dataclass(frozen=True)
class ChatSubscriptions:
    provinces: frozenset[str] = frozenset()  # current-unit slugs, and NATIONAL for national items
    topics: frozenset[str] = frozenset()
    keywords: tuple[Keyword, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.provinces or self.topics or self.keywords)


def item_matches(
    subs: ChatSubscriptions, item: TaggedItem, keys: tuple[str, str] | None = None
) -> bool:
    """The subscription rule: (province ∧ topic filters) ∨ any keyword; nothing subscribed → nothing."""
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
    if subs.keywords:
        keys = keys or item_keys(item)
        return any(k.occurs_in(keys) for k in subs.keywords)
    return False
