"""Who wants an item: the subscription rule, for one chat and (via an index) for many."""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from bot.core.models import TaggedItem
from bot.core.subscriptions import (
    NATIONAL,
    ChatSubscriptions,
    Keyword,
    SubscriptionRow,
    subscriptions_of,
)
from bot.core.subscriptions import item_matches as core_item_matches
from bot.vietnamese.textnorm import accent_key, clean, fold, has_diacritics


def make_keyword(text: str) -> Keyword:
    """A keyword alert from what the user typed."""
    text = clean(text)
    return Keyword(text, fold(text), has_diacritics(text))


def keyword_key(keyword: Keyword) -> str:
    """What a keyword is looked up by: its accent key when typed with accents, else folded."""
    return _accented_key(keyword.text) if keyword.accented else keyword.folded


@lru_cache(maxsize=65536)
def _accented_key(text: str) -> str:
    return accent_key(text)


@lru_cache(maxsize=65536)
def _keyword_pattern(key: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(key)}(?!\w)")


def keyword_occurs(keyword: Keyword, keys: tuple[str, str]) -> bool:
    """``keys`` is (accent_key(text), fold(text)) of the item's title and body."""
    pattern = _keyword_pattern(keyword_key(keyword))
    return bool(pattern.search(keys[0] if keyword.accented else keys[1]))


def item_keys(item: TaggedItem) -> tuple[str, str]:
    text = f"{item.title}\n{item.body}"
    return accent_key(text), fold(text)


def item_matches(
    subs: ChatSubscriptions, item: TaggedItem, keys: tuple[str, str] | None = None
) -> bool:
    """The subscription rule (bot.core.subscriptions) with this module's keyword test."""
    if subs.keywords and keys is None:
        keys = item_keys(item)
    return core_item_matches(subs, item, lambda k: keyword_occurs(k, keys))


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class KeywordAutomaton:
    """Aho–Corasick over many keyword keys: every key occurring in a text as a whole word
    (no word character right before or after), overlapping occurrences included."""

    __slots__ = ("_goto", "_fail", "_out")

    def __init__(self, keys: set[str] | frozenset[str] | list[str]) -> None:
        goto: list[dict[str, int]] = [{}]
        out: list[tuple[str, ...]] = [()]
        for key in keys:
            if not key:
                continue
            state = 0
            for ch in key:
                nxt = goto[state].get(ch)
                if nxt is None:
                    nxt = len(goto)
                    goto[state][ch] = nxt
                    goto.append({})
                    out.append(())
                state = nxt
            if key not in out[state]:
                out[state] = (*out[state], key)
        fail = [0] * len(goto)
        queue = list(goto[0].values())
        for state in queue:  # breadth first: a state's fail link is computed before its children's
            for ch, nxt in goto[state].items():
                queue.append(nxt)
                f = fail[state]
                while f and ch not in goto[f]:
                    f = fail[f]
                target = goto[f].get(ch, 0)
                fail[nxt] = target if target != nxt else 0
                if out[fail[nxt]]:
                    out[nxt] = out[nxt] + out[fail[nxt]]
        self._goto, self._fail, self._out = goto, fail, out

    def __bool__(self) -> bool:
        return len(self._goto) > 1

    def find(self, text: str) -> set[str]:
        """The keys occurring in ``text`` as whole words."""
        goto, fail, out = self._goto, self._fail, self._out
        found: set[str] = set()
        state = 0
        size = len(text)
        for i, ch in enumerate(text):
            while state and ch not in goto[state]:
                state = fail[state]
            state = goto[state].get(ch, 0)
            if out[state]:
                after_ok = i + 1 == size or not _is_word(text[i + 1])
                if not after_ok:
                    continue
                for key in out[state]:
                    if key in found:
                        continue
                    start = i + 1 - len(key)
                    if start == 0 or not _is_word(text[start - 1]):
                        found.add(key)
        return found


class RecipientIndex:
    """Who gets an item, without testing every chat: province → chats, topic → chats, and one
    keyword automaton per accent mode. Same answer as ``item_matches`` over each chat's
    subscriptions as they were when the item was stored (subscriptions created later than
    ``item.stored_at`` do not count)."""

    def __init__(self, rows: list[SubscriptionRow] | tuple[SubscriptionRow, ...]) -> None:
        by_chat: dict[int, list[SubscriptionRow]] = {}
        for row in rows:
            by_chat.setdefault(row.chat_ref, []).append(row)
        self._rows = by_chat
        self._province_only: dict[str, list[int]] = {}  # chats filtering by province alone
        self._topic_only: dict[str, list[int]] = {}  # chats filtering by topic alone
        self._both_province: dict[str, set[int]] = {}  # chats filtering by both
        self._both_topic: dict[str, set[int]] = {}
        self._keyword_chats: tuple[dict[str, list[int]], dict[str, list[int]]] = ({}, {})
        self._odd_keywords: list[tuple[Keyword, int]] = []  # keys the automaton cannot hold
        newest: list[tuple[float, int]] = []
        for chat, chat_rows in by_chat.items():
            provinces = {r.value for r in chat_rows if r.kind == "province"}
            topics = {r.value for r in chat_rows if r.kind == "topic"}
            if provinces and topics:
                for p in provinces:
                    self._both_province.setdefault(p, set()).add(chat)
                for tp in topics:
                    self._both_topic.setdefault(tp, set()).add(chat)
            elif provinces:
                for p in provinces:
                    self._province_only.setdefault(p, []).append(chat)
            else:
                for tp in topics:
                    self._topic_only.setdefault(tp, []).append(chat)
            for r in chat_rows:
                if r.kind != "keyword":
                    continue
                keyword = r.keyword
                key = keyword_key(keyword)
                if not key:
                    self._odd_keywords.append((keyword, chat))
                    continue
                table = self._keyword_chats[0 if keyword.accented else 1]
                chats = table.setdefault(key, [])
                if not chats or chats[-1] != chat:
                    chats.append(chat)
            newest.append((max(r.created_at for r in chat_rows), chat))
        newest.sort()
        self._newest_times = [t for t, _ in newest]
        self._newest_chats = [c for _, c in newest]
        self._automata = (
            KeywordAutomaton(list(self._keyword_chats[0])),
            KeywordAutomaton(list(self._keyword_chats[1])),
        )

    def __len__(self) -> int:
        """Chats in the index."""
        return len(self._rows)

    def __contains__(self, chat_ref: object) -> bool:
        return chat_ref in self._rows

    @property
    def has_keywords(self) -> bool:
        return bool(self._automata[0] or self._automata[1] or self._odd_keywords)

    def _current(self, item: TaggedItem) -> set[int]:
        """Recipients counting every subscription, whenever it was made."""
        units = list(item.current_units)
        if item.national:
            units.append(NATIONAL)
        out: set[int] = set()
        for unit in units:
            out.update(self._province_only.get(unit, ()))
        for tp in item.topics:
            out.update(self._topic_only.get(tp, ()))
        both: set[int] = set()
        for unit in units:
            both |= self._both_province.get(unit, set())
        if both:
            topical: set[int] = set()
            for tp in item.topics:
                topical |= self._both_topic.get(tp, set())
            out |= both & topical
        return out

    def recipients(self, item: TaggedItem, keys: tuple[str, str] | None = None) -> set[int]:
        """chat_refs that should get this item."""
        out = self._current(item)
        if self.has_keywords:
            keys = keys or item_keys(item)
            for mode in (0, 1):
                if self._automata[mode]:
                    table = self._keyword_chats[mode]
                    for key in self._automata[mode].find(keys[mode]):
                        out.update(table[key])
            for keyword, chat in self._odd_keywords:
                if chat not in out and keyword_occurs(keyword, keys):
                    out.add(chat)
        when = item.stored_at
        if when is not None and self._newest_times and self._newest_times[-1] > when:
            # Chats that subscribed to something after the item was stored: judged one by one
            # on the subscriptions they had then.
            start = bisect_right(self._newest_times, when)
            for chat in self._newest_chats[start:]:
                out.discard(chat)
                if item_matches(subscriptions_of(self._rows[chat], as_of=when), item, keys):
                    out.add(chat)
        return out
