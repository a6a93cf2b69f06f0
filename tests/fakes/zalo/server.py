"""FakeZalo: the parts behind an aiohttp.web server on 127.0.0.1, on a thread of its own
(tests.fakes.loopback).

A request ``/bot<token>/<method>`` goes: token check → JSON parameters → scripted faults → the
method → the call log. Every answer is HTTP 200 with ``{ok, result}`` or ``{ok: false,
error_code, description}``, as Zalo answers (a scripted fault may ask for another status).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from aiohttp import web

from tests.fakes.loopback import LoopbackServer
from tests.fakes.telegram.waiting import Changes
from tests.fakes.zalo.bot_api import DEFAULT_BOT_ID, BotApi
from tests.fakes.zalo.errors import ZaloApiError
from tests.fakes.zalo.records import Records, ZaloCall
from tests.fakes.zalo.updates import Updates

METHODS = ("getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo", "sendMessage",
           "sendChatAction")


class FakeZalo(Updates, BotApi, Records, LoopbackServer):
    """A fake Zalo Bot API; ``start()`` it, point the bot at ``base_url``, ``stop()`` it.

    Tests call ``push`` (a user's message), ``fail`` (scripted errors), ``echo``, ``sent``,
    ``calls``, ``wait_for``/``wait_sent``, ``delivered``, ``webhook_target``, ``post_update``.
    """

    thread_name = "fake-zalo"

    def __init__(self, *, token: str | None = None, bot_id: str = DEFAULT_BOT_ID,
                 account_name: str = "bot.diemtin.test", max_poll_seconds: float = 1.0) -> None:
        self._lock = threading.RLock()
        self._changes = Changes()
        Records.__init__(self)
        BotApi.__init__(self, bot_id, account_name)
        Updates.__init__(self, max_poll_seconds)
        self.token = token  # None: any token is accepted
        LoopbackServer.__init__(self)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # ------------------------------------------------------------------ lifecycle (LoopbackServer)

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        return app

    def _runner_options(self) -> dict:
        # A client that gives up a long poll cancels it here too, so the poll takes no update
        # nobody will read.
        return {"handler_cancellation": True}

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.Response:
        method, params = request.match_info["method"], {}
        try:
            if self.token is not None and request.match_info["token"] != self.token:
                raise ZaloApiError(401, "Unauthorized")
            params = await _params(request)
            result = await self._answer(method, params)
        except ZaloApiError as exc:
            self._record(ZaloCall(method, params, exc.code, None, exc.description))
            content_type = "text/html" if exc.page is not None else "application/json"
            return web.Response(status=exc.http_status, body=exc.body(), content_type=content_type)
        except ConnectionError:  # the client went away mid-request: no one to answer
            return web.Response(status=400)
        self._record(ZaloCall(method, params, 0, result))
        return _json({"ok": True, "result": result})

    async def _answer(self, method: str, params: dict) -> Any:
        if method not in METHODS:
            raise ZaloApiError(400, f"Bad Request: unknown method {method}")
        self._scripted(method, params.get("chat_id"))
        if method == "getUpdates":
            return await self._get_updates(params)
        return getattr(self, f"_m_{method}")(params)


async def _params(request: web.Request) -> dict:
    body = await request.read()
    if not body:
        return {}
    try:
        params = json.loads(body)
    except ValueError:
        raise ZaloApiError(400, "Bad Request: body is not JSON") from None
    if not isinstance(params, dict):
        raise ZaloApiError(400, "Bad Request: parameters must be a JSON object")
    return params


def _json(payload: dict, status: int = 200) -> web.Response:
    return web.Response(status=status, body=json.dumps(payload, ensure_ascii=False).encode(),
                        content_type="application/json")
