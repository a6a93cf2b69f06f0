"""Telegram in webhook mode, end to end: the bot's own HTTP server, the fake Bot API, a secret.

The bot sets its webhook at start (URL, secret, update kinds) and never polls; an update POSTed
with the right secret is answered in the chat; without it, or with a wrong one, the request is
refused with 403 and nothing happens: no reply, no chat stored. At stop the webhook stays set.
"""

from __future__ import annotations

import sqlite3

from tests.fakes.telegram import FakeTelegram
from tests.ops_support import SECRET, TOKEN, bot_config, free_port, private_message, running_app


async def test_webhook_with_and_without_the_right_secret(tmp_path):
    port = free_port()
    async with FakeTelegram(token=TOKEN) as fake:
        config = bot_config(tmp_path, fake, telegram={
            "mode": "webhook", "webhook_url": "https://127.0.0.1/tg/hook",
            "webhook_listen": f"127.0.0.1:{port}",
        })
        local = f"http://127.0.0.1:{port}/tg/hook"  # where the reverse proxy forwards to
        async with running_app(config):
            [call] = fake.requests("setWebhook")
            assert call.params["url"] == "https://127.0.0.1/tg/hook"
            assert call.params["secret_token"] == SECRET
            assert "callback_query" in call.params["allowed_updates"]

            for wrong in ("", "not-the-secret", SECRET[:-1], SECRET + "x"):
                refused = await fake.post_update(private_message(501, "/start"), url=local, secret_token=wrong)
                assert refused.status == 403
            answered = await fake.post_update(private_message(502, "/start"), url=local, secret_token=SECRET)
            assert answered.status == 200
            [welcome] = await fake.wait_sent(502, timeout=10)
            assert "Chào" in welcome

            answered = await fake.post_update(private_message(502, "/tinh lam dong"), url=local, secret_token=SECRET)
            assert answered.status == 200
            replies = await fake.wait_sent(502, count=2, timeout=10)
            assert "Lâm Đồng" in replies[1]
            assert fake.sent(501) == []
            assert fake.requests("getUpdates") == []  # webhook mode never polls
        assert fake.webhook.url == "https://127.0.0.1/tg/hook"  # left set at stop
    with sqlite3.connect(tmp_path / "diemtin.sqlite3") as db:
        chats = [r[0] for r in db.execute("SELECT chat_id FROM chats ORDER BY chat_id")]
    assert chats == ["502"]  # the refused requests changed nothing


async def test_a_body_that_is_not_an_update_is_refused(tmp_path):
    import aiohttp

    port = free_port()
    async with FakeTelegram(token=TOKEN) as fake:
        config = bot_config(tmp_path, fake, telegram={
            "mode": "webhook", "webhook_url": "https://127.0.0.1/hook", "webhook_listen": f"127.0.0.1:{port}",
        })
        async with running_app(config), aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/hook"
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with http.post(url, data=b"<html>", headers=headers) as answer:
                assert answer.status == 400
            async with http.get(url, headers=headers) as answer:
                assert answer.status == 405
            async with http.post(url, data=b"{}") as answer:
                assert answer.status == 403


async def test_a_port_in_use_is_one_line(tmp_path):
    import socket

    from bot.app import App, open_services
    from bot.web.server import ListenFailed

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        async with FakeTelegram(token=TOKEN) as fake:
            config = bot_config(tmp_path, fake, server={"listen": f"127.0.0.1:{port}"})
            app = App(config, await open_services(config))
            try:
                await app.start()
                raise AssertionError("started on a port in use")
            except ListenFailed as exc:
                assert str(exc).startswith(f"[server].listen: cannot listen on 127.0.0.1:{port}: ")
            finally:
                await app.stop()
            assert fake.requests("getMe") == []  # nothing was started before the port
