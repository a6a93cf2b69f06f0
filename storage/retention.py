"""Retention: old items and old sent messages pruned in small batches, then incremental vacuum.

Each batch is its own short transaction, so the delivery worker and the poller get the write
lock between batches; the bot never stalls on a prune. Freed pages go back to the file system
by ``PRAGMA incremental_vacuum``, a few hundred pages a step — never a full ``VACUUM``, which
rewrites the whole file under an exclusive lock. Only a database created with ``auto_vacuum =
INCREMENTAL`` (every new one: storage/db.py sets it before the first table) can do that; an
older file keeps its size and reuses its freed pages (README, "Deployment", says how to convert
it offline).
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database

BATCH_ROWS = 500
VACUUM_PAGES_PER_STEP = 256  # 4 MiB at 16 KiB pages
INCREMENTAL = 2  # PRAGMA auto_vacuum


@dataclass(frozen=True)
class PruneReport:
    items: int
    messages: int
    pages_freed: int


async def prune_items(db: Database, *, stored_before: float, batch: int = BATCH_ROWS) -> int:
    """Delete items stored before ``stored_before`` (their provinces, topics and search entries
    go with them); return how many."""
    return await _in_batches(
        db, "DELETE FROM items WHERE seq IN (SELECT seq FROM items WHERE stored_at < ? LIMIT ?)",
        stored_before, batch,
    )


async def prune_messages(db: Database, *, before: float, batch: int = BATCH_ROWS) -> int:
    """Delete sent and cancelled outbox rows older than ``before`` (by when they were sent, or
    queued); pending, in-flight and dead rows stay."""
    return await _in_batches(
        db,
        """DELETE FROM outbox WHERE id IN (
               SELECT id FROM outbox WHERE state IN ('sent', 'cancelled')
                 AND COALESCE(sent_at, created_at) < ? LIMIT ?)""",
        before, batch,
    )


async def incremental_vacuum(db: Database, *, pages: int = VACUUM_PAGES_PER_STEP, max_steps: int = 10_000) -> int:
    """Give free pages back to the file system, a step at a time; return how many (0 when the
    database was not created for incremental vacuum)."""
    if int(await db.scalar("PRAGMA auto_vacuum") or 0) != INCREMENTAL:
        return 0
    freed = 0
    for _ in range(max_steps):
        free = int(await db.scalar("PRAGMA freelist_count") or 0)
        if free == 0:
            break
        async with db.transaction() as conn:
            cursor = await conn.execute(f"PRAGMA incremental_vacuum({min(free, int(pages))})")
            await cursor.fetchall()
        freed += min(free, pages)
    return freed


async def _in_batches(db: Database, sql: str, before: float, batch: int) -> int:
    total = 0
    while True:
        changed = await db.execute(sql, (before, batch))
        total += changed
        if changed < batch:
            return total
