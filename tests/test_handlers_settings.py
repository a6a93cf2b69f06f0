"""/chedo /lich /tamdung /tieptuc /ngonngu."""

from __future__ import annotations

import pytest

from storage.chats import PAUSED_FOREVER
from tests.conftest import button_data as data_of
from tests.conftest import make_item

DAY = 86400


# ----------------------------------------------------------------------------- /chedo


@pytest.mark.parametrize(
    "arg, mode",
    [("hangtuan", "weekly"), ("hàng tuần", "weekly"), ("WEEKLY", "weekly"),
     ("tucthi", "instant"), ("tức thì", "instant"), ("instant", "instant")],
)
async def test_mode_words(user, arg, mode):
    if mode == "instant":
        await user.send("/chedo hangtuan")
    await user.send(f"/chedo {arg}")
    assert (await user.chat()).mode == mode


async def test_mode_replies(user):
    text = await user.text("/chedo hangtuan")
    assert "chỉ nhận tóm tắt hàng tuần vào Thứ 2 08:00" in text
    replies = await user.send("/chedo")
    assert "chỉ tóm tắt hàng tuần" in replies[0].text
    assert data_of(replies) == ["/chedo tucthi", "/chedo hangtuan"]
    assert "✅ Hàng tuần" in [b.text for b in replies[0].buttons[0]]


async def test_mode_bad_value(user):
    replies = await user.send("/chedo <sometimes>")
    assert "&lt;sometimes&gt;" in replies[0].text and data_of(replies)
    assert (await user.chat()).mode == "instant"


async def test_mode_english(talk):
    chat = talk("300", lang="en")
    assert "only get the weekly summary, on Monday 08:00" in await chat.text("/mode weekly")


# ----------------------------------------------------------------------------- /lich


@pytest.mark.parametrize(
    "arg, day, hhmm",
    [("thu2 08:00", 0, "08:00"), ("Thứ 7 9h", 5, "09:00"), ("chủ nhật 20:30", 6, "20:30"),
     ("chunhat 20h", 6, "20:00"), ("T6 16:00", 4, "16:00"), ("fri 7:05", 4, "07:05"),
     ("cn", 6, "08:00")],
)
async def test_schedule_values(user, arg, day, hhmm):
    await user.send(f"/lich {arg}")
    chat = await user.chat()
    assert (chat.weekly_day, chat.weekly_time) == (day, hhmm)


async def test_schedule_bare_time_keeps_the_day(user):
    await user.send("/lich t7 08:00")
    await user.send("/lich 21:15")
    chat = await user.chat()
    assert (chat.weekly_day, chat.weekly_time) == (5, "21:15")


async def test_schedule_show_and_buttons(user):
    replies = await user.send("/lich")
    assert "Thứ 2 08:00" in replies[0].text  # the configured default
    assert "/lich t7 08:00" in data_of(replies)
    set_by_button = await user.press("/lich cn 20:00")
    assert set_by_button[0].edit and "Chủ nhật 20:00" in set_by_button[0].text
    assert "✅ Chủ nhật 20:00" in [b.text for r in (await user.send("/lich"))[0].buttons for b in r]


@pytest.mark.parametrize("arg", ["thu 9 25:00", "xyz", "t2 24:00", "t2 8:61", "🙂" * 50])
async def test_schedule_invalid(user, arg):
    replies = await user.send(f"/lich {arg}")
    assert "Không hiểu lịch" in replies[0].text
    chat = await user.chat()
    assert chat.weekly_day is None and chat.weekly_time is None


# ----------------------------------------------------------------------------- /tamdung /tieptuc


async def test_pause_days(user, clock):
    text = await user.text("/tamdung 7 ngày")
    chat = await user.chat()
    assert chat.paused_until == clock() + 7 * DAY and chat.paused_at == clock()
    assert "7 ngày" in text
    assert "Đang tạm dừng đến" in await user.text("/dangky")


async def test_pause_until_resume(user):
    replies = await user.send("/tamdung")
    assert "/tieptuc" in data_of(replies)
    assert (await user.chat()).paused_until == PAUSED_FOREVER
    assert "cho đến khi gõ /tieptuc" in await user.text("/dangky")


@pytest.mark.parametrize("arg", ["0", "366", "-3", "abc", "7 tuần", "99999999"])
async def test_pause_invalid(user, arg):
    assert "không hợp lệ" in await user.text(f"/tamdung {arg}")
    assert (await user.chat()).paused_until is None


async def test_resume_when_not_paused(user):
    assert "không tạm dừng" in await user.text("/tieptuc")


async def test_resume_offers_missed_items(user, clock, store_items):
    await user.send("/tinh lam dong")
    await store_items(make_item("Trước khi dừng", provinces=["lam-dong"]))
    clock.advance(60)
    await user.send("/tamdung")
    clock.advance(DAY)
    await store_items(
        make_item("Lâm Đồng <ra mắt> ứng dụng", provinces=["lam-dong"], link="https://a.vn/1?x=1&y=2"),
        make_item("Đà Lạt chuyển đổi số", provinces=["lam-dong"]),
        make_item("Hà Nội không liên quan", provinces=["ha-noi"]),
    )
    clock.advance(DAY)
    replies = await user.send("/tieptuc")
    assert "Có 2 tin phù hợp" in replies[0].text
    (data,) = data_of(replies)
    assert data.startswith("/tieptuc_xem ")
    assert (await user.chat()).paused_until is None
    shown = await user.press(data)
    text = shown[0].text
    assert "Lâm Đồng &lt;ra mắt&gt; ứng dụng" in text and "Đà Lạt chuyển đổi số" in text
    assert "Hà Nội" not in text and "Trước khi dừng" not in text
    assert 'href="https://a.vn/1?x=1&amp;y=2"' in text


async def test_resume_with_nothing_missed(user, clock):
    await user.send("/tinh hue")
    await user.send("/tamdung 3")
    clock.advance(DAY)
    replies = await user.send("/resume")
    assert "Không có tin nào bị lỡ" in replies[0].text and not data_of(replies)


async def test_missed_link_validation(user):
    for bad in ("/tieptuc_xem", "/tieptuc_xem 5", "/tieptuc_xem 9 1", "/tieptuc_xem a b",
                "/tieptuc_xem 0 999999999"):
        assert "không hợp lệ" in await user.text(bad)


# ----------------------------------------------------------------------------- /ngonngu


async def test_language_choice_sticks(talk):
    chat = talk("301", lang="vi")
    assert "English" in await chat.text("/ngonngu en")
    chat.lang = "vi"
    assert "Your subscriptions" in await chat.text("/dangky")
    assert "Tiếng Việt" in await chat.text("/lang tiếng việt")
    chat.lang = "en"
    assert "Đăng ký của bạn" in await chat.text("/dangky")


async def test_language_follows_user_until_chosen(talk):
    chat = talk("302", lang="en-GB")
    assert "Your subscriptions" in await chat.text("/dangky")
    chat.lang = None
    assert "Your subscriptions" in await chat.text("/dangky")
    unknown = talk("303", lang=None)
    assert "Đăng ký của bạn" in await unknown.text("/dangky")
    french = talk("304", lang="fr")
    assert "Đăng ký của bạn" in await french.text("/dangky")


async def test_language_buttons_and_bad_value(user):
    replies = await user.send("/ngonngu")
    assert data_of(replies) == ["/ngonngu vi", "/ngonngu en"]
    assert "Không có ngôn ngữ" in await user.text("/ngonngu klingon")
    assert (await user.chat()).lang_explicit is False


# ----------------------------------------------------------------------------- /tuantrong


async def test_empty_weeks_switch_by_typing_and_by_button(user):
    replies = await user.send("/lich")
    assert (await user.chat()).weekly_empty
    assert "/tuantrong tat" in data_of(replies)
    assert "không gửi gì" in await user.text("/tuantrong tat")
    assert not (await user.chat()).weekly_empty
    assert "/tuantrong bat" in data_of(await user.send("/lich"))
    await user.press("/emptyweek on")
    assert (await user.chat()).weekly_empty
    assert "/tuantrong bat" in await user.text("/tuantrong maybe")
