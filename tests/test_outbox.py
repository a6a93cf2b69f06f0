"""The outbox and instant matching on a real SQLite file: right chats, once, nothing lost."""

from __future__ import annotations

import pytest

from bot.config import RateLimits
from bot.delivery.instant import match_new_items
from bot.delivery.matching import make_keyword
from bot.delivery.pacing import Pacer
from storage import chats, fanouts, outbox, subscriptions
from storage import items as item_store
from storage.outbox import NewMessage
from tests.conftest import make_item

LAM_DONG = make_item(
    "Lâm Đồng: Hỗ trợ nông dân chuyển đổi số tại Di Linh",
    "Lâm Đồng: Hỗ trợ nông dân chuyển đổi số tại Di Linh. Đưa nông sản lên sàn Postmart.vn.",
    provinces=["lam-dong"], topics=["chuyen-doi-so"],
)
SOC_TRANG = make_item(
    "Sóc Trăng: Đào tạo bưu tá", "Sóc Trăng: Đào tạo bưu tá. Bưu điện tỉnh tổ chức đào tạo.",
    provinces=["soc-trang"], topics=["buu-chinh"],
)


async def chat(services, chat_id: str, *subs: tuple[str, str], kind: str = "private", lang: str = "vi", at: float | None = None):
    now = services.clock() if at is None else at
    row = await chats.ensure_chat(services.db, "telegram", chat_id, kind, "", lang, now)
    for sub_kind, value in subs:
        stored = make_keyword(value) if sub_kind == "keyword" else value
        await subscriptions.add_subscriptions(services.db, row.id, sub_kind, [stored], now)
    return row


async def enqueue(db, messages, *, now: float) -> int:
    async with db.transaction() as conn:
        return await outbox.enqueue_in(conn, messages, now=now)


def payload(text: str) -> dict:
    return {"text": text, "format": "html"}


async def texts_for(db, chat_ref: int) -> list[str]:
    return [r.payload["text"] for r in await outbox.rows(db, chat_ref=chat_ref)]


async def test_enqueue_ignores_a_dedupe_key_seen_before(services):
    a = await chat(services, "1")
    message = NewMessage(a.id, "broadcast", outbox.broadcast_key(7, a.id, 0), payload("Xin chào"))
    assert await enqueue(services.db, [message], now=1.0) == 1
    assert await enqueue(services.db, [message, message], now=2.0) == 0
    [row] = await outbox.rows(services.db)
    assert (row.state, row.payload, row.kind) == ("pending", {"text": "Xin chào", "format": "html"}, "broadcast")


async def test_new_items_reach_exactly_the_matching_chats(services, store_items, clock):
    early = clock() - 60
    lam_dong = await chat(services, "1", ("province", "lam-dong"), at=early)
    can_tho = await chat(services, "2", ("province", "can-tho"), at=early)  # Sóc Trăng is part of it now
    keyword = await chat(services, "3", ("keyword", "postmart"), at=early)
    both = await chat(services, "4", ("province", "lam-dong"), ("topic", "buu-chinh"), at=early)
    weekly = await chat(services, "5", ("province", "lam-dong"), at=early)
    await chats.set_mode(services.db, weekly.id, "weekly", early)
    paused = await chat(services, "6", ("province", "lam-dong"), at=early)
    await chats.pause_chat(services.db, paused.id, clock() + 3600, early)
    english = await chat(services, "7", ("province", "lam-dong"), lang="en", at=early)
    nothing = await chat(services, "8", at=early)

    await store_items(LAM_DONG, SOC_TRANG)
    late = await chat(services, "9", ("province", "lam-dong"), at=clock() + 1)  # after the items
    clock.advance(5)
    queued = await match_new_items(services.db, gazetteer=services.gazetteer, profiles=services.profiles, now=clock())
    assert queued == 4

    [ld] = await texts_for(services.db, lam_dong.id)
    assert "Lâm Đồng: Hỗ trợ nông dân" in ld and "Sóc Trăng" not in ld and ld.startswith("🔔 <b>Tin mới</b> (1)")
    [ct] = await texts_for(services.db, can_tho.id)
    assert "Sóc Trăng · nay TP Cần Thơ" in ct and "Lâm Đồng" not in ct
    assert await texts_for(services.db, keyword.id) == [ld]
    [en] = await texts_for(services.db, english.id)
    assert en.startswith("🔔 <b>New</b> (1)") and "Read more" in en
    for silent in (both, weekly, paused, nothing, late):
        assert await texts_for(services.db, silent.id) == []
    assert await item_store.unmatched_items(services.db) == []

    # Matching again, or the same items again: nothing more.
    assert await match_new_items(services.db, gazetteer=services.gazetteer, profiles=services.profiles, now=clock()) == 0
    items = await item_store.recent_items(services.db)
    async with services.db.transaction() as conn:  # as if every item had been stored again
        await conn.execute("UPDATE items SET matched = 0")
    assert await match_new_items(services.db, gazetteer=services.gazetteer, profiles=services.profiles, now=clock()) == 0
    assert len(items) == 2
    assert len(await outbox.rows(services.db)) == 4


async def test_a_crash_before_matching_commits_loses_nothing(services, store_items, clock, monkeypatch):
    a = await chat(services, "1", ("province", "lam-dong"), at=clock() - 1)
    await store_items(LAM_DONG)

    async def crash(conn, fanout_id, seqs):
        raise RuntimeError("killed")

    monkeypatch.setattr(fanouts, "finish", crash)
    with pytest.raises(RuntimeError):
        await match_new_items(services.db, gazetteer=services.gazetteer, profiles=services.profiles, now=clock())
    assert await outbox.rows(services.db) == []  # rolled back with the match mark
    monkeypatch.undo()
    assert len(await item_store.unmatched_items(services.db)) == 1
    # "Restart": matching is redone, once.
    assert await match_new_items(services.db, gazetteer=services.gazetteer, profiles=services.profiles, now=clock()) == 1
    assert len(await texts_for(services.db, a.id)) == 1


async def test_a_crash_between_chunks_resumes_after_the_last_chat_queued(services, store_items, clock, monkeypatch):
    refs = [await chat(services, str(n), ("province", "lam-dong"), at=clock() - 1) for n in range(1, 8)]
    await store_items(LAM_DONG)
    advanced = []
    real_advance = fanouts.advance

    async def crash_on_the_third_chunk(conn, fanout_id, last_chat):
        advanced.append(last_chat)
        if len(advanced) == 3:
            raise RuntimeError("killed")
        await real_advance(conn, fanout_id, last_chat)

    monkeypatch.setattr(fanouts, "advance", crash_on_the_third_chunk)
    kw = dict(gazetteer=services.gazetteer, profiles=services.profiles, now=clock(), chunk=2)
    with pytest.raises(RuntimeError):
        await match_new_items(services.db, **kw)
    assert len(await outbox.rows(services.db)) == 4  # two chunks committed, the third rolled back
    [left] = await fanouts.unfinished(services.db)
    assert left.last_chat == refs[3].id
    monkeypatch.undo()
    assert await item_store.unmatched_items(services.db) == []  # in its fan-out, not taken again
    assert await match_new_items(services.db, **kw) == 3  # "restart": the rest, once
    assert [len(await texts_for(services.db, r.id)) for r in refs] == [1] * 7
    assert await fanouts.unfinished(services.db) == []
    assert await match_new_items(services.db, **kw) == 0


async def test_many_items_for_one_chat_are_split_and_capped(services, store_items, clock):
    a = await chat(services, "1", ("province", "lam-dong"), at=clock() - 1)
    items = [
        make_item(f"Lâm Đồng: tin {n}", f"Lâm Đồng: tin {n}. " + "Nội dung dài. " * 30, provinces=["lam-dong"])
        for n in range(40)
    ]
    await store_items(*items)
    await match_new_items(services.db, gazetteer=services.gazetteer, profiles=services.profiles, now=clock())
    texts = await texts_for(services.db, a.id)
    assert len(texts) > 1
    assert texts[0].startswith("🔔 <b>Tin mới</b> (40)")
    assert texts[-1].endswith("… và 10 tin khác — /moinhat")
    keys = [r.dedupe_key for r in await outbox.rows(services.db, chat_ref=a.id)]
    assert [k.rsplit(":", 1)[1] for k in keys] == [str(n) for n in range(len(texts))]


async def test_claim_recover_release_cancel_and_move(services):
    a = await chat(services, "1")
    b = await chat(services, "2")
    await enqueue(
        services.db,
        [NewMessage(a.id, "broadcast", f"k{n}", payload(f"m{n}")) for n in range(3)]
        + [NewMessage(b.id, "broadcast", "kb", payload("mb"))],
        now=10.0,
    )
    due = await outbox.due_candidates(services.db, now=10.0, messengers=["telegram"], exclude_chats=[b.id], limit=10)
    assert [d[1] for d in due] == [a.id] * 3
    assert await outbox.due_candidates(services.db, now=9.0, messengers=["telegram"], exclude_chats=[], limit=10) == []
    assert await outbox.due_candidates(services.db, now=10.0, messengers=["zalo"], exclude_chats=[], limit=10) == []
    claimed = await outbox.claim(services.db, [d[0] for d in due], now=11.0)
    assert [c.payload["text"] for c in claimed] == ["m0", "m1", "m2"]
    assert (claimed[0].chat_id, claimed[0].chat_kind, claimed[0].messenger) == ("1", "private", "telegram")
    assert await outbox.claim(services.db, [d[0] for d in due], now=11.0) == []  # already claimed

    await outbox.mark_sent(services.db, [(claimed[0].id, "55")], now=12.0)
    assert await outbox.recover(services.db) == 2  # the crash case
    assert (await outbox.counts(services.db)) == {"sent": 1, "pending": 3}

    again = await outbox.claim(services.db, [claimed[1].id, claimed[2].id], now=13.0)
    await outbox.release(services.db, [again[0].id], attempted=[again[0].id])
    await outbox.retry_later(services.db, again[1].id, attempts=1, next_attempt_at=99.0, error="502", now=13.0)
    rows = {r.id: r for r in await outbox.rows(services.db)}
    assert (rows[again[0].id].state, rows[again[0].id].attempts) == ("pending", 1)
    assert (rows[again[1].id].state, rows[again[1].id].next_attempt_at, rows[again[1].id].last_error) == ("pending", 99.0, "502")

    assert await outbox.move_chat(services.db, a.id, b.id) == 2
    assert await outbox.cancel_chat(services.db, b.id, "blocked") == 3
    assert set(await outbox.counts(services.db)) == {"sent", "cancelled"}


def test_pacer_limits_each_chat_all_chats_and_obeys_pauses():
    now = [100.0]
    limits = RateLimits(global_per_second=10, private_per_second=1, private_burst=3, group_per_minute=20)
    pacer = Pacer(limits, lambda: now[0])
    # A private chat: a burst of two (one token of the three kept back for jitter), then 1/s.
    for _ in range(2):
        assert pacer.chat_ready_at(1, "private") == 100.0
        pacer.take(1, "private")
    assert pacer.chat_ready_at(1, "private") == pytest.approx(101.0)
    assert pacer.throttled() == [1]
    # A group: 20 a minute, one every 3 s after its burst.
    pacer.take(2, "group")
    pacer.take(2, "group")
    assert pacer.chat_ready_at(2, "supergroup") == pytest.approx(103.0)
    # Overall: ten a second with a burst of two.
    assert pacer.global_ready_at() > 100.0
    now[0] = 100.5
    assert pacer.global_ready_at() == 100.5
    pacer.pause(3)
    assert pacer.global_ready_at() == pytest.approx(103.5)
    now[0] = 104.0
    assert pacer.throttled() == [] and pacer.chat_ready_at(1, "private") == 104.0
