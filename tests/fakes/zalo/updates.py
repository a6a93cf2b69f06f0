"""Updates users cause, and the two ways they reach the bot: getUpdates, or a webhook.

getUpdates answers **one** update (there is no offset: handing it out is delivering it) or,
after waiting up to its ``timeout`` (bounded by ``max_poll_seconds``), error 408. While a
webhook is set it answers 400. setWebhook takes an https:// URL and a secret of 8 to 256
characters; the fake then POSTs each update, in order, to that URL's path on ``webhook_target``
(a loopback "host:port" the test gives, since nothing here reaches the internet), with the
``X-Bot-Api-Secret-Token`` header, bare or wrapped as ``{ok, result}`` (``wrap_webhook_bodies``).
A 2xx delivers it; anything else is retried shortly.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from tests.fakes.telegram.waiting import Changes
from tests.fakes.zalo.errors import ZaloApiError

SECRET_HEADER = "X-Bot-Api-Secret-Token"
TEXT, IMAGE, STICKER = "message.text.received", "message.image.received", "message.sticker.received"


@dataclass(frozen=True)
class Delivery:
    """One POST of an update to the webhook and its HTTP status (None: no answer)."""

    message_id: str
    status: int | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Updates:
    """Pending updates, long polling and webhook delivery (a FakeZalo part)."""

    _lock: threading.RLock
    _changes: Changes
    _stopping: bool
    _run_on_own_loop: Callable[[Coroutine], Future]  # the server's

    def __init__(self, max_poll_seconds: float) -> None:
        self.max_poll_seconds = max_poll_seconds
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_target: str | None = None  # "127.0.0.1:PORT": where webhook POSTs really go
        self.wrap_webhook_bodies = False
        self.deliveries: list[Delivery] = []
        self.polls_started = 0  # getUpdates calls received
        self._pending: list[dict] = []
        self._group_chats: set[str] = set()
        self._delivered: dict[str, int] = {}  # message id → polls_started when it was handed out
        self._ids = itertools.count(1)
        self._arrivals = Changes()
        self._webhook_task: asyncio.Task | None = None
        self._client: aiohttp.ClientSession | None = None

    # ------------------------------------------------------------------ what users do

    def push(self, chat_id: str, event: str = TEXT, *, text: str | None = None, user_id: str | None = None,
             chat_type: str = "PRIVATE", is_bot: bool | None = False, message_id: str | None = None) -> dict:
        """Queue an update of a user's message; returns it (``message_id`` may repeat one, as a
        resent update would)."""
        sender: dict[str, Any] = {"id": str(user_id or chat_id), "display_name": "Người dùng thử"}
        if is_bot is not None:
            sender["is_bot"] = is_bot
        message: dict[str, Any] = {
            "from": sender, "chat": {"id": str(chat_id), "chat_type": chat_type},
            "message_id": message_id or f"m{next(self._ids):06d}", "date": int(time.time() * 1000),
        }
        if text is not None:
            message["text"] = text
        if chat_type == "GROUP":
            with self._lock:
                self._group_chats.add(str(chat_id))
        return self.push_update({"event_name": event, "message": message})

    def push_update(self, update: dict) -> dict:
        with self._lock:
            self._pending.append(update)
        self._arrivals.notify()
        self._changes.notify()
        return update

    def delivered(self, update: dict) -> bool:
        """Whether getUpdates handed the update out or the webhook took it."""
        with self._lock:
            return update["message"]["message_id"] in self._delivered and update not in self._pending

    def polled_since(self, update: dict) -> bool:
        """Whether a getUpdates came after the one that handed ``update`` out: the bot has
        taken it in hand by then (it asks again only after that)."""
        with self._lock:
            taken_in = self._delivered.get(update["message"]["message_id"])
            return taken_in is not None and self.polls_started > taken_in

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def _take(self) -> dict | None:
        with self._lock:
            if not self._pending:
                return None
            update = self._pending.pop(0)
            self._delivered[update["message"]["message_id"]] = self.polls_started
        self._changes.notify()
        return update

    # ------------------------------------------------------------------ getUpdates

    async def _get_updates(self, params: dict) -> dict:
        if self.webhook_url:
            raise ZaloApiError(400, "Bad Request: webhook is set, getUpdates is not available")
        try:
            wait = max(0.0, min(float(params.get("timeout") or 30), self.max_poll_seconds))
        except (TypeError, ValueError):
            raise ZaloApiError(400, "Bad Request: timeout must be a number of seconds") from None
        with self._lock:
            self.polls_started += 1
        self._changes.notify()
        with contextlib.suppress(TimeoutError):
            await self._arrivals.wait_for(lambda: self._stopping or self.pending() or self.webhook_url, wait)
        update = None if self._stopping or self.webhook_url else self._take()
        if update is None:
            raise ZaloApiError(408, "Request timeout")
        return update

    # ------------------------------------------------------------------ webhook methods

    def _m_setWebhook(self, params: dict) -> dict:
        url, secret = str(params.get("url") or ""), params.get("secret_token")
        if urlsplit(url).scheme != "https" or not urlsplit(url).hostname:
            raise ZaloApiError(400, "Bad Request: url must be an HTTPS URL")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise ZaloApiError(400, "Bad Request: secret_token must have 8 to 256 characters")
        self.webhook_url, self.webhook_secret = url, secret
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver())
        self._arrivals.notify()
        return {"url": url, "updated_at": int(time.time() * 1000)}

    def _m_deleteWebhook(self, params: dict) -> dict:
        self.webhook_url, self.webhook_secret = "", None
        self._arrivals.notify()
        return {"url": "", "updated_at": int(time.time() * 1000)}

    def _m_getWebhookInfo(self, params: dict) -> dict:
        return {"url": self.webhook_url, "updated_at": int(time.time() * 1000)}

    # ------------------------------------------------------------------ webhook delivery

    def _target_of(self, url: str) -> str:
        if self.webhook_target is None:
            raise RuntimeError("set webhook_target (a 127.0.0.1:PORT) before the bot sets a webhook")
        return f"http://{self.webhook_target}{urlsplit(url).path or '/'}"

    async def _deliver(self) -> None:
        """While a webhook is set: POST the first pending update until it is taken, then the next."""
        while not self._stopping and self.webhook_url:
            with contextlib.suppress(TimeoutError):
                await self._arrivals.wait_for(lambda: self._stopping or not self.webhook_url or self.pending(), 60)
            with self._lock:
                update = self._pending[0] if self._pending and self.webhook_url and not self._stopping else None
            if update is None:
                continue
            status = await self._post(self._target_of(self.webhook_url), self.webhook_secret, update,
                                      wrapped=self.wrap_webhook_bodies)
            if status is not None and 200 <= status < 300:
                with self._lock:
                    if self._pending and self._pending[0] is update:
                        self._take()
            else:
                await asyncio.sleep(0.2)

    async def post_update(self, update: dict, *, secret: str | None, wrapped: bool = False,
                          body: bytes | None = None) -> int | None:
        """POST one update (or raw ``body``) to the webhook now, outside the queue, with ``secret``
        (None: no header); the HTTP status."""
        target = self._target_of(self.webhook_url or "https://127.0.0.1/")
        future = self._run_on_own_loop(self._post(target, secret, update, wrapped=wrapped, body=body))
        return await asyncio.wrap_future(future)

    async def _post(self, url: str, secret: str | None, update: dict, *, wrapped: bool,
                    body: bytes | None = None) -> int | None:
        if self._client is None:
            self._client = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        if body is None:
            body = json.dumps({"ok": True, "result": update} if wrapped else update, ensure_ascii=False).encode()
        status: int | None = None
        try:
            async with self._client.post(url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=10)) as answer:
                await answer.read()
                status = answer.status
        except (aiohttp.ClientError, TimeoutError):
            status = None
        with self._lock:
            self.deliveries.append(Delivery(update.get("message", {}).get("message_id", ""), status))
        self._changes.notify()
        return status

    def _wake_waiters(self) -> None:
        self._arrivals.notify()

    async def _close_clients(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

