"""A fake Zalo Bot API server on 127.0.0.1, for end-to-end tests.

A real HTTP server (aiohttp.web on its own thread and loop) that answers as Zalo does: HTTP 200
with ``ok: false`` errors, one update per getUpdates and 408 when none came, 400 from getUpdates
while a webhook is set, the 2,000-character cap on sendMessage, scripted 403 ("internal server
error") and 429 ("Quota exceeded"), and, when asked, echoes of the bot's own messages.

    zalo = FakeZalo().start()
    update = zalo.push("u1", text="tinh lam dong")   # a user writes (getUpdates or the webhook)
    await zalo.wait_sent("u1")
    zalo.fail(429, times=2)                          # the next two sendMessage: Quota exceeded
    zalo.stop()

The parts, one job each: ``bot_api`` (methods, faults, echoes), ``updates`` (what users send;
getUpdates and webhook delivery), ``records`` (what happened, and waiting on it), ``server``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.zalo.bot_api import DEFAULT_BOT_ID, MAX_TEXT_CHARS
from tests.fakes.zalo.records import SentMessage, ZaloCall
from tests.fakes.zalo.server import FakeZalo
from tests.fakes.zalo.updates import IMAGE, SECRET_HEADER, STICKER, TEXT

__all__ = ["DEFAULT_BOT_ID", "IMAGE", "MAX_TEXT_CHARS", "SECRET_HEADER", "STICKER", "TEXT", "FakeZalo",
           "SentMessage", "ZaloCall", "fake_zalo"]


@pytest.fixture
def fake_zalo() -> Iterator[FakeZalo]:
    """A running FakeZalo for one test."""
    with FakeZalo() as server:
        yield server
