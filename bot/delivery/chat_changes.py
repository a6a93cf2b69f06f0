"""What a send can learn about a chat, applied to storage: it is gone, or it moved."""

from __future__ import annotations

import logging

from storage import chats as chat_store
from storage import outbox
from storage.db import Database
from storage.subscribers import chat_ref_of

log = logging.getLogger(__name__)


async def chat_gone(db: Database, messenger: str, chat_id: str, reason: str, detail: str, now: float) -> int:
    """Blocked or removed: the chat becomes inactive (subscriptions kept) and its unsent
    messages are cancelled; returns how many. It comes back when it writes again."""
    log.info("delivery: %s chat %s is gone: %s", messenger, chat_id, detail)
    await chat_store.deactivate_chat(db, messenger, chat_id, reason, now)
    chat_ref = await chat_ref_of(db, messenger, chat_id)
    return 0 if chat_ref is None else await outbox.cancel_chat(db, chat_ref, detail)


async def chat_moved(db: Database, messenger: str, old_chat_id: str, new_chat_id: str, now: float) -> None:
    """A group became a supergroup: settings, subscriptions and queued messages follow it."""
    log.info("delivery: %s chat %s moved to %s", messenger, old_chat_id, new_chat_id)
    old_ref = await chat_ref_of(db, messenger, old_chat_id)
    existing = await chat_ref_of(db, messenger, new_chat_id)
    if old_ref is not None and existing is not None and existing != old_ref:
        await outbox.move_chat(db, old_ref, existing)  # before the merge cancels them
    await chat_store.migrate_chat(db, messenger, old_chat_id, new_chat_id, now)
