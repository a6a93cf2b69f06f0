"""storage/chats.py against a real SQLite file."""

from __future__ import annotations

import json

import pytest

from bot.delivery.matching import make_keyword
from storage import broadcasts, chats, outbox, stats, subscriptions
from tests.conftest import T0


async def _outbox(db, chat_ref: int, key: str, state: str = "pending") -> None:
    await db.execute(
        """INSERT INTO outbox (chat_ref, kind, dedupe_key, payload, state, created_at)
           VALUES (?, 'items', ?, '{}', ?, ?)""",
        (chat_ref, key, state, T0),
    )


async def _states(db, chat_ref: int) -> dict[str, str]:
    rows = await db.fetchall("SELECT dedupe_key, state FROM outbox WHERE chat_ref = ?", (chat_ref,))
    return {r["dedupe_key"]: r["state"] for r in rows}


async def test_ensure_chat_creates_then_refreshes(db):
    chat = await chats.ensure_chat(db, "telegram", "1", "private", "", "en-US", T0)
    assert (chat.lang, chat.lang_explicit, chat.mode, chat.active) == ("en", False, "instant", True)
    assert chat.created_at == T0 and chat.paused_until is None
    again = await chats.ensure_chat(db, "telegram", "1", "private", "", "vi", T0 + 5)
    assert again.id == chat.id and again.lang == "vi" and again.updated_at == T0 + 5
    # An unknown user language leaves it alone.
    assert (await chats.ensure_chat(db, "telegram", "1", "private", "", None, T0)).lang == "vi"


async def test_explicit_language_sticks_and_groups_keep_theirs(db):
    chat = await chats.ensure_chat(db, "telegram", "1", "private", "", "vi", T0)
    await chats.set_lang(db, chat.id, "en", T0)
    assert (await chats.ensure_chat(db, "telegram", "1", "private", "", "vi", T0)).lang == "en"
    group = await chats.ensure_chat(db, "telegram", "-5", "group", "G", "en", T0)
    assert group.lang == "en"
    assert (await chats.ensure_chat(db, "telegram", "-5", "group", "", "vi", T0)).lang == "en"
    assert (await chats.get_chat(db, "telegram", "-5")).title == "G"


async def test_same_chat_id_on_two_messengers_are_two_chats(db):
    a = await chats.ensure_chat(db, "telegram", "1", "private", "", None, T0)
    b = await chats.ensure_chat(db, "zalo", "1", "private", "", None, T0)
    assert a.id != b.id


async def test_subscriptions_add_remove_and_load(db):
    chat = await chats.ensure_chat(db, "telegram", "1", "private", "", None, T0)
    added = await subscriptions.add_subscriptions(db, chat.id, "province", ["lam-dong", "can-tho"], T0)
    assert added == ["lam-dong", "can-tho"]
    assert await subscriptions.add_subscriptions(db, chat.id, "province", ["lam-dong"], T0 + 1) == []
    await subscriptions.add_subscriptions(db, chat.id, "topic", ["chuyen-doi-so"], T0)
    await subscriptions.add_subscriptions(db, chat.id, "keyword", [make_keyword(" Lâm  Đồng "), make_keyword("IOC")], T0)
    rows = await subscriptions.list_subscriptions(db, chat.id)
    assert [(s.kind, s.value) for s in rows][:2] == [("province", "lam-dong"), ("province", "can-tho")]
    keyword = next(s for s in rows if s.value == "Lâm Đồng")
    assert (keyword.folded, keyword.accented, keyword.created_at) == ("lam dong", True, T0)
    assert not next(s for s in rows if s.value == "IOC").accented
    subs = await subscriptions.load_subscriptions(db, chat.id)
    assert subs.provinces == {"lam-dong", "can-tho"} and subs.topics == {"chuyen-doi-so"}
    assert set(subs.keywords) == {make_keyword("Lâm Đồng"), make_keyword("IOC")}
    assert await subscriptions.remove_subscriptions(db, chat.id, "province", ["can-tho", "ha-noi"]) == ["can-tho"]
    assert await subscriptions.clear_subscriptions(db, chat.id) == 4
    assert (await subscriptions.load_subscriptions(db, chat.id)).empty


async def test_unknown_subscription_kind_is_refused(db):
    chat = await chats.ensure_chat(db, "telegram", "1", "private", "", None, T0)
    with pytest.raises(ValueError):
        await subscriptions.add_subscriptions(db, chat.id, "weather", ["x"], T0)


async def test_pause_and_resume(db):
    chat = await chats.ensure_chat(db, "telegram", "1", "private", "", None, T0)
    assert await chats.resume_chat(db, chat.id, T0) is None
    await chats.pause_chat(db, chat.id, T0 + 86400, T0)
    paused = await chats.get_chat(db, "telegram", "1")
    assert paused.is_paused(T0 + 10) and not paused.is_paused(T0 + 86401)
    # Extending an ongoing pause keeps when it started.
    await chats.pause_chat(db, chat.id, chats.PAUSED_FOREVER, T0 + 100)
    assert (await chats.get_chat(db, "telegram", "1")).paused_at == T0
    assert await chats.resume_chat(db, chat.id, T0 + 200) == T0
    resumed = await chats.get_chat(db, "telegram", "1")
    assert resumed.paused_until is None and resumed.paused_at is None


async def test_expired_pause_is_not_resumed(db):
    chat = await chats.ensure_chat(db, "telegram", "1", "private", "", None, T0)
    await chats.pause_chat(db, chat.id, T0 + 10, T0)
    assert await chats.resume_chat(db, chat.id, T0 + 20) is None


async def test_settings(db):
    chat = await chats.ensure_chat(db, "telegram", "1", "private", "", None, T0)
    await chats.set_mode(db, chat.id, "weekly", T0)
    await chats.set_weekly_slot(db, chat.id, 6, "20:30", T0)
    row = await chats.get_chat(db, "telegram", "1")
    assert (row.mode, row.weekly_day, row.weekly_time) == ("weekly", 6, "20:30")


async def test_deactivate_keeps_subscriptions_and_cancels_only_pending(db):
    chat = await chats.ensure_chat(db, "telegram", "1", "private", "", None, T0)
    other = await chats.ensure_chat(db, "telegram", "2", "private", "", None, T0)
    await subscriptions.add_subscriptions(db, chat.id, "province", ["hue"], T0)
    await _outbox(db, chat.id, "a")
    await _outbox(db, chat.id, "b", "sent")
    await _outbox(db, other.id, "c")
    assert await chats.deactivate_chat(db, "telegram", "1", "blocked", T0) == 1
    row = await chats.get_chat(db, "telegram", "1")
    assert (row.active, row.inactive_reason) == (False, "blocked")
    assert await _states(db, chat.id) == {"a": "cancelled", "b": "sent"}
    assert await _states(db, other.id) == {"c": "pending"}
    assert (await subscriptions.load_subscriptions(db, chat.id)).provinces == {"hue"}
    assert await chats.deactivate_chat(db, "telegram", "nope", "blocked", T0) == 0
    # Writing to the bot again reactivates.
    again = await chats.ensure_chat(db, "telegram", "1", "private", "", None, T0)
    assert again.active and again.inactive_reason is None


async def test_migrate_renames_when_new_id_is_unknown(db):
    chat = await chats.ensure_chat(db, "telegram", "-1", "group", "G", None, T0)
    await subscriptions.add_subscriptions(db, chat.id, "topic", ["buu-chinh"], T0)
    await _outbox(db, chat.id, "a")
    moved = await chats.migrate_chat(db, "telegram", "-1", "-1001", T0 + 1)
    assert moved.id == chat.id and moved.kind == "supergroup"
    assert await chats.get_chat(db, "telegram", "-1") is None
    assert (await subscriptions.load_subscriptions(db, moved.id)).topics == {"buu-chinh"}
    assert await _states(db, chat.id) == {"a": "pending"}
    # Safe to repeat.
    assert (await chats.migrate_chat(db, "telegram", "-1", "-1001", T0 + 2)).id == chat.id


async def test_migrate_merges_into_an_existing_new_id(db):
    old = await chats.ensure_chat(db, "telegram", "-1", "group", "G", None, T0)
    await subscriptions.add_subscriptions(db, old.id, "province", ["hue", "lam-dong"], T0)
    await chats.set_mode(db, old.id, "weekly", T0)
    await _outbox(db, old.id, "a")
    new = await chats.ensure_chat(db, "telegram", "-1001", "supergroup", "G", None, T0 + 1)
    await subscriptions.add_subscriptions(db, new.id, "province", ["hue"], T0 + 1)
    merged = await chats.migrate_chat(db, "telegram", "-1", "-1001", T0 + 2)
    assert merged.id == new.id and merged.mode == "weekly" and merged.active
    assert (await subscriptions.load_subscriptions(db, new.id)).provinces == {"hue", "lam-dong"}
    left = await chats.get_chat(db, "telegram", "-1")
    assert (left.active, left.inactive_reason) == (False, "migrated")
    assert (await subscriptions.load_subscriptions(db, old.id)).empty
    # The queued message follows the group: nothing is lost in the move.
    assert await _states(db, old.id) == {}
    assert await _states(db, new.id) == {"a": "pending"}


async def test_broadcast_queues_once_for_active_chats(db):
    a = await chats.ensure_chat(db, "telegram", "1", "private", "", None, T0)
    b = await chats.ensure_chat(db, "zalo", "2", "private", "", None, T0)
    await chats.ensure_chat(db, "telegram", "3", "private", "", None, T0)
    await chats.deactivate_chat(db, "telegram", "3", "blocked", T0)
    bid = await broadcasts.create_broadcast(db, "Xin chào", "4242", T0)
    assert (await broadcasts.get_broadcast(db, bid)).state == "draft"
    payloads = {
        "telegram": [{"text": "Xin chào", "format": "html"}],
        "zalo": [{"text": "Xin chào", "format": "plain"}, {"text": "(2)", "format": "plain"}],
    }
    assert await broadcasts.queue_broadcast(db, bid, payloads, T0) == 3
    assert await broadcasts.queue_broadcast(db, bid, payloads, T0) is None
    assert not await broadcasts.cancel_broadcast(db, bid)
    rows = await db.fetchall("SELECT chat_ref, kind, dedupe_key, state, payload FROM outbox ORDER BY id")
    assert [(r["chat_ref"], r["kind"], r["dedupe_key"], r["state"]) for r in rows] == [
        (a.id, "broadcast", f"broadcast:{bid}:{a.id}:0", "pending"),
        (b.id, "broadcast", f"broadcast:{bid}:{b.id}:0", "pending"),
        (b.id, "broadcast", f"broadcast:{bid}:{b.id}:1", "pending"),
    ]
    assert [json.loads(r["payload"])["format"] for r in rows] == ["html", "plain", "plain"]
    other = await broadcasts.create_broadcast(db, "x", "4242", T0)
    assert await broadcasts.cancel_broadcast(db, other)
    assert await broadcasts.queue_broadcast(db, other, payloads, T0) is None


async def test_statistics(db):
    a = await chats.ensure_chat(db, "telegram", "1", "private", "", None, T0)
    b = await chats.ensure_chat(db, "telegram", "2", "private", "", None, T0)
    c = await chats.ensure_chat(db, "zalo", "3", "private", "", None, T0)
    for chat in (a, b, c):
        await subscriptions.add_subscriptions(db, chat.id, "province", ["hue"], T0)
    await subscriptions.add_subscriptions(db, a.id, "province", ["lam-dong"], T0)
    await chats.deactivate_chat(db, "zalo", "3", "blocked", T0)
    counts = {(c.messenger, c.active, c.total) for c in await stats.chat_counts(db)}
    assert counts == {("telegram", 2, 2), ("zalo", 0, 1)}
    assert await stats.subscription_counts(db, "province") == [("hue", 2), ("lam-dong", 1)]
    await _outbox(db, a.id, "x", "dead")
    await _outbox(db, a.id, "y", "dead")
    await _outbox(db, a.id, "z")
    await db.execute("UPDATE outbox SET last_error = 'Forbidden: bot was blocked' WHERE state = 'dead'")
    assert await outbox.counts(db) == {"dead": 2, "pending": 1}
    assert await stats.dead_reasons(db) == [("Forbidden: bot was blocked", 2)]
