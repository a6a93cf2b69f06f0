"""A full disk, simulated by a database that may not grow by a single page and whose pages have
no room left: reads are still answered, the poller backs off though it cannot record its
failures, the log says so once, no task exception is left unretrieved, and once there is room
again the feed is stored whole."""

from __future__ import annotations

import asyncio
import gc
import logging
import time

import pytest

from bot.config import PollingConfig
from bot.intake.ingest import Ingestor
from bot.vietnamese.gazetteer import default_gazetteer
from bot.vietnamese.topics import default_topics
from storage import feeds as feed_store
from storage import items as item_store
from storage.db import Database, DiskFull
from tests.conftest import Clock
from tests.samples import archive_rss
from tests.storage_trouble import fill_disk

ENTRIES = 40  # 360 items: far more than the free room of any page


async def _until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_full_disk(tmp_path, feed_server, caplog):
    path = tmp_path / "d.sqlite3"
    db = await Database.open(path)
    clock = Clock()
    ingestor = Ingestor(db, gazetteer=default_gazetteer(), topics=default_topics(), clock=clock,
                        polling=PollingConfig(timeout_seconds=5, tagging_workers=0))
    feed_server.serve("/rss", archive_rss(ENTRIES))
    await feed_store.upsert_feed(db, feed_server.url("/rss"))
    pages = await db.scalar("PRAGMA page_count")
    fill_disk(path, pages)
    await db.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full
    stop = asyncio.Event()

    async def hits(n: int):
        async def reached() -> bool:
            return feed_server.hits("/rss") >= n
        return reached

    try:
        with caplog.at_level(logging.INFO):
            poller = asyncio.create_task(ingestor.run(stop, tick=0.02))
            await _until(await hits(1))
            await asyncio.sleep(1.0)  # fifty ticks
            assert feed_server.hits("/rss") == 1  # backing off, though nothing could be written
            [feed] = await feed_store.list_feeds(db, enabled_only=True)  # reads are answered
            assert feed.url == feed_server.url("/rss") and await item_store.count_items(db) == 0
            assert feed.last_error is None  # the failure is known only to the poller
            for n in range(20):  # writes that must grow: a clear error, not a log line each
                with pytest.raises(DiskFull, match="disk .* is full"):
                    await feed_store.upsert_feed(db, f"https://{n}.example/rss")

            clock.advance(61)  # the first retry, a minute later
            await _until(await hits(2))
            clock.advance(61)  # the next is two minutes after that
            await asyncio.sleep(0.5)
            assert feed_server.hits("/rss") == 2

            await db.conn.execute("PRAGMA max_page_count = 1073741823")  # room again
            clock.advance(60)

            async def stored() -> bool:
                [row] = await feed_store.list_feeds(db, enabled_only=True)
                return row.items_total == 9 * ENTRIES  # the items, then the poll's success
            await _until(stored)
            stop.set()
            await poller
            gc.collect()  # an unretrieved task exception is logged when its task is collected
        [feed] = await feed_store.list_feeds(db, enabled_only=True)
        assert feed.consecutive_failures == 0 and await item_store.count_items(db) == 9 * ENTRIES
    finally:
        stop.set()
        await ingestor.close()
        await db.close()
    full = [r for r in caplog.records if "is full" in r.getMessage()]
    assert len(full) == 1 and full[0].levelno == logging.ERROR
    assert "can be written again" in caplog.text
    assert "never retrieved" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info], caplog.text
