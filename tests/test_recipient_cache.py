"""The recipient cache stays what a fresh read of the database would say, change after change."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import eventloop
from bot.delivery.matching import make_keyword
from bot.delivery.recipient_cache import RecipientCache
from storage import chats, subscriptions
from storage.chats import PAUSED_FOREVER
from storage.db import Database
from storage.subscribers import instant_subscriptions
from tests.test_matching import PROVINCES, TOPICS, WORDS, brute_force, item, items

CHATS = 3
START = 100.0

values = st.one_of(
    st.tuples(st.just("province"), st.sampled_from(PROVINCES)),
    st.tuples(st.just("topic"), st.sampled_from(TOPICS)),
    st.tuples(st.just("keyword"), st.sampled_from(WORDS)),
)
chat_numbers = st.integers(1, CHATS)
changes = st.lists(
    st.one_of(
        st.tuples(st.just("add"), chat_numbers, values, st.sampled_from([0.0, 5.0, 10.0, 15.0])),
        st.tuples(st.just("remove"), chat_numbers, values),
        st.tuples(st.just("pause"), chat_numbers, st.sampled_from([30.0, 500.0, PAUSED_FOREVER])),
        st.tuples(st.just("resume"), chat_numbers),
        st.tuples(st.just("leave"), chat_numbers),
        st.tuples(st.just("return"), chat_numbers),
        st.tuples(st.just("mode"), chat_numbers, st.sampled_from(["instant", "weekly"])),
        st.tuples(st.just("lang"), chat_numbers, st.sampled_from(["vi", "en"])),
    ),
    max_size=4,
)
# Rounds of a few changes, then the clock moves on and the cache is refreshed.
rounds = st.lists(st.tuples(changes, st.sampled_from([0.0, 40.0, 600.0])), max_size=8)


async def apply(db: Database, op: tuple, now: float) -> None:
    name, chat = op[0], op[1]
    chat_id = str(chat)
    if name == "add":
        kind, value = op[2]
        await subscriptions.add_subscriptions(db, chat, kind, [make_keyword(value) if kind == "keyword" else value], op[3])
    elif name == "remove":
        kind, value = op[2]
        await subscriptions.remove_subscriptions(db, chat, kind, [make_keyword(value).text if kind == "keyword" else value])
    elif name == "pause":
        await chats.pause_chat(db, chat, op[2] if op[2] == PAUSED_FOREVER else now + op[2], now)
    elif name == "resume":
        await chats.resume_chat(db, chat, now)
    elif name == "leave":
        await chats.deactivate_chat(db, "telegram", chat_id, "blocked", now)
    elif name == "return":
        await chats.ensure_chat(db, "telegram", chat_id, "private", "", None, now)
    elif name == "mode":
        await chats.set_mode(db, chat, op[2], now)
    else:
        await chats.set_lang(db, chat, op[2], now)


async def check(db: Database, cache: RecipientCache, its: list, now: float) -> None:
    await cache.refresh(db, now=now)
    rows = await instant_subscriptions(db, now=now)
    assert len(cache) == len({r.chat_ref for r in rows})
    for it in its:
        assert cache.recipients(it) == brute_force(rows, it)
    langs = {r[0]: r[1] for r in await db.fetchall("SELECT id, lang FROM chats")}
    for ref in {r.chat_ref for r in rows}:
        assert (cache.langs[ref], cache.messengers[ref]) == (langs[ref], "telegram")


async def run_rounds(changes_then_waits: list, its: list) -> None:
    db = await Database.open(":memory:")
    try:
        for n in range(1, CHATS + 1):
            await chats.ensure_chat(db, "telegram", str(n), "private", "", "vi", 0.0)
        cache = RecipientCache()
        now = START
        await check(db, cache, its, now)
        for ops, wait in changes_then_waits:
            for op in ops:
                await apply(db, op, now)
            now += wait
            await check(db, cache, its, now)
    finally:
        await db.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes_then_waits=rounds, its=st.lists(items(), min_size=1, max_size=3))
def test_cache_after_changes_equals_a_fresh_read(changes_then_waits, its):
    eventloop.run(run_rounds(changes_then_waits, its))


async def test_changes_made_by_another_process_are_seen(tmp_path):
    path = tmp_path / "diemtin.sqlite3"
    bot, other = await Database.open(path), await Database.open(path)
    try:
        a = await chats.ensure_chat(other, "telegram", "1", "private", "", "vi", 0.0)
        await subscriptions.add_subscriptions(other, a.id, "province", ["lam-dong"], 1.0)
        cache = RecipientCache()
        lam_dong = item("Lâm Đồng", units=["lam-dong"], stored_at=None)
        await cache.refresh(bot, now=START)
        assert cache.recipients(lam_dong) == {a.id}

        b = await chats.ensure_chat(other, "telegram", "2", "private", "", "en", 2.0)
        await subscriptions.add_subscriptions(other, b.id, "keyword", [make_keyword("Lâm Đồng")], 2.0)
        await chats.pause_chat(other, a.id, START + 60, START)
        await cache.refresh(bot, now=START)
        assert cache.recipients(lam_dong) == {b.id} and cache.langs[b.id] == "en"
        assert a.id not in cache.langs
        await cache.refresh(bot, now=START + 60)  # the pause is over, nothing was written
        assert cache.recipients(lam_dong) == {a.id, b.id}
    finally:
        await other.close()
        await bot.close()


async def test_a_log_pruned_past_the_cache_means_a_full_read(db):
    a = await chats.ensure_chat(db, "telegram", "1", "private", "", "vi", 0.0)
    await subscriptions.add_subscriptions(db, a.id, "province", ["lam-dong"], 1.0)
    cache = RecipientCache()
    await cache.refresh(db, now=START)
    await subscriptions.remove_subscriptions(db, a.id, "province", ["lam-dong"])
    await subscriptions.add_subscriptions(db, a.id, "province", ["ha-noi"], 2.0)
    await db.execute("DELETE FROM chat_changes")  # as the pruning trigger does to old entries
    await cache.refresh(db, now=START)
    assert cache.recipients(item("Hà Nội", units=["ha-noi"], stored_at=None)) == {a.id}
    assert cache.recipients(item("Lâm Đồng", units=["lam-dong"], stored_at=None)) == set()
