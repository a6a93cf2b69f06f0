"""Instant pushes: newly stored items → the chats that want them → outbox rows, chunk by chunk.

A fan-out queues its recipients in chat order, ``[delivery] fanout_chunk`` chats per
transaction, and tells the delivery worker after each chunk: the first pushes leave while the
rest are still being queued, and the event loop answers commands between chunks. Each chunk's
rows commit with the fan-out's progress (storage.fanouts), so a crash in the middle queues
nothing twice and loses nothing: the next start resumes after the last chat queued.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from bot.core.models import TaggedItem
from bot.delivery.documents import push_document
from bot.delivery.matching import item_keys
from bot.delivery.packing import render_document
from bot.delivery.profile import Profile
from bot.delivery.recipient_cache import RecipientCache
from bot.plural import counted
from storage import fanouts, outbox
from storage import items as item_store
from storage.db import Database
from storage.outbox import NewMessage

if TYPE_CHECKING:  # pragma: no cover
    from bot.vietnamese.gazetteer import Gazetteer

log = logging.getLogger(__name__)

FANOUT_CHUNK = 1000  # chats per transaction, unless the config says otherwise
FIRST_CHUNK = 100  # chats in the first transaction; each next one twice as many, up to the chunk
YIELD_EVERY = 50  # chats rendered between turns of the event loop: sending keeps its pace
RENDERED_KEPT = 4096  # rendered pushes kept for chats with the same items: memory stays bounded
BATCH_ITEMS = 2000  # unmatched items taken per fan-out


def profile_for(profiles: Mapping[str, Profile], messenger: str) -> Profile:
    """The chat's messenger's profile (the first one known, for a messenger not configured)."""
    return profiles.get(messenger) or next(iter(profiles.values()))


class _Pushes:
    """Each chat's push as payloads, rendered once per (messenger, language, item set)."""

    def __init__(self, gazetteer: Gazetteer, profiles: Mapping[str, Profile]) -> None:
        self.gazetteer, self.profiles = gazetteer, profiles
        self._rendered: OrderedDict[tuple, list[dict]] = OrderedDict()
        self._blocks: dict = {}  # one item's block per language, shared by every document

    def payloads(self, messenger: str, lang: str, items: Sequence[TaggedItem]) -> list[dict]:
        key = (messenger, lang, tuple(i.item_id for i in items))
        found = self._rendered.get(key)
        if found is None:
            document = push_document(items, lang=lang, gazetteer=self.gazetteer, cache=self._blocks)
            found = render_document(document, profile_for(self.profiles, messenger))
            self._rendered[key] = found
            if len(self._rendered) > RENDERED_KEPT:
                self._rendered.popitem(last=False)
        return found


async def fan_out(
    db: Database,
    recipients: RecipientCache,
    items: Sequence[TaggedItem],
    *,
    gazetteer: Gazetteer,
    profiles: Mapping[str, Profile],
    now: float,
    chunk: int = FANOUT_CHUNK,
    on_chunk: Callable[[], None] | None = None,
    fanout_id: int | None = None,
    after_chat: int = 0,
) -> int:
    """Queue the pushes of these items for every chat after ``after_chat`` (a resumed fan-out),
    and mark the items matched with the last chunk; returns how many messages were queued."""
    wanted_by = [recipients.recipients(i, item_keys(i) if recipients.has_keywords else None) for i in items]
    order = sorted(chat for chat in set().union(*wanted_by) if chat > after_chat)
    seqs = [i.seq for i in items if i.seq is not None]
    pushes = _Pushes(gazetteer, profiles)
    langs, messengers = recipients.langs, recipients.messengers
    queued = 0
    for start, end in _chunks(len(order), chunk):
        part = order[start:end]
        messages = []
        for n, (chat, chat_items) in enumerate(_items_of(part, items, wanted_by).items(), 1):
            payloads = pushes.payloads(messengers.get(chat, "telegram"), langs.get(chat, "vi"), chat_items)
            ids = [i.item_id for i in chat_items]
            messages += [NewMessage(chat, "items", outbox.items_key(chat, ids, k), p) for k, p in enumerate(payloads)]
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # sends and commands go on while a chunk is built
        last = end >= len(order)
        async with db.transaction() as conn:
            queued += await outbox.enqueue_in(conn, messages, now=now) if messages else 0
            if last:
                await fanouts.finish(conn, fanout_id, seqs)
            else:
                if fanout_id is None:
                    fanout_id = await fanouts.begin(conn, seqs, now)
                await fanouts.advance(conn, fanout_id, part[-1])
        if on_chunk is not None and messages:
            on_chunk()
    log.info("delivery: %s → %s for %s", counted(len(items), "new item"),
             counted(queued, "message"), counted(len(order), "chat"))
    return queued


def _chunks(total: int, chunk: int) -> list[tuple[int, int]]:
    """(start, end) of each chunk: the first ones small, doubling up to ``chunk``, so the first
    pushes are queued (and leave) before most of the fan-out is built; at least one, empty."""
    bounds, start, size = [], 0, min(FIRST_CHUNK, chunk)
    while True:
        bounds.append((start, min(start + size, total)))
        start, size = start + size, min(size * 2, chunk)
        if start >= total:
            return bounds


def _items_of(part: Sequence[int], items: Sequence[TaggedItem], wanted_by: Sequence[set[int]]) -> dict[int, list[TaggedItem]]:
    """Each chat of this chunk with its items, in feed order; grouped chunk by chunk, so the
    first chunk is ready without grouping every chat of the fan-out first."""
    members = set(part)
    per_chat: dict[int, list[TaggedItem]] = {chat: [] for chat in part}
    for item, chats in zip(items, wanted_by, strict=True):
        for chat in chats & members:
            per_chat[chat].append(item)
    return per_chat


async def match_new_items(
    db: Database,
    *,
    gazetteer: Gazetteer,
    profiles: Mapping[str, Profile],
    now: float,
    recipients: RecipientCache | None = None,
    chunk: int = FANOUT_CHUNK,
    on_chunk: Callable[[], None] | None = None,
) -> int:
    """Queue pushes for every item not yet matched: fan-outs a crash interrupted first, then
    the items just stored (or left unmatched by a crash). Returns how many messages."""
    recipients = recipients if recipients is not None else RecipientCache()
    await recipients.refresh(db, now=now)
    kw = dict(gazetteer=gazetteer, profiles=profiles, now=now, chunk=chunk, on_chunk=on_chunk)
    total = 0
    for unfinished in await fanouts.unfinished(db):
        items = await item_store.get_items(db, unfinished.item_seqs)
        log.info("delivery: resuming a fan-out of %s after chat %d", counted(len(items), "item"), unfinished.last_chat)
        total += await fan_out(db, recipients, items, fanout_id=unfinished.id, after_chat=unfinished.last_chat, **kw)
    while True:
        items = await item_store.unmatched_items(db, limit=BATCH_ITEMS)
        if not items:
            return total
        total += await fan_out(db, recipients, items, **kw)
        if len(items) < BATCH_ITEMS:
            return total
