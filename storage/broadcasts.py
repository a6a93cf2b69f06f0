"""Operators' announcements: a draft, then one queued message per active chat."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from storage import outbox
from storage.db import Database
from storage.outbox import NewMessage


@dataclass(frozen=True)
class BroadcastRow:
    id: int
    text: str
    created_by: str
    state: str  # 'draft' | 'queued' | 'cancelled'
    created_at: float
    queued_at: float | None


async def create_broadcast(db: Database, text: str, created_by: str, now: float) -> int:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO broadcasts (text, created_by, created_at) VALUES (?, ?, ?)",
            (text, str(created_by), now),
        )
        return cursor.lastrowid


async def get_broadcast(db: Database, broadcast_id: int) -> BroadcastRow | None:
    row = await db.fetchone(
        "SELECT id, text, created_by, state, created_at, queued_at FROM broadcasts WHERE id = ?",
        (broadcast_id,),
    )
    return BroadcastRow(**dict(row)) if row else None


async def queue_broadcast(
    db: Database, broadcast_id: int, payloads: Mapping[str, Sequence[dict[str, Any]]], now: float
) -> int | None:
    """Queue a draft for every active chat, each getting its messenger's ``payloads`` (one row
    per message part, dedupe key ``outbox.broadcast_key``); return rows queued, or None when it
    was not a draft. Chats of a messenger without payloads get nothing."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE broadcasts SET state = 'queued', queued_at = ? WHERE id = ? AND state = 'draft'",
            (now, broadcast_id),
        )
        if cursor.rowcount == 0:
            return None
        cursor = await conn.execute("SELECT id, messenger FROM chats WHERE active = 1 ORDER BY id")
        messages = [
            NewMessage(chat_ref, "broadcast", outbox.broadcast_key(broadcast_id, chat_ref, part), data)
            for chat_ref, messenger in await cursor.fetchall()
            for part, data in enumerate(payloads.get(messenger, ()))
        ]
        return await outbox.enqueue_in(conn, messages, now=now)


async def cancel_broadcast(db: Database, broadcast_id: int) -> bool:
    """Drop a draft; False when it was already queued or cancelled."""
    changed = await db.execute(
        "UPDATE broadcasts SET state = 'cancelled' WHERE id = ? AND state = 'draft'",
        (broadcast_id,),
    )
    return changed > 0
