"""FakeTelegram: the parts put together behind an aiohttp.web server on 127.0.0.1.

The server runs on its own event loop in a background thread (tests.fakes.loopback), so it
answers while a test blocks (a subprocess against it, a sync test) and whichever loop the test
runs on. A request
``/bot<token>/<method>`` goes: token check → parameters (query, JSON, form or multipart) →
scripted faults → chat state and rate limits → the method → the call log.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.fakes.loopback import LoopbackServer
from tests.fakes.telegram.api import BotApi
from tests.fakes.telegram.chats import DEFAULT_BOT_ID, DEFAULT_BOT_USERNAME, chat_key
from tests.fakes.telegram.errors import ApiError
from tests.fakes.telegram.faults import CHAT_METHODS, Faults
from tests.fakes.telegram.records import ApiCall, Records
from tests.fakes.telegram.update_queue import UpdateQueue
from tests.fakes.telegram.user_actions import UserActions
from tests.fakes.telegram.waiting import Changes

# Form fields whose value is a plain string (everything else is JSON-decoded, as PTB encodes it).
_RAW_FIELDS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "language_code", "url", "data",
        "query", "description", "short_description", "name", "title", "custom_title",
        "inline_message_id", "business_connection_id", "message_effect_id", "emoji", "photo",
        "document", "action", "secret_token",
    }
)
_CHAT_ID_FIELDS = frozenset({"chat_id", "from_chat_id"})


class FakeTelegram(UserActions, BotApi, Records, Faults, UpdateQueue, LoopbackServer):
    """A fake Bot API server; ``start()`` it, point PTB at ``base_url``, ``stop()`` it.

    What tests call comes from the parts: ``push_*`` (UserActions), ``on``,
    ``set_member_status``, ``freeze_message``, ``commands`` (BotApi), ``sent``, ``requests``,
    ``wait_for``, ``wait_sent``, ``wait_call`` (Records), ``fail``, ``delay``, ``outage``,
    ``block``, ``upgrade_chat``, ``enforce_rate_limits`` (Faults), ``webhook``,
    ``post_update``, ``pending_updates``, ``confirmed`` (UpdateQueue).
    """

    thread_name = "fake-telegram"

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_id: int = DEFAULT_BOT_ID,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_name: str = "Điểm tin (test)",
        max_poll_seconds: float = 2.0,
        record: bool = True,
        strict_chats: bool = False,
    ) -> None:
        self._lock = threading.RLock()  # every part's state: the server thread and tests share it
        self._changes = Changes()  # anything recorded or queued: wakes wait_for
        bot_user = {
            "id": bot_id, "is_bot": True, "first_name": bot_name, "username": bot_username,
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        Records.__init__(self)
        BotApi.__init__(self, bot_user, strict_chats)
        Faults.__init__(self)
        UpdateQueue.__init__(self, max_poll_seconds)
        self.token = token  # None: accept any token
        self.record = record  # False: keep only failed calls in the log (benchmarks)
        self.flood_count = 0  # 429 answers given (scripted and enforced)
        LoopbackServer.__init__(self)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ------------------------------------------------------------------ lifecycle (LoopbackServer)

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{path:.*}", _not_found)
        return app

    async def _close_clients(self) -> None:
        await self._close_webhook()

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        if self.token is not None and token != self.token:
            return _json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        try:
            params = await _read_params(request)
        except ValueError as exc:
            return _error(ApiError(400, f"Bad Request: {exc}"))
        except ConnectionError:  # the client went away mid-request (a killed process): no one to answer
            return web.Response(status=400)
        try:
            result = await self._answer(method.lower(), params)
        except ApiError as exc:
            if exc.status == 429:
                self.flood_count += 1
            self._record(ApiCall(method, params, time.monotonic(), exc.status, None, exc.description))
            return _error(exc)
        self._record(ApiCall(method, params, time.monotonic(), 200, result))
        return _json(200, {"ok": True, "result": result})

    async def _answer(self, method: str, params: dict) -> Any:
        chat = params.get("chat_id")
        delay = self._scripted(method, chat)
        if method == "getupdates":
            return await self._get_updates(params)
        with self._lock:
            unknown = self.strict_chats and chat not in self._chats and method in CHAT_METHODS
            self._check_chat(method, chat, unknown=unknown)
            result = self._answer_method(method, params)
        if delay:
            # Processed, answered late: the message is in the chat even if the client gave up.
            await asyncio.sleep(delay)
        return result


async def _read_params(request: web.Request) -> dict[str, Any]:
    """The method's parameters from the query string and a JSON, form or multipart body
    (files in a multipart body are left out)."""
    params: dict[str, Any] = {}
    pairs: list[tuple[str, str]] = list(request.query.items())
    if request.content_type == "multipart/form-data":
        form = await request.post()
        pairs.extend((name, value) for name, value in form.items() if isinstance(value, str))
    elif body := await request.read():
        if request.content_type == "application/json":
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("parameters must be a JSON object")
            params.update(data)
            if "chat_id" in params:
                params["chat_id"] = chat_key(params["chat_id"])
        else:
            pairs.extend(parse_qsl(body.decode(), keep_blank_values=True))
    for name, value in pairs:
        params[name] = _decode(name, value)
    return params


def _decode(name: str, value: str) -> Any:
    if name in _RAW_FIELDS:
        return value
    if name in _CHAT_ID_FIELDS:
        return chat_key(value)
    try:
        return json.loads(value)
    except ValueError:
        return value


def _json(status: int, payload: dict) -> web.Response:
    return web.Response(status=status, body=json.dumps(payload, ensure_ascii=False).encode(), content_type="application/json")


def _error(error: ApiError) -> web.Response:
    return web.Response(status=error.status, body=error.body(), content_type=error.content_type)


async def _not_found(request: web.Request) -> web.Response:
    return _json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
