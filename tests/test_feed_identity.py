"""An item is its text, not its feed's address: a feed that moved, a mirror of it, or ids stored
before this rule bring no item twice and push nothing; a feed taken out of the config stops."""

from __future__ import annotations

import sqlite3

import pytest

from bot.app import sync_config_feeds
from bot.config import FeedConfig, PollingConfig
from bot.delivery.instant import match_new_items
from bot.intake.feeds import parse_feed_bytes
from bot.intake.ingest import Ingestor
from bot.intake.tagging import tag_entries
from bot.vietnamese.gazetteer import default_gazetteer
from bot.vietnamese.textnorm import fold
from bot.vietnamese.topics import default_topics
from handlers.types import Services
from storage import feeds as feed_store
from storage import items as item_store
from storage import outbox
from storage.db import Database, migration_files
from tests.conftest import ChatDriver
from tests.samples import sample_rss

ITEMS = 9  # in the sample digest


@pytest.fixture
async def ingestor(services):
    ing = Ingestor(
        services.db, gazetteer=services.gazetteer, topics=services.topics, clock=services.clock,
        polling=PollingConfig(timeout_seconds=2, tagging_workers=0),
    )
    yield ing
    await ing.close()


async def configure(services: Services, *urls: str) -> None:
    """The operator's config lists these feeds, and the bot (re)starts."""
    feeds = tuple(FeedConfig(url=url, interval_seconds=900) for url in urls)
    services.config = services.config.model_copy(update={"feeds": feeds})
    await sync_config_feeds(services)


async def pushes(services: Services) -> int:
    """Match what is new, as the running bot does after a poll; count the pushes queued."""
    await match_new_items(services.db, gazetteer=services.gazetteer, profiles=services.profiles,
                          now=services.clock())
    return sum(1 for row in await outbox.rows(services.db) if row.kind == "items")


async def test_a_renamed_feed_url_adds_no_item_and_pushes_nothing(
    services, clock, ingestor, feed_server, user: ChatDriver
):
    feed_server.serve("/old", sample_rss())
    feed_server.serve("/new", sample_rss())
    await configure(services, feed_server.url("/old"))
    [first] = await ingestor.poll_due()
    assert first.items_added == ITEMS and await pushes(services) == 0
    clock.advance(60)
    assert "Lâm Đồng" in await user.text("/tinh lam dong")
    clock.advance(60)

    await configure(services, feed_server.url("/new"))
    reports = await ingestor.poll_due()
    assert [(r.source, r.status, r.items_added) for r in reports] == [(feed_server.url("/new"), "ok", 0)]
    assert await pushes(services) == 0
    assert await item_store.count_items(services.db) == ITEMS

    old = await feed_store.get_feed(services.db, feed_server.url("/old"))
    assert old is not None and not old.enabled and old.items_total == ITEMS  # its history kept
    clock.advance(7 * 86400)
    await ingestor.poll_due()
    assert feed_server.hits("/old") == 1 and feed_server.hits("/new") == 2


async def test_a_mirror_adds_no_item_and_pushes_nothing(
    services, clock, ingestor, feed_server, user: ChatDriver
):
    feed_server.serve("/rss", sample_rss())
    feed_server.serve("/mirror", sample_rss(guid="mirror-guid"))
    await configure(services, feed_server.url("/rss"))
    await ingestor.poll_due()
    clock.advance(60)
    assert "Lâm Đồng" in await user.text("/tinh lam dong")
    clock.advance(60)

    await configure(services, feed_server.url("/rss"), feed_server.url("/mirror"))
    [report] = await ingestor.poll_due()  # the first feed is not due yet
    assert report.source == feed_server.url("/mirror") and report.items_added == 0
    assert await pushes(services) == 0
    clock.advance(3600)
    assert [r.items_added for r in await ingestor.poll_due()] == [0, 0]
    assert await item_store.count_items(services.db) == ITEMS


async def test_only_feeds_the_config_brought_are_disabled_when_it_drops_them(services, feed_server):
    config_url, admin_url = feed_server.url("/config"), feed_server.url("/admin")
    await configure(services, config_url)
    await feed_store.upsert_feed(services.db, admin_url, origin="admin")
    await configure(services)
    enabled = {f.url for f in await feed_store.list_feeds(services.db, enabled_only=True)}
    assert enabled == {admin_url}

    # An admin adds the dropped feed again: now it is the admin's, and a restart keeps it.
    await feed_store.upsert_feed(services.db, config_url, origin="admin")
    await configure(services)
    enabled = {f.url for f in await feed_store.list_feeds(services.db, enabled_only=True)}
    assert enabled == {admin_url, config_url}
    # Listed in the config again: enabled, with its old row (and history).
    await configure(services, config_url)
    assert len(await feed_store.list_feeds(services.db)) == 2


def _version_2_database(path, feed_urls: list[str]) -> None:
    """A database as the bot before migration 0003 left it: each feed polled once, its items
    under ids that also hashed the feed's URL (any other string, here), all matched."""
    entries, _title, _warning = parse_feed_bytes(sample_rss())
    items, _periods = tag_entries(entries, gazetteer=default_gazetteer(),
                                  topics=default_topics())
    with sqlite3.connect(path) as conn:
        for version, _name, sql in migration_files():
            if version <= 2:
                conn.executescript(sql)
        conn.execute("PRAGMA user_version = 2")
        for feed_id, url in enumerate(feed_urls, 1):
            conn.execute("INSERT INTO feeds (id, url, next_poll_at, created_at) VALUES (?, ?, 0, 0)",
                         (feed_id, url))
            conn.executemany(
                "INSERT INTO items (id, feed_id, title, body, stored_at, folded, matched)"
                " VALUES (?, ?, ?, ?, 0, ?, 1)",
                [(f"{url}#{n}", feed_id, i.title, i.body, fold(i.body)) for n, i in enumerate(items)],
            )
    conn.close()


async def test_ids_stored_before_the_upgrade_are_found_by_content(tmp_path, clock, feed_server):
    path = tmp_path / "diemtin.sqlite3"
    feed_server.serve("/rss", sample_rss())
    feed_server.serve("/mirror", sample_rss())
    _version_2_database(path, [feed_server.url("/rss"), feed_server.url("/mirror")])

    db = await Database.open(path)
    try:
        assert await db.schema_version() >= 3
        services = Services(db=db, config=None, gazetteer=default_gazetteer(),  # type: ignore[arg-type]
                            topics=default_topics(), clock=clock)
        user = ChatDriver(services, "100")
        ingestor = Ingestor(db, gazetteer=services.gazetteer, topics=services.topics, clock=clock,
                            polling=PollingConfig(timeout_seconds=2, tagging_workers=0))
        try:
            assert "Lâm Đồng" in await user.text("/tinh lam dong")
            clock.advance(60)
            reports = await ingestor.poll_due()
        finally:
            await ingestor.close()
        assert sorted((r.status, r.items_added) for r in reports) == [("ok", 0), ("ok", 0)]
        assert await pushes(services) == 0
        assert await item_store.count_items(db) == 2 * ITEMS  # the mirror's copies stay, as history
    finally:
        await db.close()
