"""A fake Telegram Bot API server on 127.0.0.1, for end-to-end tests and benchmarks.

A real HTTP server (aiohttp.web on its own thread and event loop), so python-telegram-bot
talks to it through its own HTTP stack: ``Bot(token, base_url=server.base_url)``. It keeps
what a user would see (messages per chat, edits, button answers), refuses what Telegram
refuses (HTML entities, 4,096 UTF-16 units, 64-byte callback data, ...) and can be scripted
to fail (429, 403, 400 chat not found or migrated, HTML 502 pages, slow answers, outages,
Telegram's flood limits). Updates reach the bot by getUpdates or, once it sets one, a webhook.

    server = FakeTelegram().start()
    server.push_message(42, "/start")                  # queued for getUpdates (or the webhook)
    await server.wait_sent(42)                         # event-driven, bounded
    assert "Chào" in server.sent(42)[0]
    server.fail("flood", retry_after=3, times=2)       # the next two sends answer 429
    server.outage(60, methods=["sendMessage"])         # 502 pages for a minute, then recovery
    server.stop()

The parts, one job each: ``api`` (Bot API methods and their state), ``html_check`` (message
text as Telegram checks it), ``faults`` (scripted errors, delays, outages, chat states),
``limits`` (flood limits), ``update_queue`` (getUpdates and webhook delivery),
``user_actions`` (the updates users cause), ``records`` (what happened, and waiting on it),
``server`` (HTTP and lifecycle).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.telegram.chats import (
    ANONYMOUS_ADMIN_ID,
    DEFAULT_BOT_ID,
    DEFAULT_BOT_USERNAME,
    DEFAULT_GROUP_USER,
    MEMBER_STATUSES,
    SERVICE_USER_ID,
    chat_key,
    chat_type_for,
)
from tests.fakes.telegram.errors import ApiError
from tests.fakes.telegram.faults import SEND_METHODS, Rule
from tests.fakes.telegram.html_check import MAX_TEXT_UTF16, html_to_text, utf16_len
from tests.fakes.telegram.limits import TELEGRAM_LIMITS, RateLimits
from tests.fakes.telegram.records import ApiCall, Message
from tests.fakes.telegram.server import FakeTelegram
from tests.fakes.telegram.update_queue import SECRET_HEADER, WebhookDelivery, WebhookSettings

__all__ = [
    "ANONYMOUS_ADMIN_ID", "DEFAULT_BOT_ID", "DEFAULT_BOT_USERNAME", "DEFAULT_GROUP_USER",
    "MAX_TEXT_UTF16", "MEMBER_STATUSES", "SECRET_HEADER", "SEND_METHODS", "SERVICE_USER_ID",
    "TELEGRAM_LIMITS", "ApiCall", "ApiError", "FakeTelegram", "Message", "RateLimits", "Rule",
    "WebhookDelivery", "WebhookSettings", "chat_key", "chat_type_for", "fake_telegram",
    "html_to_text", "utf16_len",
]


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A running FakeTelegram for one test (works in sync and async tests)."""
    server = FakeTelegram().start()
    try:
        yield server
    finally:
        server.stop()
