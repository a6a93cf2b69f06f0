"""/thongke /guitin /nguon: operators only."""

from __future__ import annotations

import json

import pytest

from storage import feeds as feed_store
from tests.conftest import ADMIN_ID, button_data, make_item

ADMIN_COMMANDS = ["/thongke", "/stats", "/guitin Xin chào", "/nguon", "/nguon them https://a.vn/rss",
                  "/nguon xoa 1", "/nguon quet 1", "/guitin_gui 1", "/guitin_huy 1"]


@pytest.fixture
def admin(talk):
    return talk("900", user_id=ADMIN_ID)


@pytest.mark.parametrize("command", ADMIN_COMMANDS)
async def test_non_admins_are_refused(user, services, command):
    assert "quản trị viên của bot" in await user.text(command)
    assert await feed_store.list_feeds(services.db) == []
    assert await services.db.scalar("SELECT COUNT(*) FROM broadcasts") == 0


async def test_group_admin_is_not_a_bot_admin(talk):
    group_admin = talk("-901", kind="group", manage=True, user_id="1")
    assert "quản trị viên của bot" in await group_admin.text("/thongke")


async def test_stats(admin, talk, services, store_items):
    await admin.send("/tinh hue, lam dong")
    other = talk("902")
    await other.send("/tinh hue")
    await other.send("/chude cds")
    await store_items(make_item("Tin Huế", provinces=["hue"]))
    await feed_store.upsert_feed(services.db, "https://bad.example/rss")
    await feed_store.record_failure(services.db, 1, now=services.clock(), error="HTTP 500 <oops>", next_poll_at=0)
    chat = await other.chat()
    await services.db.execute(
        "INSERT INTO outbox (chat_ref, kind, dedupe_key, payload, state, last_error, created_at)"
        " VALUES (?, 'items', 'd1', '{}', 'dead', 'Forbidden: bot was blocked by the user', 0)",
        (chat.id,),
    )
    text = await admin.text("/thongke")
    assert "telegram 2/2" in text
    assert "Huế 2" in text and "Lâm Đồng 1" in text and "Chuyển đổi số 1" in text
    assert "Tin 7 ngày qua: 1" in text
    assert "lỗi 1" in text and "chờ gửi 0" in text and "Forbidden: bot was blocked" in text
    assert "1 lỗi" in text and "HTTP 500 &lt;oops&gt;" in text


async def test_broadcast_confirm_queues_outbox_rows(admin, talk, services):
    await talk("910").send("/start")
    await talk("-911", kind="group").send("/start")
    gone = talk("912")
    await gone.send("/start")
    from handlers.router import chat_left

    await chat_left(services, "telegram", "912", "blocked")
    replies = await admin.send("/guitin Bảo trì <b>tối nay</b> & mai")
    preview = replies[0].text
    assert "3 cuộc trò chuyện" in preview and "&lt;b&gt;tối nay&lt;/b&gt; &amp; mai" in preview
    send, cancel = button_data(replies)
    assert send.startswith("/guitin_gui ") and cancel.startswith("/guitin_huy ")
    assert await services.db.scalar("SELECT COUNT(*) FROM outbox") == 0
    done = await admin.press(send)
    assert "3 cuộc trò chuyện" in done[0].text and done[0].edit
    rows = await services.db.fetchall("SELECT chat_ref, kind, dedupe_key, payload FROM outbox")
    assert len(rows) == 3 and {r["kind"] for r in rows} == {"broadcast"}
    bid = send.split()[1]
    assert {r["dedupe_key"] for r in rows} == {f"broadcast:{bid}:{r['chat_ref']}:0" for r in rows}
    payload = json.loads(rows[0]["payload"])
    assert payload == {"text": "Bảo trì &lt;b&gt;tối nay&lt;/b&gt; &amp; mai", "format": "html"}
    # Pressing again queues nothing more.
    assert "đã được xử lý" in (await admin.press(send))[0].text
    assert await services.db.scalar("SELECT COUNT(*) FROM outbox") == 3


async def test_broadcast_cancel_and_usage(admin, services):
    assert "Cách dùng" in await admin.text("/guitin")
    replies = await admin.send("/broadcast hello")
    cancel = button_data(replies)[1]
    assert "Đã hủy" in (await admin.press(cancel))[0].text
    send = button_data(replies)[0]
    assert "đã được xử lý" in (await admin.press(send))[0].text
    assert await services.db.scalar("SELECT COUNT(*) FROM outbox") == 0
    assert "Không tìm thấy" in await admin.text("/guitin_gui 999")
    assert "Không tìm thấy" in await admin.text("/guitin_gui abc")


async def test_broadcast_too_long(admin):
    assert "quá dài" in await admin.text("/guitin " + "&" * 4001)
    assert "quá dài" not in await admin.text("/guitin " + "&" * 900)


async def test_feeds_add_list_remove(admin, services):
    assert "Chưa có nguồn" in await admin.text("/nguon")
    text = await admin.text("/nguon them https://lamdong.gov.vn/rss lam dong")
    assert "#1" in text and "Lâm Đồng" in text
    feed = await feed_store.get_feed(services.db, 1)
    assert (feed.url, feed.default_province, feed.origin) == ("https://lamdong.gov.vn/rss", "lam-dong", "admin")
    assert "lamdong.gov.vn" in await admin.text("/feeds")
    assert "Không tìm thấy tỉnh" in await admin.text("/nguon them https://x.vn/rss atlantis")
    assert "http" in await admin.text("/nguon them javascript:alert(1)")
    assert "Đã tắt" in await admin.text("/nguon xoa 1")
    assert not (await feed_store.get_feed(services.db, 1)).enabled
    assert "Không tìm thấy nguồn" in await admin.text("/nguon xoa 77")
    assert "Cách dùng" in await admin.text("/nguon lung tung")


async def test_feed_poll_calls_the_poller(admin, services):
    await feed_store.upsert_feed(services.db, "https://a.vn/rss")
    assert "lượt tới" in await admin.text("/nguon quet 1")
    polled = []

    class Report:
        status, items_found, items_added, error = "ok", 12, 3, None

    async def poll_feed(feed_id):
        polled.append(feed_id)
        return Report()

    services.poll_feed = poll_feed
    text = await admin.text("/nguon quet 1")
    assert polled == [1] and "12 mục, 3 mục mới" in text

    async def failing(feed_id):
        raise ConnectionError("secret-token-in-url")

    services.poll_feed = failing
    text = await admin.text("/nguon quet 1")
    assert "thất bại" in text and "secret" not in text
    assert "Không tìm thấy nguồn" in await admin.text("/nguon quet 9")
