"""Weekly summaries: each chat at its own minute (Asia/Ho_Chi_Minh), once a week, catching up."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.core.models import Period
from bot.delivery.weekly import (
    iso_week_key,
    latest_slot,
    next_slot,
    queue_due_summaries,
    schedule_weekly,
)
from bot.messengers.telegram.html import to_terminal
from bot.vietnamese.weekday import WeeklySlot, parse_weekly_slot
from storage import chats, outbox, subscriptions
from tests.conftest import make_item

VN = ZoneInfo("Asia/Ho_Chi_Minh")
WEEK19 = Period(date(2022, 5, 7), date(2022, 5, 13), 19)


def at(y, mo, d, h=0, mi=0, s=0) -> float:
    return datetime(y, mo, d, h, mi, s, tzinfo=VN).timestamp()


# Week 20 of 2022 runs Monday 16/05 – Sunday 22/05.
MON = at(2022, 5, 16, 8, 0)
LONG_AGO = at(2022, 5, 1)


def item(title: str, province: str, topic: str, n: int):
    it = make_item(f"{title} {n}", f"{title} {n}. Nội dung.", provinces=[province], topics=[topic])
    return dataclasses.replace(it, period=WEEK19, link=f"https://mic.gov.vn/{n}.htm")


async def subscribe(services, chat_id: str, province: str | None = "lam-dong", *, lang: str = "vi", since: float = LONG_AGO):
    row = await chats.ensure_chat(services.db, "telegram", chat_id, "private", "", lang, since)
    if province:
        await subscriptions.add_subscriptions(services.db, row.id, "province", [province], since)
    return row


async def queue(services, now: float, **kw) -> int:
    return await queue_due_summaries(
        services.db, now=now, config=services.config, gazetteer=services.gazetteer,
        topics=services.topics, profiles=services.profiles, **kw,
    )


async def summaries(services, chat_ref: int) -> list[str]:
    return [to_terminal(r.payload["text"]) for r in await outbox.rows(services.db, chat_ref=chat_ref)]


def test_latest_slot_and_week_keys():
    monday_8 = WeeklySlot(0, 8, 0)
    assert latest_slot(monday_8, MON, VN) == datetime(2022, 5, 16, 8, 0, tzinfo=VN)
    assert latest_slot(monday_8, MON - 1, VN) == datetime(2022, 5, 9, 8, 0, tzinfo=VN)
    sunday_20 = WeeklySlot(6, 20, 0)
    assert latest_slot(sunday_20, MON, VN) == datetime(2022, 5, 15, 20, 0, tzinfo=VN)
    assert iso_week_key(date(2022, 5, 15)) == "2022-W19" and iso_week_key(date(2022, 1, 2)) == "2021-W52"


async def test_summary_fires_at_the_chats_own_minute_once_a_week(services, store_items, clock):
    wednesday = await subscribe(services, "1", since=at(2022, 5, 12))  # after week 19's Wednesday
    await chats.set_weekly_slot(services.db, wednesday.id, 2, "07:30", LONG_AGO)  # Wed 07:30
    clock.now = at(2022, 5, 17, 9)
    await store_items(item("Lâm Đồng: chuyển đổi số", "lam-dong", "chuyen-doi-so", 1),
                      item("Sóc Trăng: bưu tá", "soc-trang", "buu-chinh", 2))

    # Monday's default slot does not concern this chat; Wednesday 07:29:59 is too early.
    assert await queue(services, at(2022, 5, 16, 8, 0)) == 0
    assert await queue(services, at(2022, 5, 18, 7, 29, 59)) == 0
    assert await queue(services, at(2022, 5, 18, 7, 30)) == 1
    [text] = await summaries(services, wednesday.id)
    lines = text.split("\n")
    assert lines[0] == "🗞 Điểm tin tuần 19 (07/05–13/05/2022)"
    assert lines[1] == "1 tin khớp với đăng ký của bạn."
    assert "📍 Lâm Đồng" in lines and "• Lâm Đồng: chuyển đổi số 1 <https://mic.gov.vn/1.htm>" in lines
    assert "Sóc Trăng" not in text.replace("📊", "")
    assert lines[-1] == "📊 Cả nước trong tuần: Bưu chính 1 · Chuyển đổi số 1"
    row = await chats.get_chat(services.db, "telegram", "1")
    assert row.last_summary_key == "2022-W20"

    # The minute job runs again: nothing more this week.
    assert await queue(services, at(2022, 5, 18, 7, 31)) == 0
    assert await queue(services, at(2022, 5, 22, 23, 59)) == 0
    # Next week: only what was stored since the last summary.
    clock.now = at(2022, 5, 20)
    await store_items(item("Lâm Đồng: bưu điện xã", "lam-dong", "buu-chinh", 3))
    assert await queue(services, at(2022, 5, 25, 7, 30)) == 1
    newer = (await summaries(services, wednesday.id))[1]
    assert "bưu điện xã 3" in newer and "chuyển đổi số 1" not in newer


async def test_a_summary_missed_while_down_is_sent_once_at_start(services, store_items, clock):
    monday = await subscribe(services, "1")  # the configured default: Monday 08:00
    clock.now = at(2022, 5, 14)
    await store_items(item("Lâm Đồng: tin", "lam-dong", "chuyen-doi-so", 1))
    # Down from Sunday to Wednesday: the first run after the start sends Monday's summary.
    assert await queue(services, at(2022, 5, 18, 10, 0)) == 1
    assert await queue(services, at(2022, 5, 18, 10, 0)) == 0
    assert len(await summaries(services, monday.id)) == 1


async def test_paused_empty_new_and_unsubscribed_chats(services, store_items, clock):
    paused = await subscribe(services, "1")
    await chats.pause_chat(services.db, paused.id, MON + 3600, LONG_AGO)
    quiet = await subscribe(services, "2", "ha-noi")
    await services.db.execute("UPDATE chats SET weekly_empty = 0 WHERE id = ?", (quiet.id,))
    empty = await subscribe(services, "3", "ha-noi", lang="en")
    bare = await subscribe(services, "4", None)
    newcomer = await chats.ensure_chat(services.db, "telegram", "5", "private", "", "vi", MON + 60)
    await subscriptions.add_subscriptions(services.db, newcomer.id, "province", ["lam-dong"], MON + 60)
    clock.now = at(2022, 5, 14)
    await store_items(item("Lâm Đồng: tin", "lam-dong", "chuyen-doi-so", 1))

    assert await queue(services, MON + 120) == 1
    assert await summaries(services, paused.id) == []
    assert await summaries(services, quiet.id) == []
    assert await summaries(services, bare.id) == []
    assert await summaries(services, newcomer.id) == []  # joined after its slot: next week
    [line] = await summaries(services, empty.id)
    assert line == "🗞 Digest 09/05–16/05/2022: nothing matched your subscriptions."
    # Resumed later the same week: that week's summary stays skipped.
    await chats.resume_chat(services.db, paused.id, MON + 7200)
    assert await queue(services, MON + 7300) == 0


async def test_force_queues_for_every_active_chat_once_a_week(services, store_items, clock):
    a = await subscribe(services, "1")
    b = await subscribe(services, "2", "can-tho")
    clock.now = at(2022, 5, 14)
    await store_items(item("Lâm Đồng: tin", "lam-dong", "chuyen-doi-so", 1))
    sunday = at(2022, 5, 15, 12)  # before anyone's slot of week 20... and after week 19's
    assert await queue(services, sunday, force=True, chat_ref=a.id) == 1
    assert await summaries(services, b.id) == []
    assert await queue(services, sunday, force=True) == 1  # b now; a already has week 19's
    assert await queue(services, sunday, force=True) == 0


async def test_schedule_weekly_with_apscheduler_runs_at_start_and_every_minute(services, store_items, clock):
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    a = await subscribe(services, "1")
    clock.now = at(2022, 5, 14)
    await store_items(item("Lâm Đồng: tin", "lam-dong", "chuyen-doi-so", 1))
    clock.now = MON + 30
    woken = asyncio.Event()
    scheduler = AsyncIOScheduler(timezone=VN)
    job = schedule_weekly(
        scheduler, db=services.db, config=services.config, gazetteer=services.gazetteer,
        topics=services.topics, profiles=services.profiles, clock=clock, on_queued=lambda n: woken.set(),
    )
    assert job.misfire_grace_time >= 600 and job.coalesce and job.max_instances == 1
    scheduler.start()
    try:
        await asyncio.wait_for(woken.wait(), 10)  # the catch-up run at start
    finally:
        scheduler.shutdown(wait=False)
    assert len(await summaries(services, a.id)) == 1


async def test_a_slot_changed_after_the_check_looked_is_followed(services, store_items, clock):
    late = await subscribe(services, "1", since=at(2022, 5, 16, 12))  # after Monday's slot
    clock.now = at(2022, 5, 16, 13)
    await store_items(item("Lâm Đồng: tin", "lam-dong", "chuyen-doi-so", 1))
    assert await queue(services, at(2022, 5, 17, 9)) == 0  # joined after its slot: next Monday
    await chats.set_weekly_slot(services.db, late.id, 4, "18:00", at(2022, 5, 18))  # Friday 18:00
    assert await queue(services, at(2022, 5, 20, 17, 59)) == 0
    assert await queue(services, at(2022, 5, 20, 18, 0)) == 1
    assert "Lâm Đồng: tin 1" in (await summaries(services, late.id))[0]


async def test_chats_on_the_default_slot_follow_a_changed_config(services, store_items, clock):
    sunday_evening = with_default_slot(services.config, "sun 20:00")
    wednesday_morning = with_default_slot(services.config, "wed 07:00")
    own = await subscribe(services, "1")
    await chats.set_weekly_slot(services.db, own.id, 6, "20:00", LONG_AGO)
    default = await subscribe(services, "2")
    clock.now = at(2022, 5, 14)
    await store_items(item("Lâm Đồng: tin", "lam-dong", "chuyen-doi-so", 1))
    kw = {"gazetteer": services.gazetteer, "topics": services.topics, "profiles": services.profiles}
    # Week 19's summaries (Sunday 15/05 20:00), sent on Monday.
    assert await queue_due_summaries(services.db, now=at(2022, 5, 16, 9), config=sunday_evening, **kw) == 2
    # The operator moves the default to Wednesday 07:00: the chat on the default follows, the
    # chat with its own slot keeps Sunday.
    assert await queue_due_summaries(services.db, now=at(2022, 5, 18, 6, 59), config=wednesday_morning, **kw) == 0
    assert await queue_due_summaries(services.db, now=at(2022, 5, 18, 7, 0), config=wednesday_morning, **kw) == 1
    assert len(await summaries(services, default.id)) == 2
    assert len(await summaries(services, own.id)) == 1
    assert await queue_due_summaries(services.db, now=at(2022, 5, 22, 20, 0), config=wednesday_morning, **kw) == 1
    assert len(await summaries(services, own.id)) == 2


def with_default_slot(config, weekly: str):
    """The same config with another [schedule].weekly."""
    return config.model_copy(update={"schedule": config.schedule.model_copy(update={"weekly": parse_weekly_slot(weekly)})})


def test_next_slot_is_the_first_one_after_now():
    monday_8 = WeeklySlot(0, 8, 0)
    assert next_slot(monday_8, MON - 1, VN) == datetime(2022, 5, 16, 8, 0, tzinfo=VN)
    assert next_slot(monday_8, MON, VN) == datetime(2022, 5, 23, 8, 0, tzinfo=VN)
