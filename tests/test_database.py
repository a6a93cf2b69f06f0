"""The SQLite file itself: WAL checkpoints off the writer's path, query plans that stay small."""

from __future__ import annotations

import os

from storage import outbox
from storage.db import Database


async def test_writes_leave_the_wal_to_the_checkpointer_and_close_cleanly(tmp_path):
    path = tmp_path / "d.sqlite3"
    db = await Database.open(path)
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO chats (messenger, chat_id, kind, created_at, updated_at) VALUES ('telegram', ?, 'private', 0, 0)",
            [(str(n),) for n in range(5000)],
        )
    # The writer no longer checkpoints on commit: the WAL holds the new pages until the
    # checkpointer copies them, without blocking anyone.
    writer_setting = await (await db.conn.execute("PRAGMA wal_autocheckpoint")).fetchone()
    assert writer_setting[0] == 0
    busy, frames, done = await _checkpoint(db)
    assert busy == 0 and frames > 0 and done == frames
    await db.close()
    assert not os.path.exists(f"{path}-wal") or os.path.getsize(f"{path}-wal") == 0
    reopened = await Database.open(path)
    assert await reopened.scalar("SELECT COUNT(*) FROM chats") == 5000
    await reopened.close()


async def test_claiming_a_few_rows_of_a_huge_outbox_costs_a_few_rows(db):
    """Rows are claimed, released and cancelled by id, not by walking every pending row of the
    (state, …) index: a fan-out leaves hundreds of thousands pending. Counted in SQLite VM
    steps, not seconds."""
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO chats (id, messenger, chat_id, kind, created_at, updated_at) VALUES (1, 'telegram', '1', 'private', 0, 0)")
        await conn.executemany(
            "INSERT INTO outbox (chat_ref, kind, dedupe_key, payload, created_at) VALUES (1, 'items', ?, '{\"text\": \"x\"}', 0)",
            [(f"k{n}",) for n in range(20_000)],
        )
    ids = list(range(10_001, 10_011))
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    await db.conn.set_progress_handler(count, 100)
    claimed = await outbox.claim(db, ids, now=1.0)
    await outbox.release(db, ids[:5], attempted=ids[:2])
    await outbox.cancel(db, ids[5:], "test")
    await db.conn.set_progress_handler(None, 100)
    assert [row.id for row in claimed] == ids
    assert steps[0] * 100 < 20_000  # walking the pending rows alone would take more


async def _checkpoint(db: Database) -> tuple[int, int, int]:
    import asyncio

    return await asyncio.to_thread(db._checkpointer.checkpoint)  # noqa: SLF001
