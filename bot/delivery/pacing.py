"""Our own flood control: token buckets for one messenger, each private chat and each group.

Each messenger has its own pacer with its own limits (its config's ``[<name>.limits]``): at most
``global_per_second`` overall, ``private_per_second`` per private chat (a small burst allowed)
and ``group_per_minute`` per group or channel, plus a pause of all sending to that messenger
when it answers 429 anyway — a 429 from one messenger never pauses another.
(python-telegram-bot's AIORateLimiter does not pace private chats and re-raises RetryAfter.)

Telegram measures when a request *arrives*; we measure when it leaves. To absorb network
jitter, a chat's bucket keeps one token of the configured burst in reserve, and the global
bucket allows a burst of a fifth of a second's worth only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

from bot.config import RateLimits

PRIVATE = "private"


class TokenBucket:
    __slots__ = ("rate", "capacity", "tokens", "stamp")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def ready_at(self, now: float) -> float:
        """When one token is available (``now`` when it already is)."""
        self._refill(now)
        return now if self.tokens >= 1 else now + (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.capacity


class Pacer:
    """When may the next message to a chat leave? ``clock`` is monotonic seconds."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        now = clock()
        rate = limits.global_per_second
        self._global = TokenBucket(rate, max(1.0, rate / 5), now)
        self._chats: dict[Hashable, TokenBucket] = {}
        self._throttled: dict[Hashable, float] = {}  # chat → when its bucket has a token again
        self.paused_until = 0.0
        self._last_prune = now

    def _bucket(self, chat: Hashable, chat_kind: str, now: float) -> TokenBucket:
        bucket = self._chats.get(chat)
        if bucket is None:
            burst = max(1, self.limits.private_burst - 1)
            if chat_kind == PRIVATE:
                bucket = TokenBucket(self.limits.private_per_second, burst, now)
            else:
                bucket = TokenBucket(self.limits.group_per_minute / 60.0, burst, now)
            self._chats[chat] = bucket
        return bucket

    def chat_ready_at(self, chat: Hashable, chat_kind: str, now: float | None = None) -> float:
        """When the chat's own limit allows its next message (ignoring the global one)."""
        now = self.clock() if now is None else now
        bucket = self._chats.get(chat)
        return now if bucket is None else bucket.ready_at(now)

    def global_ready_at(self, now: float | None = None) -> float:
        """When the global limit and any 429 pause allow the next message."""
        now = self.clock() if now is None else now
        return max(self.paused_until, self._global.ready_at(now))

    def take(self, chat: Hashable, chat_kind: str, now: float | None = None) -> None:
        """One message leaves now."""
        now = self.clock() if now is None else now
        self._global.take(now)
        bucket = self._bucket(chat, chat_kind, now)
        bucket.take(now)
        ready = bucket.ready_at(now)
        if ready > now:
            self._throttled[chat] = ready

    def pause(self, seconds: float, now: float | None = None) -> None:
        """Telegram said 429 retry_after: nothing leaves for that long."""
        now = self.clock() if now is None else now
        self.paused_until = max(self.paused_until, now + seconds)

    def throttled(self, now: float | None = None) -> list[Hashable]:
        """Chats whose own limit does not allow a message now."""
        now = self.clock() if now is None else now
        self.prune(now)
        self._throttled = {ref: at for ref, at in self._throttled.items() if at > now}
        return list(self._throttled)

    def prune(self, now: float) -> None:
        """Forget chats whose bucket is full again (they behave as new): bounded memory."""
        if now - self._last_prune < 5 and len(self._chats) < 50_000:
            return
        self._last_prune = now
        self._chats = {ref: b for ref, b in self._chats.items() if not b.full(now)}
