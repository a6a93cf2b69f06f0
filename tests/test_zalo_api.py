"""The Zalo Bot API client and sender against the fake on 127.0.0.1: ``ok`` decides, not the
HTTP status; Zalo's error codes become the delivery worker's errors; the token never shows."""

from __future__ import annotations

import pytest

from bot.delivery.senders import RateLimited, Rejected, Transient
from bot.messengers.zalo.api import ZaloApiError, ZaloBotApi, ZaloUnreachable
from bot.messengers.zalo.sender import ZaloSender
from tests.fakes.zalo import FakeZalo
from tests.zalo_harness import TOKEN

SECRET_PART = TOKEN.split(":")[1]


@pytest.fixture
async def api():
    with FakeZalo(token=TOKEN) as server:
        client = ZaloBotApi(TOKEN, server.base_url)
        await client.open()
        client.server = server
        try:
            yield client
        finally:
            await client.close()


async def test_calls_post_json_and_read_the_result(api):
    me = await api.call("getMe")
    assert me["id"] == api.server.bot_id and me["account_type"] == "BASIC"
    sent = await api.call("sendMessage", {"chat_id": "u1", "text": "Xin chào, Đà Lạt"})
    assert sent["message_id"] and api.server.sent("u1") == ["Xin chào, Đà Lạt"]


async def test_an_http_200_ok_false_answer_is_an_error_with_its_code(api):
    api.server.fail(404, "sendMessage", description="user not found")
    with pytest.raises(ZaloApiError) as error:
        await api.call("sendMessage", {"chat_id": "u1", "text": "x"})
    assert error.value.code == 404 and "user not found" in str(error.value)
    with pytest.raises(ZaloApiError) as unknown:
        await api.call("getChat", {"chat_id": "u1"})
    assert unknown.value.code == 400
    with pytest.raises(ZaloApiError) as too_long:  # the fake holds Zalo's 2,000-character cap
        await api.call("sendMessage", {"chat_id": "u1", "text": "x" * 2001})
    assert too_long.value.code == 400 and api.server.sent("u1") == []


async def test_a_page_that_is_not_the_bot_api_is_unreachable_not_an_answer(api):
    api.server.fail(502, "getMe", http_status=502, page=b"<html><h1>502 Bad Gateway</h1></html>")
    with pytest.raises(ZaloUnreachable, match="HTTP 502"):
        await api.call("getMe")


async def test_the_token_never_shows_in_errors():
    wrong = ZaloBotApi(TOKEN, "http://127.0.0.1:9/bot")
    with pytest.raises(ZaloUnreachable) as down:
        await wrong.call("getMe")  # not opened: a one-off connection, closed again
    assert SECRET_PART not in str(down.value) and "getMe" in str(down.value)
    with FakeZalo(token="1:another-token-entirely-00000000") as strict:
        refused = ZaloBotApi(TOKEN, strict.base_url)
        with pytest.raises(ZaloApiError) as error:
            await refused.call("getMe")
    assert error.value.code == 401 and SECRET_PART not in str(error.value)


async def test_the_sender_maps_zalo_errors_for_the_delivery_worker(api):
    sender = ZaloSender(api, quota_pause=0.5, quota_pause_max=1.5)
    server = api.server
    assert await sender.send("u2", {"text": "một", "format": "plain"})
    server.fail(403)
    with pytest.raises(Transient, match="server error"):  # Zalo's 403: retry, not "blocked"
        await sender.send("u2", {"text": "hai", "format": "plain"})
    server.fail(400)
    with pytest.raises(Rejected):
        await sender.send("u2", {"text": "ba", "format": "plain"})
    with pytest.raises(Rejected):
        await sender.send("u2", {"text": "", "format": "plain"})
    server.fail(429, times=2)
    with pytest.raises(RateLimited) as first:
        await sender.send("u2", {"text": "bốn", "format": "plain"})
    assert first.value.retry_after == pytest.approx(0.5)
    with pytest.raises(RateLimited) as during:  # a send that left during the pause adds nothing
        await sender.send("u2", {"text": "bốn", "format": "plain"})
    assert during.value.retry_after <= 0.5
    assert server.sent("u2") == ["một"]


async def test_the_quota_pause_doubles_while_429s_go_on_and_resets_after_a_send(api):
    now = [1000.0]
    sender = ZaloSender(api, quota_pause=1, quota_pause_max=3, clock=lambda: now[0])
    pauses = []
    for _ in range(4):
        api.server.fail(429)
        with pytest.raises(RateLimited) as limited:
            await sender.send("u3", {"text": "năm", "format": "plain"})
        pauses.append(limited.value.retry_after)
        now[0] += limited.value.retry_after
    assert pauses == [1, 2, 3, 3]
    await sender.send("u3", {"text": "năm", "format": "plain"})
    api.server.fail(429)
    with pytest.raises(RateLimited) as again:
        await sender.send("u3", {"text": "sáu", "format": "plain"})
    assert again.value.retry_after == 1
