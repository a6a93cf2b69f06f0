"""Telegram's flood limits, enforced: sends beyond them answer 429 with a retry_after.

Each limit is a token bucket: one for the bot overall, one per chat (a private chat's rate, or
a group's per-minute rate), each with a burst. A send takes a token from both or is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tests.fakes.telegram.chats import chat_type_for
from tests.fakes.telegram.errors import ApiError

# The methods that count against the limits (edits and chat actions do not).
RATED_METHODS = frozenset(
    m.lower() for m in ("sendMessage", "sendPhoto", "sendDocument", "copyMessage", "forwardMessage")
)


@dataclass(frozen=True)
class RateLimits:
    """Telegram-like flood limits; exceeding one answers 429 with a retry_after."""

    global_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    group_per_minute: float | None = 20.0
    global_burst: float | None = None  # None: one second's worth


TELEGRAM_LIMITS = RateLimits()


class _Bucket:
    __slots__ = ("rate", "capacity", "tokens", "stamp")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate, self.capacity, self.tokens, self.stamp = rate, capacity, capacity, now

    def wait(self, now: float) -> float:
        """Seconds until a token is free (0: one is free now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class RateEnforcer:
    """The buckets of one set of limits (fresh ones for every ``enforce_rate_limits``)."""

    def __init__(self, limits: RateLimits, now: float) -> None:
        self.limits = limits
        burst = limits.global_burst or max(1.0, limits.global_per_second)
        self._overall = _Bucket(limits.global_per_second, burst, now)
        self._chats: dict[Any, _Bucket] = {}

    def take(self, chat: Any, now: float) -> None:
        """Count one send to ``chat``, or raise the 429 Telegram would answer."""
        bucket = self._chats.get(chat)
        if bucket is None:
            bucket = self._chats[chat] = self._chat_bucket(chat, now)
        wait = max(self._overall.wait(now), bucket.wait(now))
        if wait > 0:
            raise ApiError.make("flood", retry_after=max(1, math.ceil(wait)))
        self._overall.tokens -= 1
        bucket.tokens -= 1

    def _chat_bucket(self, chat: Any, now: float) -> _Bucket:
        limits, burst = self.limits, max(1, self.limits.per_chat_burst)
        if chat_type_for(chat) != "private" and limits.group_per_minute:
            return _Bucket(limits.group_per_minute / 60, burst, now)
        return _Bucket(limits.per_chat_per_second, burst, now)
