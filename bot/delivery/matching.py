"""Who wants an item: the subscription rule, for one chat and (via an index) for many."""

from __future__ import annotations

import re
import struct
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from math import inf

from bot.core.models import TaggedItem
from bot.core.subscriptions import (
    KEYWORD,
    NATIONAL,
    PROVINCE,
    TOPIC,
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


_PACKERS: dict[int, struct.Struct] = {}


def _pack(key_ids: Sequence[int], created: Sequence[float]) -> bytes:
    """A chat's subscriptions as n key ids (int32) then n creation times (float64), unpadded."""
    n = len(key_ids)
    packer = _PACKERS.get(n)
    if packer is None:
        packer = _PACKERS[n] = struct.Struct(f"={n}i{n}d")
    return packer.pack(*key_ids, *created)


def _unpack(packed: bytes) -> tuple[array, array]:
    n = len(packed) // 12
    key_ids, created = array("i"), array("d")
    key_ids.frombytes(packed[: 4 * n])
    created.frombytes(packed[4 * n :])
    return key_ids, created


class RecipientIndex:
    """Who gets an item, without testing every chat. Same answer as ``item_matches`` over each
    chat's subscriptions as they were when the item was stored (subscriptions created later than
    ``item.stored_at`` do not count).

    Sized for a million chats: each subscribed value has ``array('i')`` lists of chat refs (the
    chats filtering by that province or topic alone, and those filtering by both), each chat's
    subscriptions are packed in one bytes object, and ``update`` replaces chats in place. Chat
    refs are SQLite rowids: small, dense, below 2**31.
    """

    def __init__(self, rows: Iterable[SubscriptionRow] = ()) -> None:
        self._key_ids: dict[tuple[str, str], int] = {}
        self._keys: list[SubscriptionRow] = []  # per key id: the subscription it stands for
        self._alone: list[array] = []  # per key id: chats not filtering by the other dimension
        self._both: list[array] = []  # per province/topic key id: chats filtering by both
        self._by_value: dict[str, dict[str, int]] = {PROVINCE: {}, TOPIC: {}}
        self._by_keyword: tuple[dict[str, list[int]], dict[str, list[int]]] = ({}, {})
        self._odd: list[int] = []  # keyword keys the automaton cannot hold
        self._automata: tuple[KeywordAutomaton, KeywordAutomaton] | None = None
        self._packed: list[bytes | None] = []  # per chat ref
        self._chats = 0
        self._keyword_subs = 0
        # Each chat's newest subscription time, and the chats sorted by it, plus the changes
        # since the last sort: who subscribed to something after an item was stored.
        self._newest = array("d")
        self._sorted_times, self._sorted_chats = array("d"), array("i")
        self._late: list[tuple[float, int]] = []
        self._late_max = -inf
        by_chat: dict[int, list[SubscriptionRow]] = {}
        for row in rows:
            by_chat.setdefault(row.chat_ref, []).append(row)
        self.update(by_chat)
        self.compact()

    def __len__(self) -> int:
        """Chats in the index."""
        return self._chats

    def __contains__(self, chat_ref: object) -> bool:
        return isinstance(chat_ref, int) and 0 <= chat_ref < len(self._packed) and self._packed[chat_ref] is not None

    @property
    def has_keywords(self) -> bool:
        return self._keyword_subs > 0

    def update(self, changes: Mapping[int, Sequence[SubscriptionRow]]) -> None:
        """Give each chat in ``changes`` exactly these subscriptions (none: it leaves the index)."""
        if not changes:
            return
        removals: dict[tuple[int, bool], set[int]] = {}
        additions: dict[tuple[int, bool], list[int]] = {}
        self._grow(max(changes))
        packed, newest, ids, key_id = self._packed, self._newest, self._key_ids, self._key_id
        for ref, rows in changes.items():
            old = packed[ref]
            if old is not None:
                for place in self._places(set(_unpack(old)[0])):
                    removals.setdefault(place, set()).add(ref)
                packed[ref] = None
                self._chats -= 1
            if not rows:
                continue
            key_ids = [ids.get((row.kind, row.value)) or key_id(row) for row in rows]
            created = [row.created_at for row in rows]
            if len(rows) == 1:
                places: Iterable[tuple[int, bool]] = ((key_ids[0], False),)
            else:
                kinds = [row.kind for row in rows]
                both = PROVINCE in kinds and TOPIC in kinds
                places = {(k, both and kind != KEYWORD) for k, kind in zip(key_ids, kinds, strict=True)}
            for place in places:
                additions.setdefault(place, []).append(ref)
            packed[ref] = _pack(key_ids, created)
            self._chats += 1
            newest[ref] = latest = max(created)
            self._late.append((latest, ref))
            self._late_max = max(self._late_max, latest)
        for (key_id, both), refs in removals.items():
            lists = self._both if both else self._alone
            if len(refs) <= 8:
                for ref in refs:
                    lists[key_id].remove(ref)
            else:
                lists[key_id] = array("i", [c for c in lists[key_id] if c not in refs])
            if self._keys[key_id].kind == KEYWORD:
                self._keyword_subs -= len(refs)
        for (key_id, both), refs in additions.items():
            (self._both if both else self._alone)[key_id].extend(refs)
            if self._keys[key_id].kind == KEYWORD:
                self._keyword_subs += len(refs)
        if len(self._late) > max(4096, self._chats // 16):
            self.compact()

    def compact(self) -> None:
        """Sort the chats by their newest subscription again (after a bulk load, or on its own
        once enough chats changed)."""
        refs = [ref for ref, packed in enumerate(self._packed) if packed is not None]
        refs.sort(key=self._newest.__getitem__)
        self._sorted_chats = array("i", refs)
        self._sorted_times = array("d", [self._newest[ref] for ref in refs])
        self._late.clear()
        self._late_max = -inf

    def recipients(self, item: TaggedItem, keys: tuple[str, str] | None = None) -> set[int]:
        """chat_refs that should get this item."""
        units = list(item.current_units)
        if item.national:
            units.append(NATIONAL)
        province_ids = [k for u in units if (k := self._by_value[PROVINCE].get(u)) is not None]
        topic_ids = [k for tp in item.topics if (k := self._by_value[TOPIC].get(tp)) is not None]
        out: set[int] = set()
        for key_id in (*province_ids, *topic_ids):
            out.update(self._alone[key_id])
        both: set[int] = set()
        for key_id in province_ids:
            both.update(self._both[key_id])
        if both:
            topical: set[int] = set()
            for key_id in topic_ids:
                topical.update(self._both[key_id])
            out |= both & topical
        if self._keyword_subs:
            keys = keys or item_keys(item)
            for mode, automaton in enumerate(self._keyword_automata()):
                if automaton:
                    for key in automaton.find(keys[mode]):
                        for key_id in self._by_keyword[mode][key]:
                            out.update(self._alone[key_id])
            for key_id in self._odd:
                if self._alone[key_id] and keyword_occurs(self._keys[key_id].keyword, keys):
                    out.update(self._alone[key_id])
        when = item.stored_at
        if when is not None:
            # Chats that subscribed to something after the item was stored: judged one by one
            # on the subscriptions they had then.
            for chat in self._subscribed_after(when):
                out.discard(chat)
                if item_matches(subscriptions_of(self._rows_of(chat), as_of=when), item, keys):
                    out.add(chat)
        return out

    def _key_id(self, row: SubscriptionRow) -> int:
        """The id of (kind, value), registered on first sight (a keyword's value decides its
        folded form and accent mode, as in storage's primary key)."""
        ident = (row.kind, row.value)
        key_id = self._key_ids.get(ident)
        if key_id is not None:
            return key_id
        key_id = self._key_ids[ident] = len(self._keys)
        self._keys.append(SubscriptionRow(0, row.kind, row.value, 0.0, row.folded, row.accented))
        self._alone.append(array("i"))
        self._both.append(array("i"))
        if row.kind != KEYWORD:
            self._by_value[row.kind][row.value] = key_id
        elif key := keyword_key(row.keyword):
            self._by_keyword[0 if row.accented else 1].setdefault(key, []).append(key_id)
            self._automata = None
        else:
            self._odd.append(key_id)
        return key_id

    def _places(self, key_ids: set[int]) -> list[tuple[int, bool]]:
        """(key id, in the both-filters list) of each of a chat's keys."""
        kinds = [self._keys[k].kind for k in key_ids]
        both = PROVINCE in kinds and TOPIC in kinds
        return [(k, both and kind != KEYWORD) for k, kind in zip(key_ids, kinds, strict=True)]

    def _grow(self, ref: int) -> None:
        missing = ref + 1 - len(self._packed)
        if missing > 0:
            self._packed.extend([None] * missing)
            self._newest.frombytes(bytes(8 * missing))

    def _keyword_automata(self) -> tuple[KeywordAutomaton, KeywordAutomaton]:
        if self._automata is None:
            self._automata = (KeywordAutomaton(list(self._by_keyword[0])), KeywordAutomaton(list(self._by_keyword[1])))
        return self._automata

    def _subscribed_after(self, when: float) -> set[int]:
        """Chats whose newest subscription is later than ``when``."""
        newest, packed = self._newest, self._packed
        found = set()
        times, chats = self._sorted_times, self._sorted_chats
        for i in range(bisect_right(times, when), len(times)):
            ref = chats[i]
            if newest[ref] == times[i] and packed[ref] is not None:
                found.add(ref)
        if self._late_max > when:
            found.update(
                ref for t, ref in self._late if t > when and newest[ref] == t and packed[ref] is not None
            )
        return found

    def _rows_of(self, ref: int) -> list[SubscriptionRow]:
        key_ids, created = _unpack(self._packed[ref])
        return [
            SubscriptionRow(ref, k.kind, k.value, t, k.folded, k.accented)
            for k, t in zip((self._keys[i] for i in key_ids), created, strict=True)
        ]
