"""What the fake keeps of what happened, and the queries and waits tests read it with.

Every request is an ``ApiCall`` (with ``record=False`` only the failed ones, for benchmarks);
every message the bot sent is a ``Message`` in its current state, edits applied.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.telegram.chats import chat_key, optional_chat
from tests.fakes.telegram.waiting import Changes


@dataclass
class ApiCall:
    """One request as the server saw it, with its outcome."""

    method: str  # as sent (PTB: camelCase)
    params: dict[str, Any]
    at: float  # time.monotonic() when answered
    status: int = 200
    result: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> int | str | None:
        return self.params.get("chat_id")


@dataclass
class Message:
    """A message the bot sent, in its current state (edits applied)."""

    chat_id: int | str
    message_id: int
    html: str  # the text as sent (HTML when parse_mode is HTML)
    text: str  # what the user reads: entities parsed, tags gone
    parse_mode: str | None = None
    reply_markup: dict | None = None
    date: int = 0
    edits: int = 0
    editable: bool = True
    params: dict = field(default_factory=dict, repr=False)

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Inline keyboard rows as (text, callback_data or url)."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [[(b.get("text", ""), b.get("callback_data", b.get("url"))) for b in row] for row in rows]

    def button_data(self, label_part: str | None = None) -> list[str]:
        """Callback data of every button (or of those whose text contains ``label_part``)."""
        return [
            data
            for row in self.buttons
            for text, data in row
            if data is not None and (label_part is None or label_part.casefold() in text.casefold())
        ]


class Records:
    """The call log and the sent messages, with the queries and waits on them (a FakeTelegram part)."""

    record: bool
    _lock: threading.RLock
    _changes: Changes
    _run_on_own_loop: Callable[[Coroutine], Future]

    def __init__(self) -> None:
        self._calls: list[ApiCall] = []
        self._sent: list[Message] = []  # successful sendMessage, in order
        self._messages: dict[tuple[Any, int], Message] = {}

    def _record(self, call: ApiCall) -> None:
        if self.record or not call.ok:
            with self._lock:
                self._calls.append(call)
        self._changes.notify()

    def clear(self) -> None:
        """Forget recorded calls and messages (not chats, rules or pending updates)."""
        with self._lock:
            self._calls.clear()
            self._sent.clear()
            self._messages.clear()

    # ------------------------------------------------------------------ queries

    def mark(self) -> int:
        """A position in the call log, for ``calls_since`` / ``wait_call(since=...)``."""
        with self._lock:
            return len(self._calls)

    def calls_since(self, mark: int, method: str | None = None, *, chat_id: int | str | None = None, ok: bool | None = None) -> list[ApiCall]:
        with self._lock:
            calls = self._calls[mark:]
        lower, chat = (method.lower() if method else None), optional_chat(chat_id)
        return [
            c for c in calls
            if (lower is None or c.method.lower() == lower)
            and (chat is None or c.chat_id == chat)
            and (ok is None or c.ok == ok)
        ]

    def requests(self, method: str | None = None, *, chat_id: int | str | None = None, ok: bool | None = None) -> list[ApiCall]:
        """Every recorded call, optionally of one method, to one chat, by outcome."""
        return self.calls_since(0, method, chat_id=chat_id, ok=ok)

    def edits(self, chat_id: int | str | None = None) -> list[ApiCall]:
        return self.requests("editMessageText", chat_id=chat_id, ok=True)

    def callback_answer(self, query: str | dict) -> ApiCall | None:
        """The successful answerCallbackQuery for a pressed button (query id or its update), if any."""
        query_id = query["callback_query"]["id"] if isinstance(query, dict) else query
        for call in self.requests("answerCallbackQuery", ok=True):
            if call.params.get("callback_query_id") == query_id:
                return call
        return None

    def sent_messages(self, chat_id: int | str | None = None) -> list[Message]:
        """Messages the bot sent (current state, edits applied), oldest first."""
        chat = optional_chat(chat_id)
        with self._lock:
            return [m for m in self._sent if chat is None or m.chat_id == chat]

    def sent(self, chat_id: int | str | None = None) -> list[str]:
        """The texts (as the user reads them) of every message sent, oldest first."""
        return [m.text for m in self.sent_messages(chat_id)]

    def last_message(self, chat_id: int | str) -> Message | None:
        messages = self.sent_messages(chat_id)
        return messages[-1] if messages else None

    def message(self, chat_id: int | str, message_id: int) -> Message | None:
        with self._lock:
            return self._messages.get((chat_key(chat_id), message_id))

    # ------------------------------------------------------------------ waiting

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, *, what: str = "") -> Any:
        """Wait (event-driven) until ``predicate()`` is truthy; returns its value, or raises TimeoutError."""
        try:
            return await self._changes.wait_for(predicate, timeout)
        except TimeoutError:
            raise TimeoutError(f"fake telegram: timed out waiting for {what or predicate!r}; last calls: {self._tail()}") from None

    def wait_for_blocking(self, predicate: Callable[[], Any], timeout: float = 5.0, *, what: str = "") -> Any:
        """``wait_for`` from code without an event loop: the wait runs on the fake's own loop."""
        return self._run_on_own_loop(self.wait_for(predicate, timeout, what=what)).result()

    async def wait_sent(self, chat_id: int | str, count: int = 1, timeout: float = 5.0) -> list[str]:
        """Wait until ``count`` messages were sent to the chat; returns all its texts."""
        await self.wait_for(lambda: len(self.sent_messages(chat_id)) >= count, timeout, what=f"{count} messages to {chat_id}")
        return self.sent(chat_id)

    async def wait_call(self, method: str, *, chat_id: int | str | None = None, since: int = 0, ok: bool | None = True, timeout: float = 5.0) -> ApiCall:
        """Wait for the first matching call after position ``since`` (see ``mark``)."""
        calls = await self.wait_for(lambda: self.calls_since(since, method, chat_id=chat_id, ok=ok), timeout, what=f"{method} to {chat_id}")
        return calls[0]

    def _tail(self, n: int = 6) -> str:
        with self._lock:
            calls = self._calls[-n:]
        return ", ".join(f"{c.method}({c.chat_id})={c.status}" for c in calls) or "none"
