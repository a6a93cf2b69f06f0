"""Zalo webhook mode, and what long polling does about a webhook: against the fake Bot API.

The bot registers its public HTTPS URL and secret with setWebhook and serves the URL's path on
its listen address; the fake delivers there (it cannot reach the public URL: nothing here
leaves 127.0.0.1). A wrong or missing secret is refused and changes nothing.
"""

from __future__ import annotations

import logging
import socket

import pytest

from bot.delivery.channels import Channel
from bot.delivery.worker import DeliveryWorker
from bot.messengers.zalo.api import ZaloApiError, ZaloBotApi
from bot.web.server import WebServer
from storage import chats
from tests.fakes.zalo import FakeZalo
from tests.zalo_harness import (
    REPLIES,
    TOKEN,
    ZaloChat,
    ZaloHarness,
    assert_plain,
    make_zalo,
    start_zalo,
)

SECRET = "Zalo-webhook_secret-0123"
HOOK = "https://127.0.0.1/zalo/hook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WebhookHarness(ZaloHarness):
    async def handled(self, update: dict, timeout: float = 10) -> None:
        """The fake's POST of the update was answered 2xx (the bot handled it first)."""
        await self.server.wait_for(lambda: self.server.delivered(update), timeout, what="the webhook delivery")
        await self.worker.drain(timeout)


@pytest.fixture
async def hooked(zalo_services):
    listen = f"127.0.0.1:{free_port()}"
    server = FakeZalo(token=TOKEN).start()
    server.webhook_target = listen
    adapter = make_zalo(zalo_services, server, mode="webhook", webhook_url=HOOK,
                        webhook_secret=SECRET, webhook_listen=listen)
    web = WebServer()  # the bot's one server, as bot.operations starts it before the messengers
    for route in adapter.routes():
        web.add(route)
    await web.start()
    worker = DeliveryWorker({"zalo": Channel(adapter.profile, adapter.sender)}, zalo_services.db, REPLIES)
    adapter.attach(worker.reply)
    await adapter.start()
    await worker.start()
    try:
        yield WebhookHarness(server, adapter, worker, zalo_services)
    finally:
        await adapter.stop()
        await worker.stop()
        await web.stop()
        server.stop()


async def test_webhook_mode_registers_the_https_url_and_its_secret(hooked):
    [call] = hooked.server.calls("setWebhook", ok=True)
    assert call.params == {"url": HOOK, "secret_token": SECRET}
    assert hooked.server.calls("getUpdates") == []


async def test_updates_arrive_bare_or_wrapped(hooked):
    user = ZaloChat(hooked, "w100")
    assert "Lâm Đồng" in await user.text("tinh lam dong")  # the fake posts the bare update
    hooked.server.wrap_webhook_bodies = True
    assert "Cần Thơ" in await user.text("/tinh can tho")  # {"ok": true, "result": update}
    assert await user.subscriptions() == {("province", "lam-dong"), ("province", "can-tho")}
    # Zalo refuses getUpdates while the webhook is set.
    with pytest.raises(ZaloApiError) as refused:
        await hooked.adapter.api.call("getUpdates", {"timeout": "1"})
    assert refused.value.code == 400


async def test_a_wrong_or_missing_secret_is_refused_and_changes_nothing(hooked, caplog):
    update = {"event_name": "message.text.received",
              "message": {"from": {"id": "w200", "is_bot": False}, "chat": {"id": "w200", "chat_type": "PRIVATE"},
                          "text": "/tinh ha noi", "message_id": "x-1", "date": 1}}
    with caplog.at_level(logging.WARNING):
        assert await hooked.server.post_update(update, secret="not-the-secret-0") == 403
        assert await hooked.server.post_update(update, secret=None) == 401
        assert await hooked.server.post_update(update, secret=SECRET[:-1]) == 403
    assert await chats.get_chat(hooked.services.db, "zalo", "w200") is None
    assert hooked.server.sent("w200") == []
    assert SECRET not in caplog.text
    # The right secret: answered; the same update retried: answered 200 again, run once.
    assert await hooked.server.post_update(update, secret=SECRET, wrapped=True) == 200
    assert await hooked.server.post_update(update, secret=SECRET) == 200
    await hooked.worker.drain(10)
    [reply] = hooked.server.sent("w200")
    assert "Hà Nội" in reply
    assert_plain(reply)


async def test_a_body_that_is_not_json_is_a_400(hooked):
    assert await hooked.server.post_update({}, secret=SECRET, body=b"{not json") == 400
    assert await hooked.server.post_update({}, secret=SECRET, body=b'{"ok": true}') == 200  # no message: ignored


async def test_polling_removes_a_webhook_left_set_and_waits_out_one_set_later(zalo_services, caplog):
    server = FakeZalo(token=TOKEN).start()
    outsider = ZaloBotApi(TOKEN, server.base_url)
    try:
        await outsider.call("setWebhook", {"url": "https://127.0.0.1/old", "secret_token": SECRET})
        with caplog.at_level(logging.WARNING):
            adapter, worker = await start_zalo(zalo_services, server)
            assert server.webhook_url == ""  # removed, so that getUpdates works
            harness = ZaloHarness(server, adapter, worker, zalo_services)
            user = ZaloChat(harness, "p100")
            assert "Lâm Đồng" in await user.text("tinh lam dong")
            # Someone sets a webhook while the bot polls: getUpdates answers 400; the bot backs off.
            server.webhook_target = f"127.0.0.1:{free_port()}"  # nobody listens there
            await outsider.call("setWebhook", {"url": "https://127.0.0.1/other", "secret_token": SECRET})
            await server.wait_for(lambda: [c for c in server.calls("getUpdates") if c.code == 400], 10,
                                  what="a refused poll")
            waiting = user.push("/dangky")
            await outsider.call("deleteWebhook")
            await harness.handled(waiting, timeout=15)
        assert "Lâm Đồng" in server.sent("p100")[-1]
        assert "webhook was set" in caplog.text and "webhook is set" in caplog.text
        assert TOKEN not in caplog.text
        await adapter.stop()
        await worker.stop()
    finally:
        await outsider.close()
        server.stop()
