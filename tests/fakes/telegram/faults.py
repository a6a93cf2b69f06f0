"""What the fake can be scripted to get wrong, the way Telegram does.

- ``fail``: the next matching requests answer an error (429 with retry_after, 403 blocked,
  400 migrate_to_chat_id, an HTML 502 page, ...);
- ``delay``: matching requests are processed at once but answered late (a slow network);
- ``outage``: for a span of seconds every method (or the ones named) answers an HTML 502;
- ``block`` / ``remove_chat`` / ``upgrade_chat``: a chat's lasting state (403, chat not found,
  migrated to a supergroup);
- ``enforce_rate_limits``: Telegram's flood limits, answered with 429 (see limits.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tests.fakes.telegram.chats import chat_key, chat_type_for, optional_chat
from tests.fakes.telegram.errors import ApiError
from tests.fakes.telegram.limits import RATED_METHODS, TELEGRAM_LIMITS, RateEnforcer, RateLimits

# Methods that put something in a chat: the ones scripted faults and blocks act on by default.
SEND_METHODS = frozenset(
    m.lower()
    for m in (
        "sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto", "sendDocument",
        "copyMessage", "forwardMessage", "sendChatAction", "deleteMessage", "pinChatMessage",
    )
)
# Methods about one chat: the ones a missing or migrated chat refuses.
CHAT_METHODS = SEND_METHODS | {"getchat", "getchatmember", "leavechat"}


@dataclass
class Rule:
    """A scripted behaviour for matching requests: an error, or a late answer."""

    error: ApiError | None
    delay: float = 0.0
    chat_id: int | str | None = None  # None: every chat
    methods: frozenset[str] | None = SEND_METHODS  # lower-case; None: every method
    remaining: int | None = 1  # None: no count
    until: float | None = None  # a time.monotonic() when the rule ends; None: no end
    hits: int = 0

    def matches(self, method: str, chat_id: Any, now: float) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.until is not None and now >= self.until:
            return False
        if self.methods is not None and method not in self.methods:
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def use(self) -> None:
        self.hits += 1
        if self.remaining is not None:
            self.remaining -= 1


class Faults:
    """Scripted errors, delays and outages, chat states, rate limits (a FakeTelegram part)."""

    _lock: threading.RLock

    def __init__(self) -> None:
        self._rules: list[Rule] = []
        self._blocked: set[Any] = set()
        self._missing: set[Any] = set()
        self._migrated: dict[Any, int] = {}
        self._rate: RateEnforcer | None = None

    # ------------------------------------------------------------------ scripting

    def fail(
        self,
        kind: str | ApiError,
        *,
        chat_id: int | str | None = None,
        times: int | None = 1,
        methods: Iterable[str] | None = None,
        retry_after: int = 1,
        migrate_to: int | None = None,
        description: str | None = None,
    ) -> Rule:
        """Answer the next ``times`` matching requests (None: all) with an error.

        kind: a name ``ApiError.make`` knows ("flood", "blocked", "migrated", "bad_gateway", ...)
        or an ApiError. ``methods`` default: every send method.
        """
        error = kind if isinstance(kind, ApiError) else ApiError.make(kind, retry_after=retry_after, migrate_to=migrate_to, description=description)
        return self._add_rule(Rule(error, 0.0, optional_chat(chat_id), _methods(methods), times))

    def delay(self, seconds: float, *, chat_id: int | str | None = None, times: int | None = None, methods: Iterable[str] | None = None) -> Rule:
        """Answer matching requests ``seconds`` late (they are processed at once, like a slow network)."""
        return self._add_rule(Rule(None, seconds, optional_chat(chat_id), _methods(methods), times))

    def outage(self, seconds: float, *, methods: Iterable[str] | None = None) -> Rule:
        """For the next ``seconds``, every method (or those named) answers 502 with an HTML page;
        then the API recovers by itself. ``clear_rules`` ends it early."""
        methods = None if methods is None else _methods(methods)
        until = time.monotonic() + seconds
        return self._add_rule(Rule(ApiError.make("bad_gateway"), 0.0, None, methods, None, until))

    def _add_rule(self, rule: Rule) -> Rule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear_rules(self) -> None:
        with self._lock:
            self._rules.clear()

    def block(self, chat_id: int | str) -> None:
        """The user blocked the bot (or kicked it from a group): every send answers 403."""
        with self._lock:
            self._blocked.add(chat_key(chat_id))

    def unblock(self, chat_id: int | str) -> None:
        with self._lock:
            self._blocked.discard(chat_key(chat_id))

    def remove_chat(self, chat_id: int | str) -> None:
        """The chat is gone: every call about it answers 400 chat not found."""
        with self._lock:
            self._missing.add(chat_key(chat_id))

    def upgrade_chat(self, old_chat_id: int | str, new_chat_id: int) -> None:
        """Calls to the old id answer 400 with migrate_to_chat_id from now on."""
        with self._lock:
            self._migrated[chat_key(old_chat_id)] = int(new_chat_id)

    def enforce_rate_limits(self, limits: RateLimits | None = TELEGRAM_LIMITS) -> None:
        """Refuse sends beyond Telegram's limits with 429 (``None`` switches it off)."""
        with self._lock:
            self._rate = None if limits is None else RateEnforcer(limits, time.monotonic())

    # ------------------------------------------------------------------ applied to a request

    def _scripted(self, method: str, chat: Any) -> float:
        """Raise the first matching rule's error; else the longest matching delay (seconds)."""
        delay, now = 0.0, time.monotonic()
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, chat, now):
                    rule.use()
                    if rule.error is not None:
                        raise rule.error
                    delay = max(delay, rule.delay)
        return delay

    def _check_chat(self, method: str, chat: Any, *, unknown: bool) -> None:
        """The chat's lasting state and the rate limits, for a call about it (caller holds the
        lock); ``unknown``: the chat counts as missing (never seen, with strict_chats)."""
        if chat is None:
            return
        if method in CHAT_METHODS:
            if chat in self._migrated:
                raise ApiError.make("migrated", migrate_to=self._migrated[chat])
            if chat in self._missing or unknown:
                raise ApiError.make("chat_not_found")
            if chat in self._blocked and method in SEND_METHODS:
                raise ApiError.make("blocked" if chat_type_for(chat) == "private" else "kicked")
        if self._rate is not None and method in RATED_METHODS:
            self._rate.take(chat, time.monotonic())


def _methods(methods: Iterable[str] | None) -> frozenset[str]:
    return SEND_METHODS if methods is None else frozenset(m.lower() for m in methods)
