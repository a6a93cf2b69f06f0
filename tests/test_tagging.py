"""Tagging a large batch in worker processes gives exactly what tagging in process gives."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import multiprocessing
import os
import signal
import time

import pytest

from bot.config import PollingConfig
from bot.intake.feeds import FeedParseError, parse_feed_bytes
from bot.intake.ingest import Ingestor
from bot.intake.tagging import (
    PARALLEL_MIN_ENTRIES,
    PARSE_IN_WORKER_BYTES,
    PackedEntries,
    TaggingPool,
    tag_entries,
)
from bot.vietnamese.gazetteer import default_gazetteer
from bot.vietnamese.topics import Topics, default_topics
from storage import feeds as feed_store
from storage import items as item_store
from storage.db import Database
from tests.samples import archive_rss

ENTRIES = PARALLEL_MIN_ENTRIES + 8


@pytest.fixture(scope="module")
def archive():
    entries, _title, _warning = parse_feed_bytes(archive_rss(ENTRIES))
    # The same digest again under a new guid, in another chunk: its items are kept once.
    return [*entries, dataclasses.replace(entries[0], guid="again")]


@pytest.fixture
async def pool():
    tagger = TaggingPool(default_gazetteer(), default_topics(), workers=2)
    yield tagger
    await tagger.close()


async def test_workers_tag_exactly_as_the_bots_own_process(pool, archive):
    expected = tag_entries(archive, gazetteer=default_gazetteer(), topics=default_topics())
    items, periods = await pool.tag(archive)
    assert pool.worker_cpu_seconds > 0  # the workers did it
    assert (items, periods) == expected
    assert len(items) == 9 * ENTRIES and len({i.item_id for i in items}) == len(items)
    assert [p.week for p in periods][:3] == [1, 2, 3]


async def test_a_small_batch_stays_in_process(pool, archive):
    items, _ = await pool.tag(archive[:3])
    assert len(items) == 27 and pool.worker_cpu_seconds == 0


async def test_the_configured_taxonomy_reaches_the_workers(archive):
    topics = Topics.load(overrides={"nong-nghiep-so": {"vi": "Nông nghiệp số", "phrases": {"nông dân": 5}}})
    tagger = TaggingPool(default_gazetteer(), topics, workers=2)
    try:
        items, _ = await tagger.tag(archive)
    finally:
        await tagger.close()
    assert tagger.worker_cpu_seconds > 0
    assert (items, _) == tag_entries(archive, gazetteer=default_gazetteer(), topics=topics)
    assert any("nong-nghiep-so" in i.topics for i in items)


async def test_a_killed_worker_loses_nothing(pool, archive, caplog):
    await pool.start()
    workers = multiprocessing.active_children()
    assert workers
    for process in workers:
        with contextlib.suppress(ProcessLookupError):  # one of an earlier pool, already gone
            os.kill(process.pid, signal.SIGKILL)
        process.join(5)
    with caplog.at_level(logging.WARNING, logger="bot.intake.tagging"):
        items, _ = await pool.tag(archive)
    assert "tagging worker died" in caplog.text
    assert len(items) == 9 * ENTRIES
    # The next large batch gets a new pool.
    before = pool.worker_cpu_seconds
    again, _ = await pool.tag(archive)
    assert len(again) == 9 * ENTRIES and pool.worker_cpu_seconds > before


async def test_a_large_feed_polled_over_http_is_stored_whole(tmp_path, feed_server):
    feed_server.serve("/archive", archive_rss(ENTRIES))
    stored = {}
    for workers in (0, 2):
        db = await Database.open(tmp_path / f"w{workers}.sqlite3")
        ingestor = Ingestor(db, gazetteer=default_gazetteer(), topics=default_topics(),
                            polling=PollingConfig(tagging_workers=workers))
        try:
            await feed_store.upsert_feed(db, feed_server.url("/archive"), interval_seconds=900)
            [report] = await ingestor.poll_due()
            assert report.status == "ok" and report.items_added == 9 * ENTRIES
            assert (ingestor.tagger.worker_cpu_seconds > 0) == bool(workers)
            stored[workers] = [(i.item_id, i.primary, i.topics) for i in await item_store.recent_items(db, limit=1000)]
        finally:
            await ingestor.close()
            await db.close()
    assert stored[0] == stored[2] and len(stored[0]) == 9 * ENTRIES


async def test_an_item_again_in_a_later_part_is_stored_once(tmp_path, archive):
    """The rows the workers hand back are written as ``tag`` gives the items: the digest repeated
    under a new guid, in another part, adds nothing, nor provinces or topics to the first."""
    expected, _ = tag_entries(archive, gazetteer=default_gazetteer(), topics=default_topics())
    db = await Database.open(tmp_path / "d.sqlite3")
    ingestor = Ingestor(db, gazetteer=default_gazetteer(), topics=default_topics(),
                        polling=PollingConfig(tagging_workers=2))
    try:
        report = await ingestor.store(archive, source="k", feed_id=None)
        stored = await item_store.get_items(db, report.new_seqs)
    finally:
        await ingestor.close()
        await db.close()
    assert ingestor.tagger.worker_cpu_seconds > 0
    assert report.items_found == report.items_added == len(expected) == 9 * ENTRIES
    assert [(i.item_id, i.primary, i.mentioned, i.topics) for i in stored] == [
        (i.item_id, i.primary, i.mentioned, i.topics) for i in expected
    ]


async def test_a_large_body_is_parsed_in_a_worker_of_its_own(pool):
    body = archive_rss(200)
    assert len(body) >= PARSE_IN_WORKER_BYTES
    entries, title, _warning = await pool.parse(body, "", {})
    assert isinstance(entries, PackedEntries) and title
    assert list(entries) == parse_feed_bytes(body)[0] and len(entries) == 200
    with pytest.raises(FeedParseError):  # as on a thread
        await pool.parse(b"x" * PARSE_IN_WORKER_BYTES, "", {})
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)  # each parse had a process of its own, gone once it is done
    assert not multiprocessing.active_children(), [(p.name, p.pid, p.exitcode) for p in multiprocessing.active_children()]
