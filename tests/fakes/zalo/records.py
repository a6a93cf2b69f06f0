"""What the fake Zalo keeps of what happened: every call, every message the bot sent; waits on them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from tests.fakes.telegram.waiting import Changes


@dataclass(frozen=True)
class ZaloCall:
    """One request and how it was answered (``code`` 0: ok; else the error_code)."""

    method: str
    params: dict[str, Any]
    code: int
    result: Any = None
    description: str = ""

    @property
    def ok(self) -> bool:
        return self.code == 0

    @property
    def chat_id(self) -> str | None:
        chat = self.params.get("chat_id")
        return None if chat is None else str(chat)


@dataclass(frozen=True)
class SentMessage:
    chat_id: str
    message_id: str
    text: str
    date: int  # milliseconds


class Records:
    """The call log and the sent messages (a FakeZalo part)."""

    _lock: threading.RLock
    _changes: Changes
    _run_on_own_loop: Callable[[Coroutine], Future]  # the server's

    def __init__(self) -> None:
        self._calls: list[ZaloCall] = []
        self._sent: list[SentMessage] = []

    def _record(self, call: ZaloCall) -> None:
        with self._lock:
            self._calls.append(call)
        self._changes.notify()

    def calls(self, method: str | None = None, *, chat_id: str | None = None, ok: bool | None = None,
              since: int = 0) -> list[ZaloCall]:
        with self._lock:
            calls = self._calls[since:]
        return [
            c for c in calls
            if (method is None or c.method == method)
            and (chat_id is None or c.chat_id == str(chat_id))
            and (ok is None or c.ok == ok)
        ]

    def mark(self) -> int:
        """A position in the call log, for ``calls(since=...)``."""
        with self._lock:
            return len(self._calls)

    def sent_messages(self, chat_id: str | None = None) -> list[SentMessage]:
        with self._lock:
            return [m for m in self._sent if chat_id is None or m.chat_id == str(chat_id)]

    def sent(self, chat_id: str | None = None) -> list[str]:
        """The texts the bot sent (to one chat), oldest first."""
        return [m.text for m in self.sent_messages(chat_id)]

    async def wait_for(self, predicate, timeout: float = 10.0, *, what: str = "") -> Any:
        """Wait (event-driven) until ``predicate()`` is truthy; its value, or TimeoutError."""
        try:
            return await self._changes.wait_for(predicate, timeout)
        except TimeoutError:
            with self._lock:
                tail = ", ".join(f"{c.method}({c.chat_id})={c.code}" for c in self._calls[-6:])
            raise TimeoutError(f"fake zalo: timed out waiting for {what or predicate!r}; last calls: {tail}") from None

    async def wait_sent(self, chat_id: str, count: int = 1, timeout: float = 10.0) -> list[str]:
        """Wait until the chat has ``count`` messages; all its texts."""
        await self.wait_for(lambda: len(self.sent(chat_id)) >= count, timeout, what=f"{count} messages to {chat_id}")
        return self.sent(chat_id)

    def wait_sent_blocking(self, chat_id: str, count: int = 1, timeout: float = 30.0) -> list[str]:
        """``wait_sent`` from code without an event loop (a test driving a subprocess)."""
        return self._run_on_own_loop(self.wait_sent(chat_id, count, timeout)).result()

