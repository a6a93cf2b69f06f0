"""The Telegram adapter end to end: python-telegram-bot's own HTTP stack against the fake Bot API
server on 127.0.0.1, real handlers, a SQLite file. Assertions are on what a user would see."""

from __future__ import annotations

import logging

import pytest

from bot.core import messages
from bot.messengers.telegram.adapter import file_url_for
from handlers import router
from tests.conftest import ADMIN_ID, make_item
from tests.telegram_harness import TOKEN, Harness, Session


@pytest.fixture
def alice(tg: Harness) -> Session:
    return tg.chat(1001)


# ----------------------------------------------------------------------------- start-up


async def test_start_publishes_menus_in_both_languages(tg: Harness):
    server = tg.server
    assert server.requests("getMe", ok=True)
    vi, en = server.commands(""), server.commands("en")
    assert [c["command"] for c in vi] == [c.name for c in router.COMMANDS] == [c["command"] for c in en]
    assert vi[0]["description"] == messages.plain("vi", "commands.start")
    assert en[0]["description"] == messages.plain("en", "commands.start")
    operator = server.commands("", scope={"type": "chat", "chat_id": int(ADMIN_ID)})
    assert "thongke" in [c["command"] for c in operator] and "thongke" not in [c["command"] for c in vi]
    assert not server.requests(ok=False)  # every call carried the right token
    assert file_url_for(server.base_url) == server.base_file_url


async def test_stop_confirms_fetched_updates_and_can_start_again(tg: Harness, alice: Session):
    update = alice.push("/trogiup")
    await tg.handled(update)
    await tg.adapter.stop()
    assert tg.server.confirmed(update["update_id"]) and tg.server.pending_updates() == 0
    await tg.adapter.stop()  # twice is harmless
    await tg.adapter.start()  # the fixture stops it again
    assert "Hướng dẫn" in await alice.text("/trogiup")


# ----------------------------------------------------------------------------- commands


async def test_start_greets_with_menu_and_deep_link_subscribes(alice: Session):
    (greeting,) = await alice.say("/start")
    assert greeting.text.startswith("👋 Chào bạn!") and "<i>Điểm tin địa phương</i>" in greeting.html
    assert "/tinh" in greeting.button_data()
    assert greeting.params["parse_mode"] == "HTML"
    assert greeting.params["link_preview_options"] == {"is_disabled": True}
    replies = await alice.say("/start lam-dong")
    assert "Đã đăng ký: Lâm Đồng" in replies[-1].text
    assert await alice.subscriptions() == {("province", "lam-dong")}


async def test_tinh_by_text_and_keyboard_with_toggles_and_done(tg: Harness, alice: Session):
    assert "Đã đăng ký" in await alice.text("/tinh Cần Thơ")
    (kb,) = await alice.say("/tinh")
    assert "Đang theo dõi" in kb.text and "/tinh_kb xong" in kb.button_data()
    region = kb.button_data()[0]
    sends = len(tg.server.requests("sendMessage"))

    answer, (edited,) = await alice.press(kb, region)
    assert edited.message_id == kb.message_id and edited.edits == 1
    assert "bấm để chọn hoặc bỏ chọn" in edited.text
    assert answer.get("text") is None
    unit = next(d for d in edited.button_data() if d.startswith("/tinh_kb t:"))

    answer, (edited,) = await alice.press(edited, unit)
    assert answer["text"].startswith("Đã thêm:")
    assert any(text.startswith("✅") for row in edited.buttons for text, _ in row)
    assert len(await alice.subscriptions()) == 2
    answer, _ = await alice.press(edited, unit)
    assert answer["text"].startswith("Đã bỏ:")
    assert await alice.subscriptions() == {("province", "can-tho")}

    answer, (saved,) = await alice.press(edited, "/tinh_kb xong")
    assert saved.message_id == kb.message_id and "Đã lưu" in saved.text and "Cần Thơ" in saved.text
    assert len(tg.server.requests("sendMessage")) == sends  # every tap edited the keyboard in place


async def test_unknown_province_offers_suggestions_and_a_tap_subscribes(alice: Session):
    (reply,) = await alice.say("/tinh Lam Dongg")
    assert "Không tìm thấy tỉnh" in reply.text
    assert "/tinh lam-dong" in reply.button_data()
    _, replies = await alice.press(reply, "/tinh lam-dong")
    assert "Đã đăng ký" in replies[-1].text
    assert ("province", "lam-dong") in await alice.subscriptions()


async def test_topics_keywords_and_list(alice: Session):
    assert "Đã đăng ký chủ đề" in await alice.text("/chude chuyển đổi số")
    (kb,) = await alice.say("/chude")
    assert "/chude_kb xong" in kb.button_data()
    assert "Đã thêm từ khóa" in await alice.text("/tukhoa Postmart, IOC")
    listing = await alice.text("/dangky")
    assert "Đăng ký của bạn" in listing and "Postmart" in listing and "Chuyển đổi số" in listing


async def test_remove_one_and_clear_all_with_confirmation(alice: Session):
    await alice.say("/tinh Huế, Cần Thơ")
    assert "Đã bỏ" in await alice.text("/xoa Cần Thơ")
    (question,) = await alice.say("/xoa tatca")
    assert "Bỏ tất cả 1 đăng ký?" in question.text
    _, (done,) = await alice.press(question, "/xoa_xacnhan")
    assert done.message_id == question.message_id and "Đã bỏ tất cả" in done.text
    assert await alice.subscriptions() == set()
    # The typed answer works too.
    await alice.say("/tinh Huế")
    await alice.say("/xoa tatca")
    assert "Đã bỏ tất cả" in await alice.text("có")


async def test_settings_commands(alice: Session):
    assert "chỉ nhận tóm tắt hàng tuần" in await alice.text("/chedo hangtuan")
    assert "Tóm tắt hàng tuần sẽ đến vào" in await alice.text("/lich t2 08:00")
    assert "Đã tạm dừng 7 ngày" in await alice.text("/tamdung 7")
    assert (await alice.row()).paused_until is not None
    assert "Đã tiếp tục nhận tin" in await alice.text("/tieptuc")
    assert messages.plain("en", "lang.set") == await alice.text("/ngonngu en")
    assert (await alice.text("/trogiup")).startswith("Help —")
    assert (await alice.text("/help")).startswith("Help —")


async def test_latest_and_search(tg: Harness, alice: Session, store_items):
    await store_items(
        make_item("Lâm Đồng ra mắt cổng dịch vụ công", provinces=["lam-dong"], topics=["chuyen-doi-so"]),
        make_item("Cần Thơ triển khai IOC", provinces=["can-tho"]),
    )
    await alice.say("/tinh Lâm Đồng")
    latest = await alice.text("/moinhat")
    assert "tin mới nhất phù hợp" in latest and "cổng dịch vụ công" in latest and "IOC" not in latest
    found = await alice.text("/timkiem ioc")
    assert "kết quả" in found and "Cần Thơ triển khai IOC" in found


async def test_operator_commands_allowed_and_refused(tg: Harness, alice: Session):
    operator = tg.chat(int(ADMIN_ID))
    assert "Thống kê" in await operator.text("/thongke")
    assert messages.plain("vi", "feeds.empty") in await operator.text("/nguon")
    assert "Quản trị" in await operator.text("/trogiup")  # operators see their section
    (preview,) = await operator.say("/guitin Bảo trì <tối nay>")
    assert "Bảo trì <tối nay>" in preview.text  # escaped on the way in, shown as typed
    send = next(d for d in preview.button_data() if d.startswith("/guitin_gui"))
    _, replies = await operator.press(preview, send)
    texts = [r.text for r in replies]
    assert any("Đã xếp hàng gửi thông báo" in t for t in texts)
    assert "Bảo trì <tối nay>" in texts  # the announcement itself reaches the active chats
    refusal = messages.plain("vi", "common.not_admin")
    for command in ("/thongke", "/guitin xin chào", "/nguon"):
        assert await alice.text(command) == refusal


async def test_english_client(tg: Harness):
    bob = tg.chat(1002, lang="en-US")
    greeting = await bob.text("/start")
    assert greeting.startswith("👋 Hello!")
    assert messages.plain("en", "common.unknown_command") == await bob.text("/khonglenh")


async def test_over_long_input_is_refused_politely(alice: Session):
    limit_note = messages.plain("vi", "common.too_long", limit=1000)
    assert await alice.text("/tinh " + "a" * 5000) == limit_note
    assert await alice.text("x" * 5000) == limit_note
    assert await alice.subscriptions() == set()


async def test_plain_text_naming_a_province_offers_a_button(alice: Session):
    (reply,) = await alice.say("lam dong")
    assert reply.button_data() == ["/tinh lam-dong"]


# ----------------------------------------------------------------------------- groups


async def test_group_settings_need_a_group_admin(tg: Harness):
    group = tg.chat(-1001500, title="Nhóm CĐS")
    tg.server.set_member_status(-1001500, 502, "administrator")
    tg.server.set_member_status(-1001500, 503, "creator")
    refusal = messages.plain("vi", "common.not_manager")
    assert await group.text("/tinh Huế", user_id=501) == refusal
    assert "Đã đăng ký" in await group.text("/tinh Huế", user_id=502)
    assert "Đã đăng ký" in await group.text("/chude chuyển đổi số", user_id=503)
    assert "Đã đăng ký" in await group.text("/tinh Cần Thơ", anonymous_admin=True)
    assert await group.text("/tinh Hà Nội", sender_chat_id=-1009999) == refusal  # linked channel
    assert "Đăng ký của bạn" in await group.text("/dangky", user_id=501)  # reading is for everyone
    assert await group.subscriptions() == {("province", "hue"), ("province", "can-tho"), ("topic", "chuyen-doi-so")}
    assert (await group.row()).kind == "supergroup"

    # Answers are cached per (chat, user): asking again does not call getChatMember.
    asked = len(tg.server.requests("getChatMember"))
    await group.say("/tinh Huế", user_id=502)
    await group.say("/tinh Huế", user_id=501)
    assert len(tg.server.requests("getChatMember")) == asked
    # …until the user's rights change (a chat_member update, seen when the bot is an admin).
    tg.server.set_member_status(-1001500, 501, "administrator")
    tg.server.push_update(
        {
            "chat_member": {
                "chat": {"id": -1001500, "type": "supergroup", "title": "Nhóm CĐS"},
                "from": {"id": 503, "is_bot": False, "first_name": "Chủ"},
                "date": 0,
                "old_chat_member": {"status": "member", "user": {"id": 501, "is_bot": False, "first_name": "A"}},
                "new_chat_member": tg.server.member_json(-1001500, 501),
            }
        }
    )
    assert "Đã đăng ký" in await group.text("/tinh Hà Nội", user_id=501)


async def test_group_buttons_check_the_presser(tg: Harness):
    group = tg.chat(-1001501)
    tg.server.set_member_status(-1001501, 502, "administrator")
    (kb,) = await group.say("/chude", user_id=502)
    toggle = next(d for d in kb.button_data() if d.startswith("/chude_kb t:"))
    answer, _ = await group.press(kb, toggle, user_id=501)
    assert answer["text"] == messages.plain("vi", "common.not_manager")
    assert await group.subscriptions() == set()
    answer, _ = await group.press(kb, toggle, user_id=502)
    assert answer["text"].startswith("Đã thêm")


async def test_commands_for_other_bots_are_ignored(tg: Harness, alice: Session):
    await alice.silent("/tinh@OtherBot Huế")
    assert await alice.subscriptions() == set()
    assert "Đã đăng ký" in await alice.text(f"/tinh@{tg.server.bot_username} Huế")
    group = tg.chat(-1001502)
    await group.silent("/khonglenh")  # maybe another bot's command: stay quiet
    await group.silent("xin chào cả nhóm")
    hint = messages.plain("vi", "common.unknown_command")
    assert await group.text(f"/khonglenh@{tg.server.bot_username}") == hint


async def test_added_to_group_registers_and_greets_then_kick_keeps_subscriptions(tg: Harness):
    group = tg.chat(-1001503, title="Sở TTTT")
    (greeting,) = await group.member("member")
    assert greeting.text.startswith("👋 Chào cả nhóm!") and greeting.button_data()
    row = await group.row()
    assert row is not None and row.active and row.title == "Sở TTTT"
    await group.say("/tinh Huế", anonymous_admin=True)

    assert await group.member("kicked", old_status="member") == []
    row = await group.row()
    assert not row.active and row.inactive_reason == "kicked"
    assert await group.subscriptions() == {("province", "hue")}
    # Added again: active, greeted, the same subscriptions.
    assert len(await group.member("administrator", old_status="left")) == 1
    assert (await group.row()).active and await group.subscriptions() == {("province", "hue")}
    assert await group.member("administrator", old_status="member") == []  # a promotion: nothing


async def test_a_user_blocking_the_bot_deactivates_the_chat(tg: Harness, alice: Session):
    await alice.say("/tinh Huế")
    await alice.member("kicked", old_status="member")
    row = await alice.row()
    assert not row.active and row.inactive_reason == "blocked"
    assert await alice.member("member") == []  # unblocked: no greeting yet…
    assert len(await alice.say("/start")) == 1  # …the /start that follows answers and reactivates
    assert (await alice.row()).active and await alice.subscriptions() == {("province", "hue")}


async def test_migration_to_supergroup_keeps_subscriptions(tg: Harness):
    old = tg.chat(-5003)
    await old.say("/tinh Huế", anonymous_admin=True)
    _, second = tg.server.push_migrate(-5003, -1005003)
    await tg.handled(second)
    new = tg.chat(-1005003)
    assert await new.subscriptions() == {("province", "hue")}
    assert (await new.row()).kind == "supergroup"
    assert await old.row() is None
    assert "Huế" in await new.text("/dangky")


async def test_reply_to_an_upgraded_group_follows_it(tg: Harness):
    old = tg.chat(-5004)
    await old.say("/tinh Huế", anonymous_admin=True)
    tg.server.upgrade_chat(-5004, -1005004)  # the migrate service message was missed
    mark = tg.server.mark()
    (reply,) = await old.handled(old.push("/dangky"), mark, chat_id=-1005004)
    assert "Huế" in reply.text
    assert await tg.chat(-1005004).subscriptions() == {("province", "hue")}


async def test_channel_posts_count_as_the_channel_admins(tg: Harness):
    channel = tg.chat(-1001600, chat_type="channel")
    assert "Đã đăng ký" in await channel.text("/tinh Huế")
    assert (await channel.row()).kind == "channel"


# ----------------------------------------------------------------------------- failures


async def test_a_catalogue_typo_still_reads_and_a_refused_reply_is_logged_once(tg: Harness, alice: Session, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    # A catalogue typo (an unclosed mark): the text still goes out, as typed.
    monkeypatch.setitem(messages.catalogue("vi"), "help.text", "**Hướng dẫn")
    assert await alice.text("/trogiup") == "**Hướng dẫn"
    monkeypatch.undo()
    # Telegram refuses one reply (400): logged once, no retry loop, the next command is answered.
    mark = tg.server.mark()
    tg.server.fail("bad_request", chat_id=alice.chat_id, times=1)
    assert await alice.say("/trogiup") == []
    assert len(tg.server.calls_since(mark, "sendMessage", ok=False)) == 1
    assert any("rejected" in r.getMessage() for r in caplog.records)
    assert "Đã đăng ký" in await alice.text("/tinh Huế")
    assert TOKEN.split(":")[1] not in caplog.text


async def test_button_toast_comes_with_the_keyboard(tg: Harness, alice: Session, monkeypatch):
    (kb,) = await alice.say("/chude")
    monkeypatch.setitem(messages.catalogue("vi"), "topic.kb", "__{names}")  # a typo, again
    toggle = next(d for d in kb.button_data() if d.startswith("/chude_kb t:"))
    answer, (reply,) = await alice.press(kb, toggle)
    assert answer["text"].startswith("Đã thêm")
    assert reply.text.startswith("__") and reply.message_id == kb.message_id


async def test_handler_exception_becomes_a_polite_error(tg: Harness, alice: Session, monkeypatch):
    async def broken(ctx):
        raise RuntimeError("boom")

    spec = router.find_command("dangky")
    monkeypatch.setitem(router._BY_NAME, "dangky", type(spec)("dangky", (), broken))
    assert await alice.text("/dangky") == messages.plain("vi", "common.error")
    monkeypatch.undo()
    assert "Đăng ký của bạn" in await alice.text("/dangky")


async def test_not_modified_and_uneditable_messages(tg: Harness, alice: Session):
    (kb,) = await alice.say("/tinh")
    await alice.press(kb, "/tinh_kb xong")
    # A double tap: the same content again, Telegram says "not modified" — nothing new is sent.
    mark = tg.server.mark()
    answer, replies = await alice.press(kb, "/tinh_kb xong", check=False)
    assert replies == [] and tg.server.calls_since(mark, "editMessageText", ok=False)
    # An old message can't be edited any more: the answer comes as a new message.
    (kb2,) = await alice.say("/tinh")
    tg.server.freeze_message(alice.chat_id, kb2.message_id)
    _, (fresh,) = await alice.press(kb2, kb2.button_data()[0])
    assert fresh.message_id != kb2.message_id and "/tinh_kb xong" in fresh.button_data()
    assert kb2.edits == 0


async def test_inaccessible_message_button_answers_with_a_new_message(tg: Harness, alice: Session):
    (kb,) = await alice.say("/chude")
    mark = tg.server.mark()
    update = tg.server.push_callback(alice.chat_id, kb.message_id, "/chude_kb xong", inaccessible=True)
    (reply,) = await alice.handled(update, mark)
    assert reply.message_id != kb.message_id and "Đã lưu" in reply.text
    assert tg.server.callback_answer(update) is not None


async def test_forbidden_reply_deactivates_the_chat(tg: Harness):
    group = tg.chat(-1001700)
    await group.say("/trogiup")
    tg.server.fail("kicked", chat_id=-1001700)
    assert await group.say("/trogiup") == []
    row = await group.row()
    assert not row.active and row.inactive_reason == "kicked"


async def test_a_short_flood_wait_on_a_reply_is_waited_out(tg: Harness, alice: Session):
    tg.server.fail("flood", retry_after=1, chat_id=alice.chat_id)
    assert "Hướng dẫn" in await alice.text("/trogiup")
    assert tg.server.flood_count == 1
