"""Telegram's updates by webhook, served on the bot's own HTTP server (bot/web/server.py).

Telegram POSTs each update as JSON to ``webhook_url``, with the secret given to setWebhook in
the ``X-Telegram-Bot-Api-Secret-Token`` header. Every request's header is compared with the
secret in constant time; a wrong or missing one is refused with 403 and nothing else happens.
An accepted update becomes python-telegram-bot's ``Update`` (``Update.de_json``) and joins the
application's ``update_queue``, which the adapter's handlers drain exactly as in polling mode.
PTB's ``run_webhook`` is not used: it would own the event loop and a server of its own.

At start the adapter calls ``register`` (setWebhook with the URL, the secret and the update
kinds). At stop the webhook is left set: Telegram keeps the updates that arrive meanwhile and
delivers them once the bot listens again (a restart, or a crash, loses none); switching to
polling mode removes it, as python-telegram-bot's polling start deletes any webhook.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Sequence
from typing import NamedTuple
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.plural import counted
from bot.web.server import Route

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
REFUSAL_LOG_SECONDS = 60.0  # refused requests are logged once a minute at most, with a count


class WebhookSettings(NamedTuple):
    url: str  # public HTTPS URL; its path is the route served
    secret: str
    listen: str  # "host:port"


class TelegramWebhook:
    """The webhook endpoint of one Telegram bot; ``ready`` once the application runs."""

    def __init__(self, application: Application, *, url: str, secret: str, listen: str) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret (TELEGRAM_WEBHOOK_SECRET)")
        self.application = application
        self.url = url
        self.listen = listen
        self.path = urlsplit(url).path or "/"
        self._secret = secret.encode()
        self.ready = False  # before the application runs, Telegram is told to come back later
        self._refused = 0
        self._refusal_logged = float("-inf")

    def route(self) -> Route:
        return Route(self.listen, "POST", self.path, self.handle, "telegram-webhook",
                     "[telegram].webhook_listen")

    async def register(self, allowed_updates: Sequence[str]) -> None:
        """setWebhook: Telegram POSTs updates to ``url`` with the secret from now on."""
        await self.application.bot.set_webhook(
            url=self.url, secret_token=self._secret.decode(), allowed_updates=list(allowed_updates),
            drop_pending_updates=False,
        )
        log.info("telegram: webhook set to %s", self.url)

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            self._log_refusal(request, "no secret header" if not given else "wrong secret")
            return web.Response(status=403, text="forbidden\n")
        if not self.ready:
            return web.Response(status=503, text="starting\n")  # Telegram retries shortly
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, self.application.bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError) as exc:  # not JSON, or not an update's shape
            log.warning("telegram: webhook body is not an update: %s", exc)
            update = None
        if update is None:
            return web.Response(status=400, text="not a Telegram update\n")
        await self.application.update_queue.put(update)
        return web.Response(text="ok\n")

    def _log_refusal(self, request: web.Request, why: str) -> None:
        self._refused += 1
        now = time.monotonic()
        if now - self._refusal_logged >= REFUSAL_LOG_SECONDS:
            log.warning("telegram: webhook refused %s with 403 (%s, last from %s)",
                        counted(self._refused, "request"), why, request.remote)
            self._refusal_logged, self._refused = now, 0
