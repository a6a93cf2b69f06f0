"""Instant pushes: newly stored items → the chats that want them → outbox rows, in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from bot.core.messages import t
from bot.core.models import TaggedItem
from bot.delivery.matching import RecipientIndex, item_keys
from bot.delivery.render import MAX_MESSAGE_UTF16, render_items, telegram_length
from storage import items as item_store
from storage import outbox
from storage.db import Database
from storage.outbox import NewMessage

if TYPE_CHECKING:  # pragma: no cover
    from bot.vietnamese.gazetteer import Gazetteer
    from bot.vietnamese.topics import Topics

log = logging.getLogger(__name__)

MAX_INSTANT_ITEMS = 30  # per chat and batch; the rest as "… and N more — /moinhat"


async def queue_instant(
    db: Database,
    index: RecipientIndex,
    items: Sequence[TaggedItem],
    *,
    gazetteer: Gazetteer,
    topics: Topics,
    now: float,
    langs: Mapping[int, str] | None = None,
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
    if langs is None and per_chat:
        from storage.subscribers import chat_langs

        langs = await chat_langs(db)
    rendered: dict[tuple[str, tuple[str, ...]], list[dict]] = {}
    blocks: dict = {}
    messages: list[NewMessage] = []
    for chat, chat_items in per_chat.items():
        lang = (langs or {}).get(chat, "vi")
        ids = tuple(i.item_id for i in chat_items)
        key = (lang, ids)
        payloads = rendered.get(key)
        if payloads is None:
            texts = render_push(chat_items, lang=lang, gazetteer=gazetteer, topics=topics, cache=blocks)
            payloads = [outbox.payload(text) for text in texts]
            rendered[key] = payloads
        for part, data in enumerate(payloads):
            messages.append(NewMessage(chat, "items", outbox.items_key(chat, ids, part), data))
    seqs = [i.seq for i in items if i.seq is not None]
    async with db.transaction() as conn:
        queued = await outbox.enqueue_in(conn, messages, now=now) if messages else 0
        await item_store.mark_matched(conn, seqs)
    log.info("delivery: %d new items → %d messages for %d chats", len(items), queued, len(per_chat))
    return queued


def render_push(
    items: Sequence[TaggedItem],
    *,
    lang: str,
    gazetteer: Gazetteer,
    topics: Topics,
    cache: dict | None = None,
) -> list[str]:
    """The instant push of some items to one chat, as message texts."""
    shown = list(items[:MAX_INSTANT_ITEMS])
    header = t(lang, "delivery.instant_header", n=len(items))
    texts = render_items(shown, lang=lang, gazetteer=gazetteer, topics=topics, header=header, cache=cache)
    if len(items) > len(shown):
        more = t(lang, "delivery.more", n=len(items) - len(shown))
        if telegram_length(texts[-1]) + telegram_length(more) + 2 <= MAX_MESSAGE_UTF16:
            texts[-1] += "\n\n" + more
        else:
            texts.append(more)
    return texts


async def match_new_items(
    db: Database, *, gazetteer: Gazetteer, topics: Topics, now: float, batch: int = 2000
) -> int:
    """Queue pushes for every stored item not yet matched (just stored, or left by a crash)."""
    from storage.subscribers import instant_subscriptions

    total = 0
    while True:
        items = await item_store.unmatched_items(db, limit=batch)
        if not items:
            return total
        index = RecipientIndex(await instant_subscriptions(db, now=now))
        total += await queue_instant(db, index, items, gazetteer=gazetteer, topics=topics, now=now)
        if len(items) < batch:
            return total
