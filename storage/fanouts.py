"""Fan-outs in progress: new items being queued for their recipients, chunk by chunk.

An item is ``matched = 0`` when stored, ``2`` while its fan-out runs, ``1`` once every
recipient's push is queued. Each chunk's rows and the fan-out's progress commit together, so a
crash loses nothing and queues nothing twice: a restart resumes after ``last_chat``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from storage.db import Database

MATCHING, MATCHED = 2, 1


@dataclass(frozen=True)
class Fanout:
    id: int
    item_seqs: tuple[int, ...]
    last_chat: int  # every chat up to this chat_ref has its pushes queued


async def begin(conn: aiosqlite.Connection, seqs: Sequence[int], now: float) -> int:
    """Inside the caller's transaction: a fan-out of these items starts."""
    cursor = await conn.execute(
        "INSERT INTO fanouts (item_seqs, created_at) VALUES (?, ?)", (json.dumps(list(seqs)), now)
    )
    await conn.executemany("UPDATE items SET matched = ? WHERE seq = ?", [(MATCHING, s) for s in seqs])
    return cursor.lastrowid


async def advance(conn: aiosqlite.Connection, fanout_id: int, last_chat: int) -> None:
    """Inside the caller's transaction (with the chunk's rows): chats up to here are queued."""
    await conn.execute("UPDATE fanouts SET last_chat = ? WHERE id = ?", (last_chat, fanout_id))


async def finish(conn: aiosqlite.Connection, fanout_id: int | None, seqs: Sequence[int]) -> None:
    """Inside the caller's transaction: every push of these items is queued."""
    if fanout_id is not None:
        await conn.execute("DELETE FROM fanouts WHERE id = ?", (fanout_id,))
    await conn.executemany("UPDATE items SET matched = ? WHERE seq = ?", [(MATCHED, s) for s in seqs])


async def unfinished(db: Database) -> list[Fanout]:
    """Fan-outs a stop or a crash interrupted, oldest first."""
    rows = await db.fetchall("SELECT id, item_seqs, last_chat FROM fanouts ORDER BY id")
    return [Fanout(r[0], tuple(json.loads(r[1])), r[2]) for r in rows]
