"""The recipient index of every chat that takes instant pushes, kept in memory across batches.

``refresh`` before each batch brings it up to date with the database: one small query when
nothing changed; when something did (here or in another process), the chats the change log
(storage migration 0004, ``chat_changes``) names are read again, and only those. Paused chats
are left out of the index and come back by themselves when their pause ends.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from bot.core.models import TaggedItem
from bot.delivery.matching import RecipientIndex
from storage import subscribers
from storage.subscribers import Subscriber

if TYPE_CHECKING:  # pragma: no cover
    from storage.db import Database

_PAGE = 20_000  # chat refs read per statement on a full load
_REBUILD_AT = 5_000  # more changed chats than this (or a quarter of the index): read everything


class _Side(Mapping[int, str]):
    """Chat ref → its messenger (side 0) or language (side 1), for the chats in the index."""

    def __init__(self, chats: _Chats, side: int) -> None:
        self._chats, self._side = chats, side

    def __getitem__(self, ref: int) -> str:
        if ref not in self._chats.index:
            raise KeyError(ref)
        return self._chats.profiles[self._chats.profile_of[ref]][self._side]

    def __iter__(self) -> Iterator[int]:
        index = self._chats.index
        return (ref for ref in range(len(self._chats.profile_of)) if ref in index)

    def __len__(self) -> int:
        return len(self._chats.index)


class _Chats:
    """What the cache knows: the index of the chats taking pushes now, each one's (messenger,
    language) as a small code, and the paused chats with when their pause ends."""

    def __init__(self) -> None:
        self.index = RecipientIndex()
        self.profiles: list[tuple[str, str]] = []
        self.profile_of = array("H")  # per chat ref: its place in profiles
        self._profile_codes: dict[tuple[str, str], int] = {}
        self.paused: dict[int, float] = {}  # chat ref → paused until
        self.pause_ends: list[tuple[float, int]] = []  # heap of (paused until, chat ref)

    def take(self, found: dict[int, Subscriber], asked: Iterable[int], now: float) -> None:
        """Put the chats read into the index; the chats asked about but not found leave it."""
        changes: dict[int, list] = {ref: [] for ref in asked if ref not in found}
        for ref in changes:
            self.paused.pop(ref, None)
        if found:
            missing = max(found) + 1 - len(self.profile_of)
            if missing > 0:
                self.profile_of.frombytes(bytes(2 * missing))
        for ref, chat in found.items():
            if chat.is_paused(now):
                self.paused[ref] = chat.paused_until
                heapq.heappush(self.pause_ends, (chat.paused_until, ref))
                changes[ref] = []
                continue
            self.paused.pop(ref, None)
            changes[ref] = chat.rows
            profile = (chat.messenger, chat.lang)
            code = self._profile_codes.get(profile)
            if code is None:
                code = self._profile_codes[profile] = len(self.profiles)
                self.profiles.append(profile)
            self.profile_of[ref] = code
        self.index.update(changes)

    def pauses_ended(self, now: float) -> list[int]:
        ended = []
        while self.pause_ends and self.pause_ends[0][0] <= now:
            until, ref = heapq.heappop(self.pause_ends)
            if self.paused.get(ref) == until:  # else resumed or paused again since
                ended.append(ref)
        return ended


class RecipientCache:
    """Who gets an item among the chats that take instant pushes now (active, mode 'instant',
    not paused), with each one's language and messenger; ``await refresh(db, now=...)`` first.
    Between two awaits it always answers from one consistent state."""

    def __init__(self) -> None:
        self._chats = _Chats()
        self._version: int | None = None

    def __len__(self) -> int:
        return len(self._chats.index)

    def __contains__(self, chat_ref: object) -> bool:
        return chat_ref in self._chats.index

    @property
    def has_keywords(self) -> bool:
        return self._chats.index.has_keywords

    @property
    def langs(self) -> Mapping[int, str]:
        """Chat ref → language, for the chats in the index: ``cache.langs.get(ref, "vi")``."""
        return _Side(self._chats, 1)

    @property
    def messengers(self) -> Mapping[int, str]:
        """Chat ref → messenger ('telegram', 'zalo'), for the chats in the index."""
        return _Side(self._chats, 0)

    def recipients(self, item: TaggedItem, keys: tuple[str, str] | None = None) -> set[int]:
        """chat_refs that should get this item (``keys``: ``matching.item_keys(item)``)."""
        return self._chats.index.recipients(item, keys)

    async def refresh(self, db: Database, *, now: float) -> None:
        """Bring the index up to date with the database as of ``now``."""
        version = await subscribers.change_version(db)
        if self._version is None or version < self._version:
            await self._load_all(db, version, now)
        elif version > self._version:
            changed = await subscribers.changed_chats(db, since=self._version)
            if changed is None or len(changed[1]) > max(_REBUILD_AT, len(self) // 4):
                await self._load_all(db, version, now)
            else:
                applied, refs = changed
                await self._reload(db, refs, now)
                self._version = applied
        chats = self._chats
        ended = chats.pauses_ended(now)
        if ended:
            try:
                await self._reload(db, ended, now)
            except BaseException:
                for ref in ended:  # looked at again next time
                    heapq.heappush(chats.pause_ends, (chats.paused[ref], ref))
                raise

    async def _load_all(self, db: Database, version: int, now: float) -> None:
        # The version is read before the chats: a change made meanwhile is read again next time.
        fresh = _Chats()
        last = await subscribers.last_chat_ref(db)
        for start in range(1, last + 1, _PAGE):
            fresh.take(await subscribers.instant_subscribers(db, range(start, start + _PAGE)), (), now)
        fresh.index.compact()
        self._chats, self._version = fresh, version

    async def _reload(self, db: Database, refs: Iterable[int], now: float) -> None:
        refs = list(refs)
        found = await subscribers.instant_subscribers(db, refs)
        self._chats.take(found, refs, now)
