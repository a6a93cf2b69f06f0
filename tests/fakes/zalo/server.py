"""FakeZalo: the parts behind an aiohttp.web server on 127.0.0.1, on a thread of its own.

A request ``/bot<token>/<method>`` goes: token check → JSON parameters → scripted faults → the
method → the call log. Every answer is HTTP 200 with ``{ok, result}`` or ``{ok: false,
error_code, description}``, as Zalo answers (a scripted fault may ask for another status).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any

from aiohttp import web

from tests.fakes.telegram.waiting import Changes
from tests.fakes.zalo.bot_api import DEFAULT_BOT_ID, BotApi
from tests.fakes.zalo.errors import ZaloApiError
from tests.fakes.zalo.records import Records, ZaloCall
from tests.fakes.zalo.updates import Updates

METHODS = ("getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo", "sendMessage",
           "sendChatAction")


class FakeZalo(Updates, BotApi, Records):
    """A fake Zalo Bot API; ``start()`` it, point the bot at ``base_url``, ``stop()`` it.

    Tests call ``push`` (a user's message), ``fail`` (scripted errors), ``echo``, ``sent``,
    ``calls``, ``wait_for``/``wait_sent``, ``delivered``, ``webhook_target``, ``post_update``.
    """

    def __init__(self, *, token: str | None = None, bot_id: str = DEFAULT_BOT_ID,
                 account_name: str = "bot.diemtin.test", max_poll_seconds: float = 1.0) -> None:
        self._lock = threading.RLock()
        self._changes = Changes()
        Records.__init__(self)
        BotApi.__init__(self, bot_id, account_name)
        Updates.__init__(self, max_poll_seconds)
        self.token = token  # None: any token is accepted
        self.port = 0
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeZalo:
        """Listen on a free 127.0.0.1 port in a background thread; returns when ready."""
        ready, failure = threading.Event(), []

        def run() -> None:
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(self._listen())
            except BaseException as exc:  # noqa: BLE001 - reported to start()
                failure.append(exc)
                loop.close()
                ready.set()
                return
            self._loop = loop
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="fake-zalo", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    async def _listen(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # A client that gives up a long poll cancels it here too, so the poll takes no update
        # nobody will read.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0, handler_cancellation=True)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        self._stopping = True
        self._arrivals.notify()

        async def shutdown() -> None:
            await self._runner.cleanup()
            await self._close_client()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        thread.join(10)
        self._loop = None
        self._changes.notify()

    def run_on_own_loop(self, coro: Coroutine) -> Future:
        if self._loop is None:
            coro.close()
            raise RuntimeError("the fake Zalo server is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def __enter__(self) -> FakeZalo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

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
