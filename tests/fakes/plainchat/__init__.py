"""A loopback fake of a small plain-text chat API: the second messenger of issue 8's proof.

It has what a Zalo-like messenger has and no more: text only (at most 2,000 characters), no
buttons, no edits, a long-polled ``getUpdates`` and ``sendMessage``. ``tests/plain_messenger.py``
is the adapter; together they show that a messenger is an adapter and a profile away.

    async with FakePlainChat(token="t") as fake:
        fake.push("u1", "/tinh")
        await fake.wait_for(lambda: fake.sent("u1"))
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

from aiohttp import web

MAX_TEXT = 2000


class FakePlainChat:
    """The fake API server, in the test's event loop, on 127.0.0.1 and an ephemeral port."""

    def __init__(self, token: str, *, max_poll_seconds: float = 1.0) -> None:
        self.token = token
        self.max_poll_seconds = max_poll_seconds
        self.messages: list[dict[str, Any]] = []  # what the bot sent: {chat_id, text, message_id}
        self.refused: list[dict[str, Any]] = []  # sends answered with an error
        self.failing: dict[str, int] = {}  # chat id → how many sends to refuse with a 502
        self._updates: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def __aenter__(self) -> FakePlainChat:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._call)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - aiohttp has no public getter
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ the API

    async def _call(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "description": "Unauthorized"}, status=401)
        params = await request.json() if request.can_read_body else {}
        method = request.match_info["method"]
        if method == "getMe":
            return _ok({"id": "bot", "name": "diemtin"})
        if method == "getUpdates":
            return _ok(await self._get_updates(float(params.get("timeout", 0))))
        if method == "sendMessage":
            return await self._send(params)
        return web.json_response({"ok": False, "description": f"no method {method}"}, status=404)

    async def _get_updates(self, timeout: float) -> list[dict[str, Any]]:
        async with self._changed:
            if not self._updates:
                try:
                    await asyncio.wait_for(self._changed.wait(), min(timeout, self.max_poll_seconds))
                except TimeoutError:
                    return []
            found, self._updates = self._updates, []
            return found

    async def _send(self, params: dict[str, Any]) -> web.Response:
        chat, text = str(params.get("chat_id")), params.get("text")
        if self.failing.get(chat):
            self.failing[chat] -= 1
            self.refused.append(params)
            return web.Response(status=502, text="<html>502 Bad Gateway</html>", content_type="text/html")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT:
            self.refused.append(params)
            return web.json_response({"ok": False, "description": "text must be 1-2000 characters"}, status=400)
        message = {"chat_id": chat, "text": text, "message_id": next(self._ids)}
        await self._record(message)
        return _ok({"message_id": message["message_id"]})

    async def _record(self, message: dict[str, Any]) -> None:
        async with self._changed:
            self.messages.append(message)
            self._changed.notify_all()

    # ------------------------------------------------------------------ for tests

    async def push(self, chat_id: str, text: str, *, user_id: str | None = None, chat_kind: str = "private") -> None:
        """A user writes to the bot."""
        async with self._changed:
            self._updates.append({"update_id": next(self._ids), "chat_id": chat_id, "chat_kind": chat_kind,
                                  "user_id": user_id or chat_id, "text": text})
            self._changed.notify_all()

    def sent(self, chat_id: str) -> list[str]:
        return [m["text"] for m in self.messages if m["chat_id"] == chat_id]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
        return predicate()


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})
