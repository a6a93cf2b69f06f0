"""/start, deep links, /trogiup, chat_joined."""

from __future__ import annotations

from handlers.router import chat_joined
from tests.conftest import ADMIN_ID, button_data, shown


async def test_start_registers_and_shows_menu(user):
    replies = await user.send("/start")
    assert "Chào bạn" in replies[0].text
    assert button_data(replies) == ["/tinh", "/chude", "/tukhoa", "/lich", "/dangky"]
    chat = await user.chat()
    assert chat.active and chat.kind == "private" and chat.lang == "vi"


async def test_start_in_english(talk):
    chat = talk("500", lang="en")
    replies = await chat.send("/start")
    assert "Hello" in replies[0].text and "📍 Provinces" in [b.text for r in replies[0].buttons for b in r]


async def test_deep_link_subscribes_province(user):
    replies = await user.send("/start lam-dong")
    assert "Đã đăng ký: Lâm Đồng" in replies[-1].text
    assert await user.subscriptions() == {("province", "lam-dong")}


async def test_deep_link_old_unit_and_topic(user):
    replies = await user.send("/start soc-trang")
    assert "Sóc Trăng nay thuộc TP Cần Thơ" in replies[-1].text
    await user.send("/start chuyen-doi-so")
    assert await user.subscriptions() == {("province", "can-tho"), ("topic", "chuyen-doi-so")}


async def test_deep_link_unknown(user):
    replies = await user.send("/start khong-co-gi-ca")
    assert len(replies) == 2 and "không hợp lệ" in replies[1].text
    assert await user.subscriptions() == set()


async def test_deep_link_in_group_needs_admin(talk):
    member = talk("-501", kind="group", manage=False)
    replies = await member.send("/start hue")
    assert "Chỉ quản trị viên" in replies[-1].text
    assert await member.subscriptions() == set()


async def test_help_lists_commands_and_admin_part(user, talk):
    text = await user.text("/trogiup")
    for command in ("/tinh", "/chude", "/tukhoa", "/xoa", "/dangky", "/moinhat", "/timkiem",
                    "/chedo", "/lich", "/tamdung", "/tieptuc", "/ngonngu"):
        assert command in text
    assert "/thongke" not in text
    admin = talk("502", user_id=ADMIN_ID)
    assert "/thongke" in await admin.text("/help")


async def test_chat_joined_registers_group_and_greets(services, talk):
    group = talk("-503", kind="supergroup")
    replies = [shown(r) for r in await chat_joined(services, group.incoming(""))]
    assert "Chào cả nhóm" in replies[0].text
    chat = await group.chat()
    assert chat.kind == "supergroup" and chat.title == "Nhóm thử" and chat.active


async def test_chat_joined_in_english(services, talk):
    chat = talk("504", lang="en")
    replies = [shown(r) for r in await chat_joined(services, chat.incoming(""))]
    assert "Hello" in replies[0].text
