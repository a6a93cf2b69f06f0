"""Zalo's sender: an outbox payload or a command reply as one ``sendMessage``.

Zalo's errors map onto the delivery worker's as follows. 429 "Quota exceeded" has no
``retry_after``: all sending to Zalo pauses for ``quota_pause`` seconds, doubling while 429s go
on and back to the start after a send goes through. 403 is Zalo's internal server error, so it is
retried like a timeout or a 5xx — never read as "the user blocked the bot". 400 and 404 refuse
that one message (it is logged, the chat stays active): Zalo documents no error that means the
user is gone, and a wrong guess would silently stop someone's news.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot.delivery.senders import RateLimited, Rejected, SendError, Transient
from bot.messengers.zalo.api import (
    BAD_REQUEST,
    NOT_FOUND,
    QUOTA,
    SERVER_ERROR,
    ZaloApiError,
    ZaloBotApi,
    ZaloUnreachable,
)

MAX_MESSAGE_CHARS = 2000  # sendMessage's text: 1 to 2,000 characters
QUOTA_PAUSE_SECONDS = 10.0
QUOTA_PAUSE_MAX_SECONDS = 300.0


class ZaloSender:
    """Sends plain-text payloads with a ``ZaloBotApi``."""

    def __init__(self, api: ZaloBotApi, *, quota_pause: float = QUOTA_PAUSE_SECONDS,
                 quota_pause_max: float = QUOTA_PAUSE_MAX_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.api = api
        self.clock = clock
        self._first_pause = quota_pause
        self._pause_max = max(quota_pause, quota_pause_max)
        self._pause = quota_pause
        self._quiet_until = 0.0  # monotonic end of the current quota pause

    async def send(self, chat_id: str, payload: dict[str, Any]) -> str:
        text = payload["text"]
        if not text.strip() or len(text) > MAX_MESSAGE_CHARS:
            raise Rejected(f"a Zalo message must have 1 to {MAX_MESSAGE_CHARS} characters, not {len(text)}")
        try:
            result = await self.api.call("sendMessage", {"chat_id": str(chat_id), "text": text})
        except ZaloApiError as exc:
            raise self._send_error(exc) from None
        except ZaloUnreachable as exc:
            raise Transient(str(exc)) from None
        if self.clock() >= self._quiet_until:
            self._pause = self._first_pause  # the quota is back
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return str(message_id or "")

    def _send_error(self, exc: ZaloApiError) -> SendError:
        if exc.code == QUOTA:
            return RateLimited(self._quota_pause())
        if exc.code in (BAD_REQUEST, NOT_FOUND):
            return Rejected(f"Zalo refused the message: {exc}")
        if exc.code == SERVER_ERROR:
            return Transient(f"Zalo server error: {exc}")
        return Transient(f"Zalo: {exc}")  # 401 (token revoked while running), 408, 5xx …

    def _quota_pause(self) -> float:
        """How long to pause for a 429; a send that left before the pause began adds nothing."""
        now = self.clock()
        if now < self._quiet_until:
            return self._quiet_until - now
        pause = self._pause
        self._pause = min(pause * 2, self._pause_max)
        self._quiet_until = now + pause
        return pause
