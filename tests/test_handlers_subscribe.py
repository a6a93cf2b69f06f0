"""/tinh /chude /tukhoa /xoa: typed lists, keyboards, typos, confirmations, group rules."""

from __future__ import annotations

from handlers.keywords import MAX_KEYWORDS
from handlers.removal import keyword_token
from tests.conftest import button_data, button_texts

# ----------------------------------------------------------------------------- /tinh


async def test_provinces_without_accents_comma_separated(user):
    text = await user.text("/tinh lam dong, can tho; hcm")
    assert "Lâm Đồng" in text and "Cần Thơ" in text and "TP Hồ Chí Minh" in text
    assert await user.subscriptions() == {
        ("province", "lam-dong"), ("province", "can-tho"), ("province", "ho-chi-minh")
    }


async def test_provinces_one_per_line_with_accents_and_prefixes(user):
    await user.send("/tinh Tỉnh Lâm Đồng\nTP. Cần Thơ\n\n")
    assert await user.subscriptions() == {("province", "lam-dong"), ("province", "can-tho")}


async def test_old_unit_resolves_to_current_with_note(user):
    text = await user.text("/tinh soc trang")
    assert "Sóc Trăng nay thuộc TP Cần Thơ" in text and "đã đăng ký TP Cần Thơ" in text
    assert await user.subscriptions() == {("province", "can-tho")}


async def test_old_unit_note_in_english(talk):
    chat = talk("101", lang="en")
    text = await chat.text("/province Soc Trang")
    assert "Soc Trang is now part of Can Tho" in text


async def test_nationwide_is_stored_as_toan_quoc(user):
    await user.send("/tinh toàn quốc")
    assert await user.subscriptions() == {("province", "toan-quoc")}


async def test_typo_gets_suggestion_buttons(user):
    replies = await user.send("/tinh lam dongg")
    assert "Không tìm thấy tỉnh \"lam dongg\". Có phải: Lâm Đồng" in replies[0].text
    assert "/tinh lam-dong" in button_data(replies)
    assert await user.subscriptions() == set()
    # One tap on the suggestion subscribes.
    await user.press("/tinh lam-dong")
    assert await user.subscriptions() == {("province", "lam-dong")}


async def test_mixed_good_and_bad_names_in_one_reply(user):
    replies = await user.send("/tinh hue, lam dongg, qwertyuiop, da nang")
    assert len(replies) == 1
    text = replies[0].text
    assert "✅ Đã đăng ký: Huế, TP Đà Nẵng" in text
    assert "\"lam dongg\"" in text and "\"qwertyuiop\"" in text
    assert await user.subscriptions() == {("province", "hue"), ("province", "da-nang")}
    assert "/tinh" in button_data(replies)  # "pick from the list"


async def test_repeated_province_is_reported_as_already(user):
    await user.send("/tinh hue")
    text = await user.text("/tinh Huế, Thừa Thiên Huế")
    assert "Đã đăng ký từ trước: Huế" in text


async def test_user_input_is_escaped(user):
    text = await user.text("/tinh <b>x</b> & y")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in text


async def test_too_many_names_refused(user):
    text = await user.text("/tinh " + ", ".join(["hue"] * 5 + [f"x{i}" for i in range(60)]))
    assert "Quá nhiều" in text
    assert await user.subscriptions() == set()


async def test_province_keyboard_by_buttons(user):
    replies = await user.send("/tinh")
    assert not replies[0].edit  # typed: a new message
    data = button_data(replies)
    assert "/tinh_kb r:tay-nguyen" in data and "/tinh_kb t:toan-quoc" in data and "/tinh_kb xong" in data
    region = await user.press("/tinh_kb r:tay-nguyen")
    assert region[0].edit and "Tây Nguyên" in region[0].text
    assert "/tinh_kb t:lam-dong" in button_data(region)
    toggled = await user.press("/tinh_kb t:lam-dong")
    assert toggled[0].edit and toggled[0].notice == "Đã thêm: Lâm Đồng"
    assert "✅ Lâm Đồng" in button_texts(toggled)
    assert await user.subscriptions() == {("province", "lam-dong")}
    back = await user.press("/tinh_kb")
    assert "Tây Nguyên (1)" in button_texts(back)
    untoggled = await user.press("/tinh_kb t:lam-dong")
    assert untoggled[0].notice == "Đã bỏ: Lâm Đồng" and "Lâm Đồng" in button_texts(untoggled)
    await user.press("/tinh_kb t:toan-quoc")
    done = await user.press("/tinh_kb xong")
    assert done[0].edit and "Toàn quốc" in done[0].text
    assert await user.subscriptions() == {("province", "toan-quoc")}


async def test_province_keyboard_by_typing(user):
    """Messengers without buttons run the same flow by typing the button data."""
    region = await user.send("/tinh_kb r:dong-bang-song-cuu-long")
    assert not region[0].edit and "TP Cần Thơ" in button_texts(region)
    await user.send("/tinh_kb t:can-tho")
    assert await user.subscriptions() == {("province", "can-tho")}


async def test_stale_keyboard_button(user):
    replies = await user.press("/tinh_kb t:atlantis")
    assert replies[0].notice == "Nút này không còn hiệu lực."
    replies = await user.press("/tinh_kb r:nowhere")
    assert "/tinh_kb r:tay-nguyen" in button_data(replies)


async def test_every_keyboard_button_fits(user, services):
    """Walk the whole province and topic keyboards; assert_well_formed checks every button."""
    seen = set()
    pending = ["/tinh", "/chude", "/xoa"]
    await user.send("/tinh " + ", ".join(u.name for u in services.gazetteer.current_units()))
    await user.send("/tukhoa " + ", ".join(["đ" * 50, "x" * 50]))
    while pending:
        data = pending.pop()
        if data in seen or data.startswith(("/xoa ", "/tinh_kb t:", "/chude_kb t:")):
            continue
        seen.add(data)
        pending.extend(button_data(await user.press(data)))
    assert len(seen) > 10


# ----------------------------------------------------------------------------- /chude


async def test_topics_by_name_alias_and_english(user):
    text = await user.text("/chude chuyen doi so, an ninh mạng, Telecommunications")
    assert "Chuyển đổi số" in text and "An toàn thông tin" in text and "Viễn thông" in text
    assert await user.subscriptions() == {
        ("topic", "chuyen-doi-so"), ("topic", "an-toan-thong-tin"), ("topic", "vien-thong")
    }


async def test_topic_typo_suggests(user):
    replies = await user.send("/chude chuyen doi soo, vien thongg")
    assert "Có phải: Chuyển đổi số?" in replies[0].text and "Có phải: Viễn thông?" in replies[0].text
    assert button_data(replies) == ["/chude chuyen-doi-so", "/chude vien-thong", "/chude"]
    assert await user.subscriptions() == set()
    await user.press("/chude vien-thong")
    assert await user.subscriptions() == {("topic", "vien-thong")}


async def test_unknown_topic(user):
    text = await user.text("/topic zzzzqqq")
    assert "Không tìm thấy chủ đề \"zzzzqqq\"" in text


async def test_topic_keyboard(user):
    replies = await user.send("/chude")
    assert "/chude_kb t:chuyen-doi-so" in button_data(replies)
    toggled = await user.press("/chude_kb t:chuyen-doi-so")
    assert toggled[0].edit and "✅ Chuyển đổi số" in button_texts(toggled)
    done = await user.press("/chude_kb xong")
    assert "Chuyển đổi số" in done[0].text
    assert await user.subscriptions() == {("topic", "chuyen-doi-so")}


async def test_topic_keyboard_in_english(talk):
    chat = talk("102", lang="en")
    replies = await chat.send("/topic")
    assert "Digital transformation" in button_texts(replies)


# ----------------------------------------------------------------------------- /tukhoa


async def test_keywords_accented_and_not(user, db):
    text = await user.text("/tukhoa Postmart, IOC, Lâm Đồng")
    assert "Postmart" in text and "IOC" in text
    rows = await db.fetchall("SELECT value, folded, accented FROM subscriptions WHERE kind = 'keyword'")
    assert {(r["value"], r["folded"], r["accented"]) for r in rows} == {
        ("Postmart", "postmart", 0), ("IOC", "ioc", 0), ("Lâm Đồng", "lam dong", 1)
    }


async def test_keyword_duplicates_case_insensitive(user):
    await user.send("/tukhoa Postmart")
    text = await user.text("/tukhoa postmart, POSTMART")
    assert "Đã có sẵn: postmart" in text
    assert await user.subscriptions() == {("keyword", "Postmart")}


async def test_keyword_limits(user):
    text = await user.text("/tukhoa " + "a" * 51 + ", ???, ok")
    assert "quá dài" in text and "không hợp lệ" in text
    assert await user.subscriptions() == {("keyword", "ok")}
    await user.send("/tukhoa " + ", ".join(f"kw{i}" for i in range(30)))
    subs = await user.subscriptions()
    assert len(subs) == MAX_KEYWORDS
    assert "giới hạn" in await user.text("/tukhoa more")


async def test_keyword_is_escaped(user):
    text = await user.text("/tukhoa <script>, a&b")
    assert "&lt;script&gt;" in text and "a&amp;b" in text
    listing = await user.text("/tukhoa")
    assert "&lt;script&gt;" in listing


async def test_keyword_without_argument_lists(user):
    await user.send("/tukhoa IOC")
    text = await user.text("/keyword")
    assert "IOC" in text and "/tukhoa Postmart, IOC" in text


# ----------------------------------------------------------------------------- /xoa


async def test_remove_each_kind(user):
    await user.send("/tinh lam dong, hue")
    await user.send("/chude buu chinh")
    await user.send("/tukhoa IOC")
    text = await user.text("/xoa Lâm Đồng, bưu chính, ioc, ha noi, blabla")
    assert "Đã bỏ: Lâm Đồng, Bưu chính, IOC" in text
    assert "Chưa đăng ký: Hà Nội" in text and "blabla" in text
    assert await user.subscriptions() == {("province", "hue")}


async def test_remove_old_unit_name_removes_current(user):
    await user.send("/tinh can tho")
    await user.send("/xoa soc trang")
    assert await user.subscriptions() == set()


async def test_remove_keyboard(user):
    await user.send("/tinh hue")
    await user.send("/tukhoa " + "Điểm tin địa phương rất dài " * 1)
    replies = await user.send("/xoa")
    data = button_data(replies)
    assert "/xoa p:hue" in data and "/xoa tatca" in data
    keyword_button = next(d for d in data if d.startswith("/xoa k:"))
    assert keyword_button == "/xoa k:" + keyword_token("Điểm tin địa phương rất dài")
    after = await user.press(keyword_button)
    assert after[0].edit and after[0].notice.startswith("Đã bỏ")
    assert "/xoa p:hue" in button_data(after)
    assert await user.subscriptions() == {("province", "hue")}


async def test_remove_with_nothing_subscribed(user):
    assert "chưa đăng ký gì" in await user.text("/xoa")
    assert "chưa đăng ký gì" in await user.text("/xoa tatca")


async def test_clear_all_confirm_by_button(user):
    await user.send("/tinh hue, lam dong")
    replies = await user.send("/xoa tatca")
    assert "/xoa_xacnhan" in button_data(replies) and "/huy" in button_data(replies)
    assert len(await user.subscriptions()) == 2  # nothing yet
    done = await user.press("/xoa_xacnhan")
    assert "2" in done[0].text and done[0].edit
    assert await user.subscriptions() == set()
    # A second press finds nothing to confirm.
    assert "hết hạn" in (await user.press("/xoa_xacnhan"))[0].text


async def test_clear_all_confirm_by_typing_yes(user):
    await user.send("/tinh hue")
    await user.send("/xoa tất cả")
    assert "Đã bỏ tất cả" in await user.text("có")
    assert await user.subscriptions() == set()


async def test_clear_all_english_yes(talk):
    chat = talk("103", lang="en")
    await chat.send("/province hue")
    await chat.send("/remove all")
    assert "removed" in await chat.text("yes")
    assert await chat.subscriptions() == set()


async def test_clear_all_cancel_and_expiry(user, clock):
    await user.send("/tinh hue")
    await user.send("/xoa tatca")
    assert "Đã hủy" in await user.text("không")
    assert "có" != await user.text("có")  # now just a plain message: a hint
    assert await user.subscriptions() == {("province", "hue")}
    await user.send("/xoa tatca")
    clock.advance(3600)
    await user.send("có")
    assert await user.subscriptions() == {("province", "hue")}


async def test_another_command_closes_the_question(user):
    await user.send("/tinh hue")
    await user.send("/xoa tatca")
    await user.send("/dangky")
    await user.send("có")
    assert await user.subscriptions() == {("province", "hue")}


# ----------------------------------------------------------------------------- groups


async def test_group_non_admin_is_refused_and_nothing_changes(talk):
    admin = talk("-200", kind="supergroup", manage=True, user_id="1")
    member = talk("-200", kind="supergroup", manage=False, user_id="2")
    await admin.send("/tinh hue")
    for command in ("/tinh lam dong", "/chude cds", "/tukhoa IOC", "/xoa hue", "/xoa tatca",
                    "/chedo hangtuan", "/lich t7 9h", "/tamdung", "/tieptuc", "/ngonngu en"):
        text = await member.text(command)
        assert "Chỉ quản trị viên của nhóm" in text, command
    refused = await member.press("/tinh_kb t:lam-dong")
    assert refused[0].notice and "Chỉ quản trị viên" in refused[0].notice
    assert await admin.subscriptions() == {("province", "hue")}
    chat = await admin.chat()
    assert (chat.mode, chat.lang, chat.paused_until) == ("instant", "vi", None)


async def test_group_without_can_manage_is_refused(talk):
    group = talk("-201", kind="group", manage=None)
    assert "Chỉ quản trị viên" in await group.text("/tinh hue")
    assert await group.subscriptions() == set()


async def test_group_yes_only_from_the_one_who_asked(talk):
    admin = talk("-202", kind="group", manage=True, user_id="1")
    other = talk("-202", kind="group", manage=True, user_id="2")
    await admin.send("/tinh hue")
    await admin.send("/xoa tatca")
    assert await other.send("có") == []
    assert await admin.subscriptions() == {("province", "hue")}
    await admin.send("có")
    assert await admin.subscriptions() == set()


async def test_group_admin_can_subscribe(talk):
    admin = talk("-203", kind="supergroup", manage=True)
    await admin.send("/tinh@DiemTinBot lam dong")
    assert await admin.subscriptions() == {("province", "lam-dong")}
