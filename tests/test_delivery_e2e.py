"""Delivery end to end: outbox → DeliveryWorker → python-telegram-bot's HTTP stack → the fake
Bot API server on 127.0.0.1. Assertions are on what each chat received."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.config import DeliveryConfig
from bot.config import RateLimits as PaceLimits  # tests.fakes.telegram has a RateLimits of its own
from bot.core.models import Period
from bot.delivery.channels import Channel
from bot.delivery.instant import match_new_items
from bot.delivery.weekly import queue_due_summaries
from bot.delivery.worker import DeliveryWorker
from bot.intake.sourcefile import entries_from_bytes
from bot.intake.tagging import tag_entries
from bot.messengers.telegram.aiohttp_request import AiohttpRequest
from bot.messengers.telegram.profile import telegram_profile
from bot.messengers.telegram.sender import TelegramSender
from storage import chats, fanouts, outbox, subscriptions
from storage.db import Database
from storage.outbox import NewMessage
from tests.conftest import make_item
from tests.fakes.telegram import FakeTelegram, RateLimits
from tests.samples import SAMPLE_TXT, rss, sample_rss

TOKEN = "123456789:AAFakeTokenForDeliveryTests_0123456789"
ROOT = Path(__file__).resolve().parents[1]
FAST = DeliveryConfig(
    concurrency=8, poll_interval_seconds=0.05, backoff_base_seconds=0.05, backoff_max_seconds=0.2,
    retry_for_seconds=1.0,
)
FAST_LIMITS = PaceLimits(global_per_second=1000, private_per_second=100, private_burst=5, group_per_minute=6000)


@pytest.fixture
async def server():
    fake = FakeTelegram(token=TOKEN)
    await fake.astart()
    yield fake
    await fake.astop()


@pytest.fixture(params=["aiohttp", "httpx"])
async def bot(request, server):
    """A PTB Bot over each request backend: aiohttp (what `diemtin run` sends with) and httpx."""
    backend = AiohttpRequest if request.param == "aiohttp" else HTTPXRequest
    client = Bot(TOKEN, base_url=server.base_url, request=backend(connection_pool_size=32, read_timeout=0.5))
    await client.initialize()
    yield client
    await client.shutdown()


@contextlib.asynccontextmanager
async def running(db: Database, bot: Bot, config: DeliveryConfig = FAST, limits: PaceLimits = FAST_LIMITS):
    worker = DeliveryWorker({"telegram": Channel(telegram_profile(limits), TelegramSender(bot))}, db, config)
    await worker.start()
    try:
        yield worker
    finally:
        await worker.stop()


async def settled(db: Database, timeout: float = 15.0) -> None:
    """Wait until nothing is left to send (sent, dead or cancelled)."""
    deadline = time.monotonic() + timeout
    while {"pending", "sending"} & set(await outbox.counts(db)):
        assert time.monotonic() < deadline, await outbox.counts(db)
        await asyncio.sleep(0.02)


async def add_chat(services, chat_id: int, *provinces: str, kind: str | None = None, lang: str = "vi"):
    kind = kind or ("private" if chat_id > 0 else "supergroup" if str(chat_id).startswith("-100") else "group")
    now = services.clock() - 60
    row = await chats.ensure_chat(services.db, "telegram", str(chat_id), kind, "", lang, now)
    if provinces:
        await subscriptions.add_subscriptions(services.db, row.id, "province", list(provinces), now)
    return row


async def enqueue(db: Database, messages: list[NewMessage]) -> None:
    async with db.transaction() as conn:
        await outbox.enqueue_in(conn, messages, now=time.time())


async def queue_texts(db: Database, chat_ref: int, texts: list[str], tag: str = "t") -> None:
    await enqueue(db, [
        NewMessage(chat_ref, "broadcast", f"{tag}:{chat_ref}:{n}", {"text": text, "format": "html"})
        for n, text in enumerate(texts)
    ])


# ----------------------------------------------------------------------------- the right items


async def test_a_lam_dong_subscriber_gets_the_lam_dong_item_and_nothing_else(services, server, bot):
    lam_dong = await add_chat(services, 1001, "lam-dong")
    can_tho = await add_chat(services, 1002, "can-tho")
    await add_chat(services, 1003)  # subscribed to nothing
    entries = entries_from_bytes(SAMPLE_TXT.read_bytes(), "diem-tin.txt")
    items, _ = tag_entries(entries, gazetteer=services.gazetteer, topics=services.topics)
    from bot.vietnamese.textnorm import fold
    from storage.items import insert_items

    await insert_items(services.db, items, feed_id=None, current_of=lambda s: services.gazetteer.current_of(s).slug, fold=fold, now=services.clock())
    assert await match_new_items(services.db, gazetteer=services.gazetteer, profiles=services.profiles, now=services.clock()) == 2
    async with running(services.db, bot):
        await settled(services.db)
    [message] = server.sent(1001)
    assert message.startswith("🔔 Tin mới (1)\n\nLâm Đồng: Hỗ trợ nông dân chuyển đổi số trong sản xuất và tiêu thụ nông sản tại huyện Di Linh")
    assert "📍 Lâm Đồng #kinh_te_so #chuyen_doi_so #buu_chinh" in message
    for other in ("Sóc Trăng", "Đà Nẵng", "Thái Nguyên", "Thanh Hóa", "Toàn quốc"):
        assert other not in message
    [other] = server.sent(1002)
    assert "Sóc Trăng: Đào tạo nâng cao chất lượng phát cho bưu tá" in other and "Lâm Đồng" not in other
    assert server.sent(1003) == []
    sent = {r.chat_ref: r for r in await outbox.rows(services.db)}
    assert sent[lam_dong.id].state == "sent" and sent[lam_dong.id].message_id == "1"
    assert sent[can_tho.id].state == "sent"


async def test_hostile_feed_html_and_giant_bullets_are_delivered_as_text(services, server, bot, store_items):
    chat = await add_chat(services, 1001, "lam-dong")
    nasty = "Lâm Đồng: <script>alert('x')</script> & <b>bold</b> 1 < 2 &amp; &#x41;"
    giant = "Lâm Đồng: " + "• chuyển đổi số <không> & an toàn " * 320
    assert len(giant) > 10_000
    await store_items(
        make_item(nasty, nasty + ". Tiếp <i>theo</i> &", provinces=["lam-dong"], link="javascript:alert(1)"),
        make_item(giant, giant, provinces=["lam-dong"], link='https://mic.gov.vn/a?b="c"&d=<e>'),
    )
    await match_new_items(services.db, gazetteer=services.gazetteer, profiles=services.profiles, now=services.clock())
    async with running(services.db, bot):
        await settled(services.db)
    assert server.requests("sendMessage", ok=False) == []
    [message] = server.sent(chat.id and 1001)
    assert "<script>alert('x')</script> & <b>bold</b> 1 < 2 &amp; &#x41;" in message
    assert "Tiếp <i>theo</i> &" in message
    assert message.endswith("Xem chi tiết")  # the giant one, cut, keeps its (escaped) link
    [msg] = server.sent_messages(1001)
    assert 'href="https://mic.gov.vn/a?b=&quot;c&quot;&amp;d=&lt;e&gt;"' in msg.html
    assert "javascript:" not in msg.html


# ----------------------------------------------------------------------------- Telegram's answers


async def test_429_pauses_all_sending_then_everything_arrives_once(services, server, bot):
    refs = [await add_chat(services, 2000 + n) for n in range(6)]
    for ref in refs:
        await queue_texts(services.db, ref.id, [f"tin cho {ref.chat_id}"])
    server.fail("flood", retry_after=1, times=1)
    # One at a time, so that no request is already on its way when the 429 comes back.
    async with running(services.db, bot, FAST.model_copy(update={"concurrency": 1})) as worker:
        await settled(services.db)
    flood = server.requests("sendMessage", ok=False)[0]
    assert flood.status == 429
    for ref in refs:
        assert server.sent(int(ref.chat_id)) == [f"tin cho {ref.chat_id}"]
    later = [c for c in server.requests("sendMessage", ok=True) if c.at > flood.at]
    assert later and min(c.at for c in later) - flood.at >= 0.9  # nothing left during the pause
    assert worker.stats["rate_limited"] == 1
    assert {r.attempts for r in await outbox.rows(services.db)} == {1}  # the 429 did not count


async def test_pacing_stays_under_the_servers_limits(services, server, bot):
    server.enforce_rate_limits(RateLimits(global_per_second=20, per_chat_per_second=5, per_chat_burst=3, group_per_minute=120))
    limits = PaceLimits(global_per_second=20, private_per_second=5, private_burst=3, group_per_minute=120)
    private = [await add_chat(services, 3000 + n) for n in range(3)]
    group = await add_chat(services, -3999)
    for ref in private:
        await queue_texts(services.db, ref.id, [f"{ref.chat_id}/{i}" for i in range(8)])
    await queue_texts(services.db, group.id, [f"g/{i}" for i in range(5)])
    async with running(services.db, bot, limits=limits):
        await settled(services.db, timeout=30)
    assert server.flood_count == 0
    for ref in private:
        assert server.sent(int(ref.chat_id)) == [f"{ref.chat_id}/{i}" for i in range(8)]  # in order
    assert server.sent(-3999) == [f"g/{i}" for i in range(5)]


async def test_blocked_and_missing_chats_are_deactivated_and_their_rows_cancelled(services, server, bot):
    blocked = await add_chat(services, 4001)
    missing = await add_chat(services, -4002)
    fine = await add_chat(services, 4003)
    for ref in (blocked, missing, fine):
        await queue_texts(services.db, ref.id, ["một", "hai", "ba"])
    server.block(4001)
    server.remove_chat(-4002)
    async with running(services.db, bot):
        await settled(services.db)
    assert server.sent(4003) == ["một", "hai", "ba"]
    assert server.sent(4001) == [] and server.sent(-4002) == []
    for ref, reason in ((blocked, "blocked"), (missing, "chat not found")):
        row = await chats.get_chat(services.db, "telegram", ref.chat_id)
        assert not row.active and reason in row.inactive_reason
        assert {r.state for r in await outbox.rows(services.db, chat_ref=ref.id)} == {"cancelled"}
        assert len(server.requests("sendMessage", chat_id=int(ref.chat_id))) == 1  # no retry loop


async def test_a_migrated_group_gets_its_messages_at_the_new_id(services, server, bot):
    renamed = await add_chat(services, -5001)
    merged = await add_chat(services, -5002)
    await add_chat(services, -1005002, "lam-dong")  # the supergroup already spoke to the bot
    await queue_texts(services.db, renamed.id, ["a1", "a2"])
    await queue_texts(services.db, merged.id, ["b1", "b2"])
    server.upgrade_chat(-5001, -1005001)
    server.upgrade_chat(-5002, -1005002)
    async with running(services.db, bot):
        await settled(services.db)
    assert server.sent(-1005001) == ["a1", "a2"]
    assert server.sent(-1005002) == ["b1", "b2"]
    moved = await chats.get_chat(services.db, "telegram", "-1005001")
    assert moved.id == renamed.id
    assert (moved.chat_id, moved.kind, moved.active) == ("-1005001", "supergroup", True)
    old = await chats.get_chat(services.db, "telegram", "-5002")
    assert not old.active and old.inactive_reason == "migrated"


async def test_502_and_timeouts_are_retried_with_backoff_then_dead(services, server, bot):
    flaky = await add_chat(services, 6001)
    broken = await add_chat(services, 6002)
    slow = await add_chat(services, 6003)
    await queue_texts(services.db, flaky.id, ["flaky"])
    await queue_texts(services.db, broken.id, ["broken"])
    await queue_texts(services.db, slow.id, ["slow"])
    server.fail("bad_gateway", chat_id=6001, times=2)
    server.fail("bad_gateway", chat_id=6002, times=None)
    server.delay(1.0, chat_id=6003, times=1)  # longer than the client's 0.5 s read timeout
    async with running(services.db, bot):
        await settled(services.db)
    rows = {r.chat_ref: r for r in await outbox.rows(services.db)}
    assert server.sent(6001) == ["flaky"] and rows[flaky.id].attempts == 3
    assert rows[broken.id].state == "dead" and rows[broken.id].attempts >= 4  # retried for a second
    assert "Bad Gateway" in rows[broken.id].last_error
    assert server.sent(6002) == []
    # A timeout after Telegram took the message: sent again, so the user may see it twice.
    assert rows[slow.id].state == "sent" and rows[slow.id].attempts == 2
    assert 1 <= len(server.sent(6003)) <= 2 and set(server.sent(6003)) == {"slow"}


async def test_a_rejected_message_dies_once_and_others_go_on(services, server, bot):
    chat = await add_chat(services, 7001)
    await queue_texts(services.db, chat.id, ["<b>unclosed", "fine"])
    async with running(services.db, bot):
        await settled(services.db)
    states = [(r.state, r.last_error) for r in await outbox.rows(services.db, chat_ref=chat.id)]
    assert states[0][0] == "dead" and "parse entities" in states[0][1]
    assert states[1] == ("sent", None)
    assert server.sent(7001) == ["fine"]
    assert len(server.requests("sendMessage", chat_id=7001, ok=False)) == 1


async def test_buttons_and_no_link_previews(services, server, bot):
    chat = await add_chat(services, 7101)
    buttons = [[{"text": "⏸ Tạm dừng", "data": "/tamdung"}, {"text": "Web", "url": "https://mic.gov.vn"}]]
    await enqueue(services.db, [NewMessage(chat.id, "reply", "r1", {"text": "<b>Chào</b>", "format": "html", "buttons": buttons})])
    async with running(services.db, bot):
        await settled(services.db)
    [message] = server.sent_messages(7101)
    assert message.text == "Chào" and message.buttons == [[("⏸ Tạm dừng", "/tamdung"), ("Web", "https://mic.gov.vn")]]
    assert message.params["link_preview_options"] == {"is_disabled": True}


async def test_a_slow_chat_does_not_hold_up_the_others(services, server, bot):
    slow = await add_chat(services, 8000)
    others = [await add_chat(services, 8001 + n) for n in range(20)]
    await queue_texts(services.db, slow.id, ["s1", "s2", "s3"])
    for ref in others:
        await queue_texts(services.db, ref.id, [f"o{ref.chat_id}"])
    server.delay(0.3, chat_id=8000)
    async with running(services.db, bot):
        await settled(services.db)
    assert server.sent(8000) == ["s1", "s2", "s3"]
    last_slow = max(c.at for c in server.requests("sendMessage", chat_id=8000))
    for ref in others:
        [call] = server.requests("sendMessage", chat_id=int(ref.chat_id))
        assert call.at < last_slow


async def test_rows_queued_by_another_process_are_picked_up(services, server, bot, tmp_path):
    chat = await add_chat(services, 9001)
    async with running(services.db, bot, FAST.model_copy(update={"poll_interval_seconds": 0.2})):
        other = await Database.open(services.db.path)  # as `diemtin weekly` would
        try:
            await queue_texts(other, chat.id, ["từ CLI"])
        finally:
            await other.close()
        assert await server.wait_sent(9001, timeout=5) == ["từ CLI"]


async def test_weekly_summary_arrives_at_the_chosen_minute(services, server, bot, store_items):
    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    chat = await add_chat(services, 9101, "lam-dong")
    await chats.set_weekly_slot(services.db, chat.id, 4, "17:45", services.clock())  # Friday 17:45
    week19 = Period(date(2022, 5, 7), date(2022, 5, 13), 19)
    await store_items(dataclasses.replace(
        make_item("Lâm Đồng: chuyển đổi số nông nghiệp", provinces=["lam-dong"], topics=["chuyen-doi-so"]),
        period=week19,
    ))
    friday = datetime(2023, 11, 17, 17, 45, tzinfo=vn).timestamp()
    kw = dict(config=services.config, gazetteer=services.gazetteer, topics=services.topics, profiles=services.profiles)
    assert await queue_due_summaries(services.db, now=friday - 60, **kw) == 0
    assert await queue_due_summaries(services.db, now=friday, **kw) == 1
    async with running(services.db, bot):
        await settled(services.db)
    [summary] = server.sent(9101)
    assert summary.startswith("🗞 Điểm tin tuần 19 (07/05–13/05/2022)\n1 tin khớp với đăng ký của bạn.")
    assert "• Lâm Đồng: chuyển đổi số nông nghiệp" in summary


# ----------------------------------------------------------------------------- kill -9


async def _restart_and_settle(db: Database, server: FakeTelegram, extra: str = "", *, until=None) -> None:
    """The bot started again on the same database: it runs until ``until()`` holds (if given)
    and the outbox is settled, then stops cleanly on SIGTERM."""
    bot = _bot_process(Path(db.path), server, extra)
    try:
        if until is not None:
            await server.wait_for(until, timeout=120, what="the restarted bot's sends")
        await settled(db, timeout=60)
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(15) == 0
    finally:
        if bot.poll() is None:
            bot.kill()


def _bot_process(db_path: Path, server: FakeTelegram, extra: str = "") -> subprocess.Popen:
    """`diemtin run` on the test's database, its limits raised, against the fake."""
    config = db_path.parent / "config.toml"
    config.write_text(
        f"""
{extra}
[storage]
path = "{db_path}"

[telegram]
base_url = "{server.base_url}"
poll_timeout = 1

[telegram.limits]
global_per_second = 100000
private_per_second = 1000

[delivery]
concurrency = 16
poll_interval_seconds = 0.05
fanout_chunk = 20
""",
        encoding="utf-8",
    )
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--config", str(config)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


async def test_kill_9_mid_fan_out_then_restart_delivers_everything(services, server, tmp_path):
    total = 300
    refs = [await add_chat(services, 10_000 + n) for n in range(total // 3)]
    for ref in refs:
        await queue_texts(services.db, ref.id, [f"{ref.chat_id}#{i}" for i in range(3)])
    server.delay(0.03)  # every answer a little late: many messages in flight at the kill
    first = _bot_process(Path(services.db.path), server)
    try:
        await server.wait_for(lambda: len(server.sent()) >= 60, timeout=30, what="60 messages")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    in_flight = len(await outbox.rows(services.db, state="sending"))
    delivered_before = len(server.sent())
    assert delivered_before < total, "the worker finished before it was killed"

    await _restart_and_settle(services.db, server)
    seen = Counter(server.sent())
    expected = {f"{ref.chat_id}#{i}" for ref in refs for i in range(3)}
    assert set(seen) == expected  # every message delivered
    duplicates = sum(n - 1 for n in seen.values())
    assert duplicates <= in_flight, (duplicates, in_flight)
    for ref in refs:  # and, per chat, in order
        texts = [t for t in server.sent(int(ref.chat_id))]
        assert sorted(set(texts), key=texts.index) == [f"{ref.chat_id}#{i}" for i in range(3)]
    assert await outbox.counts(services.db) == {"sent": total}


async def _fan_out_started(db_path: Path, timeout: float = 60) -> None:
    """Wait until a fan-out has queued its first chunks and is still going."""
    watcher = sqlite3.connect(db_path, timeout=5)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = watcher.execute("SELECT last_chat FROM fanouts").fetchone()
            if row is not None and row[0] > 0:
                return
            await asyncio.sleep(0.002)
        raise TimeoutError("no fan-out started")
    finally:
        watcher.close()


async def test_kill_9_mid_chunked_fan_out_then_restart_pushes_every_chat_once(services, server, feed_server):
    """A digest for 3,000 chats is queued 20 chats a transaction; the bot is killed once the
    first pushes leave, while the fan-out is still queueing; the restart finishes it."""
    total = 3000
    feed_server.serve("/rss", rss([]))
    before = time.time() - 60  # the bot runs on the real clock: they joined a minute ago
    async with services.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO chats (messenger, chat_id, kind, created_at, updated_at) VALUES ('telegram', ?, 'private', ?, ?)",
            [(str(20_000 + n), before, before) for n in range(total)],
        )
        await conn.execute(
            "INSERT INTO subscriptions (chat_ref, kind, value, folded, accented, created_at)"
            " SELECT id, 'province', 'lam-dong', 'lam-dong', 0, ? FROM chats", (before,),
        )
    feeds = f"""[[feeds]]
url = "{feed_server.url('/rss')}"
interval_seconds = 1
"""
    db_path = Path(services.db.path)
    first = _bot_process(db_path, server, feeds)
    try:
        await server.wait_for(lambda: server.requests("getUpdates"), timeout=30, what="the bot polling")
        feed_server.serve("/rss", sample_rss())
        await _fan_out_started(db_path)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    [cut_short] = await fanouts.unfinished(services.db)  # killed in the middle of queueing
    assert 0 < cut_short.last_chat < total
    in_flight = len(await outbox.rows(services.db, state="sending"))

    await _restart_and_settle(services.db, server, feeds, until=lambda: len({
        m.chat_id for m in server.sent_messages()}) >= total)
    per_chat = Counter(m.chat_id for m in server.sent_messages())
    assert len(per_chat) == total and all(m.startswith("🔔 Tin mới (1)") for m in server.sent())
    assert sum(n - 1 for n in per_chat.values()) <= in_flight  # duplicates: only what was in flight
    assert await fanouts.unfinished(services.db) == []
    assert len(await outbox.rows(services.db)) == total  # each chat's push queued exactly once
