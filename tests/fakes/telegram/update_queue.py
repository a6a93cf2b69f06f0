"""Pending updates and the two ways they reach the bot: getUpdates, or a webhook.

Updates wait in order until the bot confirms them. Long polling confirms by a later
``offset``. With a webhook set (setWebhook), the fake POSTs each update as JSON to the URL,
one at a time and in order, with the ``X-Telegram-Bot-Api-Secret-Token`` header when a
secret was set; a 2xx answer confirms it, anything else is remembered as the webhook's last
error (getWebhookInfo) and retried shortly. While a webhook is set, getUpdates answers 409, as
Telegram does. Deliveries go only to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from tests.fakes.telegram.errors import WEBHOOK_ACTIVE, ApiError
from tests.fakes.telegram.waiting import Changes

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Update kinds Telegram leaves out unless allowed_updates asks for them.
_OPT_IN_KINDS = ("chat_member", "message_reaction")


@dataclass
class WebhookSettings:
    """What setWebhook set; an empty ``url`` means no webhook (updates wait for getUpdates)."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(frozen=True)
class WebhookDelivery:
    """One POST of an update to a webhook, and how it was answered."""

    update_id: int
    url: str
    status: int | None  # None: no HTTP answer (refused, timed out)
    error: str | None
    at: float  # time.monotonic()

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class UpdateQueue:
    """The pending updates, getUpdates long polling and webhook delivery (a FakeTelegram part)."""

    _lock: threading.RLock
    _changes: Changes
    _stopping: bool
    _run_on_own_loop: Callable[[Coroutine], Future]

    def __init__(self, max_poll_seconds: float) -> None:
        self.max_poll_seconds = max_poll_seconds  # the longest a getUpdates waits, whatever it asks
        self.waiting_polls = 0  # getUpdates calls waiting for an update right now
        self.webhook = WebhookSettings()
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.webhook_retry_seconds = 0.2  # after a failed delivery, before the next attempt
        self.webhook_timeout_seconds = 10.0  # the longest the fake waits for a webhook's answer
        self._updates: list[dict] = []
        self._update_ids = itertools.count(10001)
        self._confirmed_below = 0
        self._allowed_updates: list[str] | None = None
        self._arrivals = Changes()  # a new update, a webhook change, or stopping
        self._webhook_task: asyncio.Task | None = None
        self._webhook_client: aiohttp.ClientSession | None = None

    # ------------------------------------------------------------------ the queue

    def push_update(self, update: dict) -> dict:
        """Queue a raw update (its update_id is assigned here); returns it."""
        with self._lock:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
        self._arrivals.notify()
        self._changes.notify()
        return update

    def pending_updates(self) -> int:
        with self._lock:
            return len(self._updates)

    def confirmed(self, update_id: int) -> bool:
        """Whether the bot has confirmed the update (a later getUpdates offset, or a webhook 2xx)."""
        with self._lock:
            return self._confirmed_below > update_id

    def _deliverable(self, limit: int) -> list[dict]:
        with self._lock:
            return [u for u in self._updates if self._allowed(u)][:limit]

    def _allowed(self, update: dict) -> bool:
        if not self._allowed_updates:
            return not any(kind in update for kind in _OPT_IN_KINDS)
        return any(kind in update for kind in self._allowed_updates)

    def _confirm_below(self, update_id: int) -> None:
        with self._lock:
            self._confirmed_below = max(self._confirmed_below, update_id)
            self._updates = [u for u in self._updates if u["update_id"] >= update_id]

    def _remember_allowed(self, allowed: Any) -> None:
        if isinstance(allowed, list) and allowed:
            self._allowed_updates = allowed

    def _wake_waiters(self) -> None:
        """Long polls and the webhook look again (called when the server stops)."""
        self._arrivals.notify()

    # ------------------------------------------------------------------ getUpdates

    async def _get_updates(self, params: dict) -> list[dict]:
        """getUpdates: waits (bounded by ``max_poll_seconds``) until an update is pending."""
        if self.webhook.url:
            raise ApiError(409, WEBHOOK_ACTIVE)
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        wait = max(0.0, min(float(params.get("timeout") or 0), self.max_poll_seconds))
        with self._lock:
            self._remember_allowed(params.get("allowed_updates"))
        if offset > 0:
            self._confirm_below(offset)
        found = self._deliverable(limit)
        if found or wait <= 0 or self._stopping:
            return found
        self.waiting_polls += 1
        self._changes.notify()
        try:
            with contextlib.suppress(TimeoutError):
                await self._arrivals.wait_for(lambda: self._stopping or self._deliverable(limit), wait)
        finally:
            self.waiting_polls -= 1
        return [] if self._stopping else self._deliverable(limit)

    # ------------------------------------------------------------------ webhook methods

    def _m_setwebhook(self, params: dict) -> bool:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        max_connections = int(params.get("max_connections") or 40)
        if url:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or parts.hostname != "127.0.0.1":
                raise ApiError(400, "Bad Request: bad webhook: this fake delivers to http(s)://127.0.0.1 only")
        if secret is not None and not _SECRET.fullmatch(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if not 1 <= max_connections <= 100:
            raise ApiError(400, "Bad Request: bad webhook: max_connections must be between 1 and 100")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._remember_allowed(params.get("allowed_updates"))
        self.webhook = WebhookSettings(url, str(secret) if url and secret else None, max_connections)
        if url and (self._webhook_task is None or self._webhook_task.done()):
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_to_webhook())
        self._arrivals.notify()
        return True

    def _m_deletewebhook(self, params: dict) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = WebhookSettings()
        self._arrivals.notify()
        return True

    def _m_getwebhookinfo(self, params: dict) -> dict:
        hook = self.webhook
        info: dict[str, Any] = {"url": hook.url, "has_custom_certificate": False, "pending_update_count": len(self._updates)}
        if hook.url:
            info["max_connections"] = hook.max_connections
        if self._allowed_updates:
            info["allowed_updates"] = list(self._allowed_updates)
        if hook.last_error_date is not None:
            info.update(last_error_date=hook.last_error_date, last_error_message=hook.last_error_message)
        return info

    # ------------------------------------------------------------------ webhook delivery

    async def post_update(self, update: dict, *, url: str | None = None, secret_token: str | None = None) -> WebhookDelivery:
        """POST one update to a webhook now, outside the queue: by default to the URL and with
        the secret setWebhook set; ``secret_token=""`` sends no secret header. An update
        without an ``update_id`` gets the next one."""
        with self._lock:
            if "update_id" not in update:
                update = {"update_id": next(self._update_ids), **update}
            target = url if url is not None else self.webhook.url
            secret = self.webhook.secret_token if secret_token is None else secret_token
        if not target:
            raise ValueError("no webhook set and no url given")
        return await asyncio.wrap_future(self._run_on_own_loop(self._post(target, secret, update)))

    async def _deliver_to_webhook(self) -> None:
        """While a webhook is set: deliver the first pending update, until confirmed, then the next."""
        while True:
            with contextlib.suppress(TimeoutError):
                await self._arrivals.wait_for(lambda: self._stopping or not self.webhook.url or self._deliverable(1), 60)
            with self._lock:
                hook, pending = self.webhook, self._deliverable(1)
            if self._stopping or not hook.url:
                return
            if not pending:
                continue
            delivery = await self._post(hook.url, hook.secret_token, pending[0])
            if delivery.ok:
                self._confirm_below(delivery.update_id + 1)
                continue
            with self._lock:
                hook.last_error_date, hook.last_error_message = int(time.time()), delivery.error
            await asyncio.sleep(self.webhook_retry_seconds)

    async def _post(self, url: str, secret: str | None, update: dict) -> WebhookDelivery:
        if self._webhook_client is None:
            self._webhook_client = aiohttp.ClientSession()
        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout_seconds)
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[SECRET_HEADER] = secret
        status: int | None = None
        try:
            body = json.dumps(update, ensure_ascii=False).encode()
            async with self._webhook_client.post(url, data=body, headers=headers, timeout=timeout) as response:
                await response.read()
                status = response.status
                error = None if 200 <= status < 300 else f"Wrong response from the webhook: {status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"Connection failed: {type(exc).__name__}"
        delivery = WebhookDelivery(update["update_id"], url, status, error, time.monotonic())
        with self._lock:
            self.webhook_deliveries.append(delivery)
        self._changes.notify()
        return delivery

    async def _close_webhook(self) -> None:
        if self._webhook_client is not None:
            await self._webhook_client.close()
            self._webhook_client = None
