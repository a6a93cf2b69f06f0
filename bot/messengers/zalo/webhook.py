"""Zalo's webhook: the HTTP handler Zalo POSTs each update to.

The ``X-Bot-Api-Secret-Token`` header must equal the secret given to setWebhook (compared in
constant time): without it the answer is 401, with a wrong one 403, and nothing is read or
changed. The body may be the bare update or ``{ok, result}``. The update is handled before the
answer, so a 200 means its replies are queued; a retry of the same update is dropped as a repeat.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.messengers.zalo.updates import unwrap
from bot.web.server import Handler

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"


def webhook_handler(secret: str, process: Callable[[Any], Awaitable[None]]) -> Handler:
    """The aiohttp handler for the webhook's path; ``process`` takes one update."""
    expected = secret.encode()

    async def handle(request: web.Request) -> web.StreamResponse:
        given = request.headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode(), expected):
            log.warning("zalo: webhook request from %s refused: %s secret", request.remote,
                        "no" if given is None else "wrong")
            return web.json_response({"ok": False}, status=401 if given is None else 403)
        try:
            body = json.loads(await request.read())
        except ValueError:  # also bad UTF-8
            log.warning("zalo: webhook body is not JSON; ignored")
            return web.json_response({"ok": False}, status=400)
        try:
            await process(unwrap(body))
        except Exception:  # noqa: BLE001 - Zalo retries a failed delivery; say so in one log entry
            log.exception("zalo: a webhook update failed")
            return web.json_response({"ok": False}, status=500)
        return web.json_response({"ok": True})

    return handle
