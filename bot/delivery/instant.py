"""Instant pushes: newly stored items → the chats that want them → outbox rows, in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from bot.core.models import TaggedItem
from bot.delivery.documents import push_document
from bot.delivery.matching import RecipientIndex, item_keys
from bot.delivery.packing import render_document
from bot.delivery.profile import Profile
from storage import items as item_store
from storage import outbox
from storage.db import Database
from storage.outbox import NewMessage
from storage.subscribers import Audience

if TYPE_CHECKING:  # pragma: no cover
    from bot.vietnamese.gazetteer import Gazetteer

log = logging.getLogger(__name__)


def profile_for(profiles: Mapping[str, Profile], messenger: str) -> Profile:
    """The chat's messenger's profile (the first one known, for a messenger not configured)."""
    return profiles.get(messenger) or next(iter(profiles.values()))


async def queue_instant(
    db: Database,
    index: RecipientIndex,
    items: Sequence[TaggedItem],
    *,
    gazetteer: Gazetteer,
    profiles: Mapping[str, Profile],
    now: float,
    audiences: Mapping[int, Audience] | None = None,
) -> int:
    """Queue the pushes for newly stored items and mark them matched, in one transaction.

    A crash before the commit leaves the items unmatched (redone at the next start); dedupe keys
    make a redo queue nothing twice. Returns how many messages were queued.
    """
    if not items:
        return 0
    per_chat: dict[int, list[TaggedItem]] = {}
    for item in items:
        keys = item_keys(item) if index.has_keywords else None
        for chat in index.recipients(item, keys):
            per_chat.setdefault(chat, []).append(item)
    if audiences is None and per_chat:
        from storage.subscribers import chat_audiences

        audiences = await chat_audiences(db)
    rendered: dict[tuple[str, str, tuple[str, ...]], list[dict]] = {}
    blocks: dict = {}
    messages: list[NewMessage] = []
    for chat, chat_items in per_chat.items():
        audience = (audiences or {}).get(chat) or Audience("vi", "telegram")
        ids = tuple(i.item_id for i in chat_items)
        key = (audience.messenger, audience.lang, ids)
        payloads = rendered.get(key)
        if payloads is None:
            document = push_document(chat_items, lang=audience.lang, gazetteer=gazetteer, cache=blocks)
            payloads = render_document(document, profile_for(profiles, audience.messenger))
            rendered[key] = payloads
        for part, data in enumerate(payloads):
            messages.append(NewMessage(chat, "items", outbox.items_key(chat, ids, part), data))
    seqs = [i.seq for i in items if i.seq is not None]
    async with db.transaction() as conn:
        queued = await outbox.enqueue_in(conn, messages, now=now) if messages else 0
        await item_store.mark_matched(conn, seqs)
    log.info("delivery: %d new items → %d messages for %d chats", len(items), queued, len(per_chat))
    return queued


async def match_new_items(
    db: Database,
    *,
    gazetteer: Gazetteer,
    profiles: Mapping[str, Profile],
    now: float,
    batch: int = 2000,
) -> int:
    """Queue pushes for every stored item not yet matched (just stored, or left by a crash)."""
    from storage.subscribers import instant_subscriptions

    total = 0
    while True:
        items = await item_store.unmatched_items(db, limit=batch)
        if not items:
            return total
        index = RecipientIndex(await instant_subscriptions(db, now=now))
        total += await queue_instant(db, index, items, gazetteer=gazetteer, profiles=profiles, now=now)
        if len(items) < batch:
            return total
