"""The fake's Bot API methods (getMe, sendMessage, sendChatAction) and what it can be told to
get wrong: scripted errors (403 server error, 429 quota, …) and echoes of the bot's own messages.

``sendMessage`` refuses what Zalo refuses: a chat_id that is not a string, and a text that is
not 1 to 2,000 characters. With ``echo`` set, every message the bot sends comes back as an
update from the bot itself ("is_bot": flagged ``is_bot``; "id": only the getMe id tells).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.zalo.errors import DESCRIPTIONS, ZaloApiError
from tests.fakes.zalo.records import SentMessage

MAX_TEXT_CHARS = 2000
DEFAULT_BOT_ID = "1459232241454765289"


@dataclass
class Rule:
    """The next ``times`` calls of ``method`` (to ``chat_id``, or any) answer ``error``."""

    method: str
    error: ZaloApiError
    times: int
    chat_id: str | None = None

    def matches(self, method: str, chat_id: Any) -> bool:
        return self.times > 0 and method == self.method and self.chat_id in (None, str(chat_id))


class BotApi:
    """Methods and faults (a FakeZalo part)."""

    _lock: threading.RLock
    _sent: list[SentMessage]
    _group_chats: set[str]
    push: Callable[..., dict]  # Updates.push

    def __init__(self, bot_id: str, account_name: str) -> None:
        self.bot_id = bot_id
        self.account_name = account_name
        self.echo: str | None = None  # None | "is_bot" | "id"
        self.echoes: list[dict] = []  # the updates echoing the bot's messages
        self._rules: list[Rule] = []
        self._message_ids = itertools.count(1)

    def fail(self, code: int, method: str = "sendMessage", *, times: int = 1, chat_id: str | None = None,
             description: str | None = None, http_status: int = 200, page: bytes | None = None) -> None:
        """The next ``times`` calls of ``method`` answer error ``code`` (or, with ``page``, that
        body with ``http_status``: a proxy's error page, not the Bot API's JSON)."""
        error = ZaloApiError(code, description or DESCRIPTIONS.get(code, "Error"), http_status=http_status, page=page)
        with self._lock:
            self._rules.append(Rule(method, error, times, chat_id))

    def _scripted(self, method: str, chat_id: Any) -> None:
        with self._lock:
            rule = next((r for r in self._rules if r.matches(method, chat_id)), None)
            if rule is not None:
                rule.times -= 1
        if rule is not None:
            raise rule.error

    def _m_getMe(self, params: dict) -> dict:
        return {"id": self.bot_id, "account_name": self.account_name, "account_type": "BASIC",
                "can_join_groups": False}

    def _chat_of(self, params: dict) -> str:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            raise ZaloApiError(400, "Bad Request: chat_id must be a non-empty string")
        return chat_id

    def _m_sendMessage(self, params: dict) -> dict:
        chat_id, text = self._chat_of(params), params.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT_CHARS:
            size = len(text) if isinstance(text, str) else "no"
            raise ZaloApiError(400, f"Bad Request: text must have 1 to {MAX_TEXT_CHARS} characters (got {size})")
        message = SentMessage(chat_id, f"bot{next(self._message_ids):08x}", text, int(time.time() * 1000))
        with self._lock:
            self._sent.append(message)
        if self.echo:
            echo = self.push(chat_id, text=text, user_id=self.bot_id, is_bot=True if self.echo == "is_bot" else None,
                             chat_type="GROUP" if chat_id in self._group_chats else "PRIVATE")
            with self._lock:
                self.echoes.append(echo)
        return {"message_id": message.message_id, "date": message.date}

    def _m_sendChatAction(self, params: dict) -> bool:
        self._chat_of(params)
        if params.get("action") != "typing":
            raise ZaloApiError(400, "Bad Request: action must be typing")
        return True

