"""An operator's announcement, rendered for each messenger and queued for every active chat."""

from __future__ import annotations

from collections.abc import Mapping

from bot.delivery.documents import broadcast_document
from bot.delivery.packing import render_document
from bot.delivery.profile import Profile
from storage import broadcasts
from storage.db import Database


async def queue_broadcast(
    db: Database, draft: broadcasts.BroadcastRow, profiles: Mapping[str, Profile], now: float
) -> int | None:
    """One outbox row per active chat and message part; None when it was not a draft."""
    document = broadcast_document(draft.text)
    payloads = {name: render_document(document, profile) for name, profile in profiles.items()}
    return await broadcasts.queue_broadcast(db, draft.id, payloads, now)
