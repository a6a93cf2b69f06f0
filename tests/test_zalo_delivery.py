"""News reaching Zalo chats: pushes split under 2,000 characters, Zalo's 403 and 429 answers
losing nothing, the weekly summary from the schedule — through the fake Zalo Bot API."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.app import App, open_services
from bot.delivery.instant import match_new_items
from bot.vietnamese.textnorm import fold
from storage import outbox
from storage.items import insert_items
from tests.conftest import Clock, make_item
from tests.fakes.zalo import FakeZalo
from tests.zalo_harness import (
    TOKEN,
    ZaloChat,
    assert_plain,
    make_zalo,
    zalo_config,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def long_items(count: int):
    body = "Sở Khoa học và Công nghệ tỉnh Lâm Đồng triển khai nền tảng số cho hợp tác xã. " * 6
    return [make_item(f"Lâm Đồng: tin số {n}", f"{body} (Tin {n}.)", provinces=["lam-dong"],
                      link=f"https://example.org/lam-dong/{n}") for n in range(count)]


async def test_pushes_fit_zalo_and_403_429_lose_nothing(zalo, zalo_services, store_items, clock):
    user = zalo.chat("u900")
    await user.say("tinh lam dong")
    clock.advance(60)
    await store_items(*long_items(12))
    server = zalo.server
    server.fail(403, times=3)  # Zalo's internal server error: retried, not "blocked"
    server.fail(429, times=2)  # Quota exceeded: a pause, then the same message again
    queued = await match_new_items(zalo_services.db, gazetteer=zalo_services.gazetteer,
                                   profiles=zalo_services.profiles, now=clock())
    assert queued >= 2  # twelve long items cannot fit one 2,000-character message
    zalo.worker.wake()
    # Retried rows wait out their backoff: wait for every message, then for nothing more.
    await server.wait_sent("u900", 1 + queued, timeout=30)
    await zalo.worker.drain(30)
    pushes = server.sent("u900")[1:]
    assert len(pushes) == queued
    for text in pushes:
        assert_plain(text)
    joined = "\n".join(pushes)
    for n in range(12):
        assert joined.count(f"Lâm Đồng: tin số {n}\n") == 1, n  # each item once, none lost
        assert f"https://example.org/lam-dong/{n}" in joined  # links written out in full
    assert [c.code for c in server.calls("sendMessage", ok=False)].count(403) == 3
    assert zalo.worker.stats["rate_limited"] >= 1
    row = await user.row()
    assert row.active  # 403 never marks the user inactive
    assert {r.state for r in await outbox.rows(zalo_services.db, chat_ref=row.id)} == {"sent"}


async def test_a_message_too_long_for_zalo_is_refused_before_it_is_sent(zalo):
    from bot.delivery.senders import Rejected

    try:
        await zalo.adapter.sender.send("u901", {"text": "x" * 2001, "format": "plain"})
    except Rejected as exc:
        assert "2000" in str(exc)
    else:
        raise AssertionError("a 2,001-character message was sent")
    assert zalo.server.calls("sendMessage") == []


def at(*args: int) -> float:
    return datetime(*args, tzinfo=VN).timestamp()


async def test_the_weekly_summary_comes_from_the_schedule(tmp_path):
    """Saturday: a user subscribes and news comes in. Monday 08:00 has passed when the bot starts
    again: the weekly job's first run (at start) sends the summary, once."""
    config = zalo_config(tmp_path)
    clock = Clock(at(2023, 11, 18, 10))
    with FakeZalo(token=TOKEN) as server:
        services = await open_services(config, clock)
        app = App(config, services, messengers=[make_zalo(services, server)])
        await app.start()
        try:
            user = ZaloChat(harness_of(app, server), "u950")
            await user.say("tinh lam dong")
            clock.advance(60)
            await insert_items(services.db, long_items(2), feed_id=None,
                               current_of=lambda s: services.gazetteer.current_of(s).slug,
                               fold=fold, now=clock())
        finally:
            await app.stop()
        clock.now = at(2023, 11, 20, 8, 0, 30)
        services = await open_services(config, clock)
        app = App(config, services, messengers=[make_zalo(services, server)])
        await app.start()
        try:
            summaries = lambda: [t for t in server.sent("u950") if t.startswith("🗞")]  # noqa: E731
            await server.wait_for(summaries, 15, what="the summary")
            await app.worker.drain(10)
        finally:
            await app.stop()
    [summary] = summaries()
    assert "Lâm Đồng: tin số 1" in summary
    assert_plain(summary)


def harness_of(app: App, server: FakeZalo):
    from tests.zalo_harness import ZaloHarness

    return ZaloHarness(server, app.messengers[0], app.worker, app.services)
