"""The router: command table, parsing, unknown input, limits, errors, membership events."""

from __future__ import annotations

import logging
import re

from handlers import router
from handlers.parsing import parse_command, split_list
from handlers.router import ALL_COMMANDS, COMMANDS, chat_left, chat_migrated, dispatch
from storage import chats
from tests.conftest import T0, button_data

# ----------------------------------------------------------------------------- the table


def test_command_table_for_the_menu():
    names = [c.name for c in COMMANDS]
    assert names[:2] == ["start", "trogiup"]
    for expected in ("tinh", "chude", "tukhoa", "xoa", "dangky", "moinhat", "timkiem",
                     "chedo", "lich", "tamdung", "tieptuc", "ngonngu"):
        assert expected in names
    assert not {"thongke", "guitin", "nguon", "tinh_kb", "xoa_xacnhan"} & set(names)
    for spec in ALL_COMMANDS:
        for name in (spec.name, *spec.aliases):
            assert re.fullmatch(r"[a-z0-9_]{1,32}", name), name  # Telegram's rule
    for spec in COMMANDS:
        assert spec.description_vi != f"commands.{spec.name}"
        assert spec.description_en != spec.description_vi
        assert 3 <= len(spec.description_en) <= 256


def test_english_aliases():
    aliases = {a for c in ALL_COMMANDS for a in c.aliases}
    assert {"province", "topic", "keyword", "remove", "list", "mode", "schedule", "pause",
            "resume", "latest", "search", "lang", "help", "stats", "broadcast", "feeds"} <= aliases


def test_parse_command():
    assert parse_command("hello") is None
    parsed = parse_command("/Tỉnh@DiemTinBot  lam dong,\n can tho ")
    assert (parsed.name, parsed.bot, parsed.args) == ("tinh", "DiemTinBot", "lam dong,\ncan tho")
    assert parse_command("/start").args == ""
    assert parse_command("/").name == ""
    assert parse_command("  /dangky").name == "dangky"


def test_split_list():
    assert split_list(" Lâm Đồng , ;can tho\n\nHCM, lam dong, \"Huế\" ") == ["Lâm Đồng", "can tho", "HCM", "Huế"]
    assert split_list("") == []


# ----------------------------------------------------------------------------- input handling


async def test_unknown_command_hints_help(user, talk):
    replies = await user.send("/xyz abc")
    assert "/trogiup" in replies[0].text and button_data(replies) == ["/trogiup"]
    group = talk("-600", kind="group")
    assert "/trogiup" in await group.text("/khonglenh")


async def test_plain_text_private_hint_and_group_silence(user, talk):
    assert "/trogiup" in await user.text("xin chào")
    group = talk("-601", kind="group")
    assert await group.send("xin chào mọi người") == []


async def test_plain_text_naming_a_province_offers_it(user):
    replies = await user.send("lam dong")
    assert button_data(replies) == ["/tinh lam-dong"]


async def test_over_long_input_refused(user, talk):
    text = await user.text("/tinh " + "hue, " * 300)
    assert "quá dài" in text
    assert await user.subscriptions() == set()
    assert "quá dài" in await user.text("x" * 1001)
    group = talk("-602", kind="group", manage=True)
    assert "quá dài" in await group.text("/tukhoa " + "a" * 2000)
    assert await group.send("a" * 2000) == []


async def test_stale_non_command_button(user):
    replies = await user.press("not-a-command")
    assert replies and replies[0].notice


async def test_handler_error_is_logged_and_answered(user, services, monkeypatch, caplog):
    async def broken(ctx):
        raise RuntimeError("boom")

    spec = router.find_command("dangky")
    monkeypatch.setitem(router._BY_NAME, "dangky", type(spec)(spec.name, spec.aliases, broken))
    with caplog.at_level(logging.ERROR):
        replies = await user.send("/dangky")
    assert [r.text for r in replies] == ["Đã có lỗi, vui lòng thử lại."]
    assert "boom" not in replies[0].text
    assert any("command=dangky" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_database_failure_never_raises(user, services, tmp_path):
    from dataclasses import replace

    from storage.db import Database

    closed = await Database.open(tmp_path / "closed.sqlite3")
    await closed.close()
    broken = replace(services, db=closed)
    replies = await dispatch(broken, user.incoming("/tinh hue"))
    assert [str(r.text) for r in replies] == ["Đã có lỗi, vui lòng thử lại."]
    assert await router.chat_joined(broken, user.incoming("")) != []
    await chat_left(broken, "telegram", "100", "blocked")
    await chat_migrated(broken, "telegram", "1", "2")


# ----------------------------------------------------------------------------- membership


async def test_chat_left_deactivates_keeps_subscriptions_cancels_pending(user, services):
    await user.send("/tinh hue")
    chat = await user.chat()
    await services.db.execute(
        "INSERT INTO outbox (chat_ref, kind, dedupe_key, payload, created_at) VALUES (?, 'items', 'k', '{}', ?)",
        (chat.id, T0),
    )
    await chat_left(services, "telegram", "100", "kicked")
    chat = await user.chat()
    assert not chat.active and chat.inactive_reason == "kicked"
    assert await services.db.scalar("SELECT state FROM outbox WHERE dedupe_key = 'k'") == "cancelled"
    assert await user.subscriptions() == {("province", "hue")}
    # Writing again reactivates.
    await user.send("/dangky")
    assert (await user.chat()).active


async def test_chat_left_unknown_chat_changes_nothing(services, caplog):
    with caplog.at_level(logging.ERROR):
        await chat_left(services, "telegram", "nope", "blocked")
    assert await chats.get_chat(services.db, "telegram", "nope") is None
    assert await services.db.scalar("SELECT COUNT(*) FROM chats") == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_migration_keeps_subscriptions(talk, services):
    old = talk("-700", kind="group", manage=True)
    await old.send("/tinh hue, lam dong")
    await old.send("/lich t7 09:00")
    await chat_migrated(services, "telegram", "-700", "-100700")
    new = talk("-100700", kind="supergroup", manage=True)
    assert await new.subscriptions() == {("province", "hue"), ("province", "lam-dong")}
    assert (await new.chat()).weekly_day == 5
    assert await chats.get_chat(services.db, "telegram", "-700") is None


async def test_migration_when_new_chat_already_wrote(talk, services):
    old = talk("-701", kind="group", manage=True)
    await old.send("/tinh hue")
    new = talk("-100701", kind="supergroup", manage=True)
    await new.send("/tukhoa IOC")
    await chat_migrated(services, "telegram", "-701", "-100701")
    assert await new.subscriptions() == {("province", "hue"), ("keyword", "IOC")}
    assert not (await old.chat()).active
    await chat_migrated(services, "telegram", "-701", "-100701")  # repeated: harmless
    assert await new.subscriptions() == {("province", "hue"), ("keyword", "IOC")}
