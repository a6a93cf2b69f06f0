"""Another process holds the database's write lock (a real sqlite3 connection in BEGIN IMMEDIATE,
for up to 30 s): reads are answered at once beside a waiting write, and the write is either
StorageBusy soon or done once the lock is let go."""

from __future__ import annotations

import asyncio
import time

import pytest

from storage import feeds as feed_store
from storage.db import Database, StorageBusy
from tests.storage_trouble import LockHolder


@pytest.fixture
async def db(tmp_path):
    database = await Database.open(tmp_path / "d.sqlite3")
    await feed_store.upsert_feed(database, "https://a.example/rss")
    yield database
    await database.close()


async def _read_latencies(db: Database, n: int = 10) -> list[float]:
    latencies = []
    for _ in range(n):
        start = time.monotonic()
        [feed] = await feed_store.list_feeds(db)
        assert feed.url == "https://a.example/rss"
        latencies.append(time.monotonic() - start)
        await asyncio.sleep(0.02)
    return latencies


async def test_reads_beside_a_waiting_write_then_the_write_is_busy(db, tmp_path):
    holder = LockHolder(tmp_path / "d.sqlite3")
    try:
        write = asyncio.create_task(feed_store.poll_now(db, 1))
        await asyncio.sleep(0.05)  # the write now waits for the other process
        assert max(await _read_latencies(db)) < 1.0
        with pytest.raises(StorageBusy, match="busy"):
            await asyncio.wait_for(write, timeout=25)
        assert holder.proc.poll() is None  # answered while the lock was still held
    finally:
        holder.release()
    await feed_store.poll_now(db, 1)  # the lock is free: writes go through again
    [feed] = await feed_store.list_feeds(db)
    assert feed.title == "held" and feed.next_poll_at == 0


async def test_a_write_waiting_for_a_lock_let_go_in_time_is_done(db, tmp_path):
    holder = LockHolder(tmp_path / "d.sqlite3")
    try:
        write = asyncio.create_task(feed_store.poll_now(db, 1))
        assert max(await _read_latencies(db, 5)) < 1.0
    finally:
        holder.release()
    await asyncio.wait_for(write, timeout=25)
    [feed] = await feed_store.list_feeds(db)
    assert feed.title == "held" and feed.next_poll_at == 0
