"""/dangky /moinhat /timkiem: open to everyone, in groups too."""

from __future__ import annotations

import pytest

from tests.conftest import button_data, make_item


async def test_list_shows_everything_with_edit_buttons(user):
    await user.send("/tinh lam dong, toan quoc")
    await user.send("/chude cds")
    await user.send("/tukhoa <IOC>")
    await user.send("/chedo hangtuan")
    replies = await user.send("/dangky")
    text = replies[0].text
    assert "Lâm Đồng" in text and "Toàn quốc" in text and "Chuyển đổi số" in text
    assert "&lt;IOC&gt;" in text and "chỉ tóm tắt hàng tuần" in text and "Thứ 2 08:00" in text
    assert "Đang nhận tin" in text and "và có chủ đề" in text
    data = button_data(replies)
    for expected in ("/tinh", "/chude", "/tukhoa", "/lich", "/chedo tucthi", "/tamdung", "/xoa"):
        assert expected in data


async def test_list_empty_and_english(talk):
    vi = talk("400")
    assert "Chưa có đăng ký nào" in await vi.text("/dangky")
    en = talk("401", lang="en")
    text = await en.text("/list")
    assert "Your subscriptions" in text and "none yet" in text and "Monday 08:00" in text


async def test_list_readable_by_group_members(talk):
    admin = talk("-402", kind="group", manage=True)
    member = talk("-402", kind="group", manage=False, user_id="99")
    await admin.send("/tinh hue")
    assert "Huế" in await member.text("/dangky")


async def _some_news(store_items, clock):
    for n in range(25):
        await store_items(make_item(f"Lâm Đồng tin số {n}", provinces=["lam-dong"]))
        clock.advance(1)
    await store_items(make_item("Huế ra mắt Postmart", provinces=["hue"], topics=["buu-chinh"]))
    await store_items(make_item("Tin toàn quốc về IOC", topics=["chuyen-doi-so"]))


async def test_latest_default_and_count(user, store_items, clock):
    await _some_news(store_items, clock)
    await user.send("/tinh lam dong")
    text = await user.text("/moinhat")
    assert "5 tin mới nhất" in text and "Lâm Đồng tin số 24" in text and "tin số 19" not in text
    assert text.count("<b>Lâm Đồng tin số") == 5
    text = await user.text("/moinhat 50")  # capped at 20
    assert text.count("<b>Lâm Đồng tin số") == 20
    text = await user.text("/latest 2")
    assert text.count("<b>Lâm Đồng tin số") == 2


async def test_latest_uses_the_matching_rule(user, store_items, clock):
    await _some_news(store_items, clock)
    await user.send("/tukhoa postmart")
    await user.send("/tinh toan quoc")
    text = await user.text("/moinhat 20")
    assert "Huế ra mắt Postmart" in text and "Tin toàn quốc về IOC" in text
    assert "Lâm Đồng tin số" not in text


@pytest.mark.parametrize("arg", ["0", "abc", "-1", "1.5"])
async def test_latest_bad_count(user, arg):
    await user.send("/tinh hue")
    assert "không hợp lệ" in await user.text(f"/moinhat {arg}")


async def test_latest_without_subscriptions_or_news(user):
    replies = await user.send("/moinhat")
    assert "chưa đăng ký" in replies[0].text and "/tinh" in button_data(replies)
    await user.send("/tinh hue")
    assert "Chưa có tin nào" in await user.text("/moinhat")


async def test_latest_in_group_for_members(talk, store_items, clock):
    await _some_news(store_items, clock)
    admin = talk("-403", kind="supergroup", manage=True)
    await admin.send("/tinh hue")
    member = talk("-403", kind="supergroup", manage=False, user_id="5")
    assert "Huế ra mắt Postmart" in await member.text("/moinhat")


async def test_search_accents_optional(user, store_items, clock):
    await _some_news(store_items, clock)
    text = await user.text("/timkiem hue ra mat")
    assert "Huế ra mắt Postmart" in text and "1 kết quả" in text
    assert "Huế ra mắt" in await user.text("/timkiem Huế")


async def test_search_escapes_and_empty(user, store_items):
    await store_items(make_item("Tiêu đề <b>đậm</b> & \"nháy\"", provinces=["hue"], link="javascript:alert(1)"))
    text = await user.text("/timkiem tieu de")
    assert "&lt;b&gt;đậm&lt;/b&gt; &amp;" in text and "javascript" not in text
    assert "Không tìm thấy" in await user.text("/timkiem <zzz>")
    assert "Cách dùng" in await user.text("/timkiem")
    assert "Cách dùng" in await user.text("/search ?!")


async def test_long_titles_keep_reply_under_limit(user, store_items, clock):
    for n in range(20):
        await store_items(make_item(f"{n} " + "Rất dài " * 300, provinces=["hue"]))
        clock.advance(1)
    await user.send("/tinh hue")
    [reply] = await user.send("/moinhat 20")  # each of its messages fits (shown() checks)
    assert reply.text.count("Rất dài") >= 20
