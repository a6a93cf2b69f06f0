"""Alerts to the admins (once per condition, in their chat, through the outbox) and retention."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.config import parse_config
from bot.core.models import Period
from bot.messengers.registry import profiles
from bot.operations.alerts import AdminAlerts
from bot.vietnamese.gazetteer import default_gazetteer
from bot.vietnamese.topics import default_topics
from handlers.types import Services
from storage import chats, outbox, retention
from storage import feeds as feed_store
from tests.conftest import make_item

HOUR = 3600.0


@pytest.fixture
def ops_services(db, clock, tmp_path) -> Services:
    config = parse_config({"storage": {"path": str(tmp_path / "diemtin.sqlite3")},
                           "telegram": {"admins": [4242]}, "alerts": {"dead_messages": 5}},
                          env={"TELEGRAM_BOT_TOKEN": "1:x"})
    return Services(db=db, config=config, gazetteer=default_gazetteer(), topics=default_topics(),
                    clock=clock, profiles=profiles(config))


async def _admin_texts(s: Services) -> list[str]:
    chat = await chats.get_chat(s.db, "telegram", "4242")
    return [r.payload["text"] for r in await outbox.rows(s.db, chat_ref=chat.id)]


@pytest.fixture
async def alerts(ops_services: Services) -> AdminAlerts:
    s = ops_services
    await chats.ensure_chat(s.db, "telegram", "4242", "private", "", "vi", s.clock())
    await chats.ensure_chat(s.db, "telegram", "9999", "private", "", "vi", s.clock())  # not an admin
    return AdminAlerts(s, s.config.alerts)


async def test_a_feed_failing_a_day_is_told_once_and_so_is_its_recovery(alerts, ops_services, clock):
    s = ops_services
    feed_id = await feed_store.upsert_feed(s.db, "https://so.example.gov.vn/rss")
    await feed_store.record_success(s.db, feed_id, now=clock(), next_poll_at=0, etag=None, last_modified=None)
    for _ in range(5):
        clock.advance(4 * HOUR)
        await feed_store.record_failure(s.db, feed_id, now=clock(), error="HTTP 502", next_poll_at=0)
        assert await alerts.check() == 0  # 20 hours: not yet
    clock.advance(5 * HOUR)
    assert await alerts.check() == 1
    assert await alerts.check() == 0  # once
    [told] = await _admin_texts(s)
    assert f"Nguồn #{feed_id} lỗi từ" in told and "HTTP 502" in told and "so.example.gov.vn" in told
    await feed_store.record_success(s.db, feed_id, now=clock(), next_poll_at=0, etag=None, last_modified=None)
    assert await alerts.check() == 1
    assert await alerts.check() == 0
    assert "hoạt động lại" in (await _admin_texts(s))[1]
    other = await chats.get_chat(s.db, "telegram", "9999")
    assert await outbox.rows(s.db, chat_ref=other.id) == []


async def test_a_short_failure_is_not_told(alerts, ops_services, clock):
    s = ops_services
    feed_id = await feed_store.upsert_feed(s.db, "https://short.example/rss")
    await feed_store.record_success(s.db, feed_id, now=clock(), next_poll_at=0, etag=None, last_modified=None)
    clock.advance(HOUR)
    await feed_store.record_failure(s.db, feed_id, now=clock(), error="timeout", next_poll_at=0)
    assert await alerts.check() == 0
    await feed_store.record_success(s.db, feed_id, now=clock(), next_poll_at=0, etag=None, last_modified=None)
    clock.advance(30 * HOUR)
    assert await alerts.check() == 0
    assert await _admin_texts(s) == []


async def test_a_late_weekly_digest_is_told_once(alerts, ops_services, clock, store_items):
    period = Period(date(2023, 11, 6), date(2023, 11, 12), 45)
    item = replace(make_item("Lâm Đồng", provinces=["lam-dong"]), period=period)
    await store_items(item)
    clock.advance(7 * 24 * HOUR + 20 * HOUR)
    assert await alerts.check() == 0
    clock.advance(5 * HOUR)
    assert await alerts.check() == 1
    assert await alerts.check() == 0
    assert "Chưa có bản điểm tin tuần mới" in (await _admin_texts(alerts.services))[0]
    late = replace(make_item("Cà Mau", provinces=["ca-mau"]), period=Period(date(2023, 11, 13), date(2023, 11, 19), 46))
    await store_items(late)
    assert await alerts.check() == 0  # it came: nothing more to say


async def test_dead_messages_piling_up_are_told_per_pile(alerts, ops_services, clock):
    s = ops_services
    admin = await chats.get_chat(s.db, "telegram", "9999")

    async def die(n: int, start: int) -> None:
        async with s.db.transaction() as conn:
            await outbox.enqueue_in(conn, [outbox.NewMessage(admin.id, "items", f"dead:{i}", {"text": "x"})
                                           for i in range(start, start + n)], now=clock())
            await conn.execute("UPDATE outbox SET state = 'dead', last_error = 'Bad Request: x' WHERE dedupe_key LIKE 'dead:%'")

    await die(4, 0)
    assert await alerts.check() == 0
    await die(1, 4)
    assert await alerts.check() == 1
    await die(4, 5)
    assert await alerts.check() == 0
    await die(1, 9)
    assert await alerts.check() == 1
    texts = await _admin_texts(s)
    assert "5 tin nhắn không gửi được" in texts[0] and "Bad Request: x" in texts[0] and "tổng 10" in texts[1]


async def test_retention_prunes_old_items_and_sent_messages_then_gives_the_space_back(ops_services, store_items, clock):
    s = ops_services
    await store_items(*(make_item(f"Tin cũ {n}", "nội dung " * 300) for n in range(200)))
    chat = await chats.ensure_chat(s.db, "telegram", "1", "private", "", "vi", clock())
    async with s.db.transaction() as conn:
        await outbox.enqueue_in(conn, [outbox.NewMessage(chat.id, "items", f"k{i}", {"text": "y" * 2000})
                                       for i in range(300)], now=clock())
        await conn.execute("UPDATE outbox SET state = 'sent', sent_at = ? WHERE id <= 250", (clock(),))
        await conn.execute("UPDATE outbox SET state = 'dead' WHERE id > 290")
    clock.advance(40 * 24 * HOUR)
    await store_items(make_item("Tin mới", "mới"))
    assert await retention.prune_items(s.db, stored_before=clock() - 30 * 24 * HOUR, batch=64) == 200
    assert await retention.prune_messages(s.db, before=clock() - 30 * 24 * HOUR, batch=64) == 250
    states = await outbox.counts(s.db)
    assert states == {"pending": 40, "dead": 10}
    assert await s.db.scalar("SELECT COUNT(*) FROM items") == 1
    assert await s.db.scalar("SELECT COUNT(*) FROM item_provinces WHERE item_seq NOT IN (SELECT seq FROM items)") == 0
    assert await s.db.scalar("PRAGMA freelist_count") > 0
    assert await retention.incremental_vacuum(s.db, pages=8) > 0
    assert await s.db.scalar("PRAGMA freelist_count") == 0
    found = await s.db.fetchall("SELECT rowid FROM items_fts WHERE items_fts MATCH 'cu'")
    assert found == []
