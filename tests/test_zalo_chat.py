"""A Zalo user talks to the bot: typed commands, numbered choices, echoes, stickers, repeats.

Everything goes through the fake Zalo Bot API on 127.0.0.1 (long polling, one update per call),
the real handlers and storage, and the delivery worker; assertions are on what the chat received.
"""

from __future__ import annotations

import re

from storage import chats
from storage import feeds as feed_store
from tests.fakes.zalo import STICKER
from tests.storage_trouble import LockHolder
from tests.zalo_harness import ZALO_ADMIN


def numbered(message: str) -> dict[str, int]:
    """The numbered choices of a message: label → number."""
    return {m.group(2).strip(): int(m.group(1)) for m in re.finditer(r"^(\d+)\. (.+)$", message, re.MULTILINE)}


def number_of(message: str, label_part: str) -> str:
    found = [n for label, n in numbered(message).items() if label_part in label]
    assert len(found) == 1, (label_part, numbered(message))
    return str(found[0])


async def test_commands_work_with_or_without_the_slash(zalo):
    user = zalo.chat("u100")
    reply = await user.text("tinh lam dong")
    assert "Lâm Đồng" in reply
    assert await user.subscriptions() == {("province", "lam-dong")}
    reply = await user.text("/chude chuyen doi so")
    assert "Chuyển đổi số" in reply
    assert ("topic", "chuyen-doi-so") in await user.subscriptions()
    # A word that is no command is plain text: a hint, and a numbered offer for a province name.
    hint = await user.text("Cần Thơ")
    assert "Đăng ký TP Cần Thơ" in hint or "Cần Thơ" in hint
    assert "1. " in hint


async def test_subscribing_by_numbered_choices(zalo):
    user = zalo.chat("u200")
    regions = await user.text("tinh")
    assert "Tây Nguyên" in regions and "Trả lời bằng số" in regions
    provinces = await user.text(number_of(regions, "Tây Nguyên"))
    assert "Lâm Đồng" in provinces and "Gia Lai" in provinces
    toggled = await user.text(number_of(provinces, "Lâm Đồng"))
    assert toggled.startswith("Đã thêm: Lâm Đồng")  # the button's toast, as the first line
    assert "✅ Lâm Đồng" in toggled
    saved = await user.text("xong")  # the label typed back works like its number
    assert "Lâm Đồng" in saved
    assert await user.subscriptions() == {("province", "lam-dong")}
    # The list after saving is a new one: its numbers now mean its own buttons.
    listing = await user.text(number_of(saved, "Xem đăng ký"))
    assert "Lâm Đồng" in listing


async def test_a_number_without_an_open_list_is_plain_text(zalo):
    user = zalo.chat("u250")
    hint = await user.text("3")
    assert "Hãy gõ một lệnh" in hint
    assert await user.subscriptions() == set()


async def test_the_bot_never_answers_its_own_echoes(zalo):
    user = zalo.chat("u300")
    for echo in ("is_bot", "id"):  # flagged as a bot, or known only by the getMe id
        zalo.server.echo = echo
        [reply] = await user.say("trogiup")
        [echoed] = [u for u in zalo.server.echoes if u["message"]["text"] == reply][-1:]
        await zalo.handled(echoed)  # the echo came back as an update and was polled
        assert zalo.server.sent("u300")[-1] == reply  # and the bot said nothing to it


async def test_stickers_and_images_get_a_text_only_reply_in_private_only(zalo):
    user = zalo.chat("u400")
    [reply] = await user.say(event=STICKER)
    assert "chỉ đọc được tin nhắn chữ" in reply and "1. ❓ Hướng dẫn" in reply
    help_text = await user.text("1")
    assert "Hướng dẫn" in help_text
    group = zalo.chat("g400", user_id="u401", chat_type="GROUP")
    assert await group.say(event=STICKER) == []


async def test_an_update_seen_twice_runs_once_even_after_a_restart(zalo):
    user = zalo.chat("u500")
    first = await user.say("tinh ha noi", message_id="dup-1")
    assert len(first) == 1
    assert await user.say("tinh ha noi", message_id="dup-1") == []  # Zalo sent it again
    # A new adapter (a restart, the same database) gets the update once more: still not run again.
    await zalo.restart()
    assert await user.say("tinh ha noi", message_id="dup-1") == []
    assert len(await user.say("dangky", message_id="dup-2")) == 1


async def test_a_message_is_answered_while_another_process_holds_the_database(zalo, caplog):
    user = zalo.chat("u501")
    assert "Hà Nội" in await user.text("tinh ha noi", message_id="m-1")
    await feed_store.upsert_feed(zalo.services.db, "https://a.example/rss")  # the holder renames it
    holder = LockHolder(zalo.services.db.path)
    try:  # the message cannot be noted as seen: it is answered anyway, the change is "busy"
        assert "Hà Nội" in await user.text("dangky", message_id="m-2")
        assert "đang bận" in await user.text("tinh da nang", message_id="m-3")
    finally:
        holder.release()
    assert "not noted as seen" in caplog.text and "Traceback" not in caplog.text
    assert await user.subscriptions() == {("province", "ha-noi")}


async def test_group_chats_take_slash_commands_and_numbers(zalo):
    group = zalo.chat("g600", user_id="u601", chat_type="GROUP")
    assert await group.say("tinh lam dong") == []  # people talking: not a command without "/"
    reply = await group.text("/tinh lam dong")
    assert "Lâm Đồng" in reply
    row = await group.row()
    assert row.kind == "group" and await group.subscriptions() == {("province", "lam-dong")}
    regions = await group.text("/tinh")
    assert await group.say("xong") == []  # a word in a group is talk, even with a list open
    assert "Tây Nguyên" in await group.text(number_of(regions, "Tây Nguyên"))


async def test_stats_count_chats_per_messenger_and_admins_are_per_messenger(zalo, zalo_services):
    db, now = zalo_services.db, zalo_services.clock()
    await chats.ensure_chat(db, "telegram", "9001", "private", "", "vi", now)
    await zalo.chat("u700").say("tinh can tho")
    operator = zalo.chat(ZALO_ADMIN)
    stats = await operator.text("thongke")
    assert "telegram" in stats and "zalo" in stats
    assert re.search(r"zalo\D+2\b", stats), stats  # two Zalo chats: the user and the operator
    # Telegram's operator id means nothing on Zalo.
    refused = await zalo.chat("4242").text("/thongke")
    assert "quản trị viên" in refused


async def test_a_broadcast_reaches_both_messengers_rendered_for_each(zalo, zalo_services):
    from storage import outbox

    db, now = zalo_services.db, zalo_services.clock()
    telegram_chat = await chats.ensure_chat(db, "telegram", "9002", "private", "", "vi", now)
    await zalo.chat("u800").say("tinh ha noi")
    operator = zalo.chat(ZALO_ADMIN)
    preview = await operator.text("guitin Bảo trì <hệ thống> tối nay & sáng mai")
    assert "Bảo trì <hệ thống> tối nay & sáng mai" in preview  # plain text: nothing escaped
    queued = await operator.text(number_of(preview, "Gửi"))
    assert "Đã xếp hàng" in queued
    assert any("tối nay & sáng mai" in t for t in zalo.server.sent("u800"))
    [telegram_row] = await outbox.rows(db, chat_ref=telegram_chat.id)
    assert telegram_row.payload["format"] == "html"
    assert "Bảo trì &lt;hệ thống&gt; tối nay &amp; sáng mai" in telegram_row.payload["text"]
