"""How a message leaves: the Sender protocol and the errors a sender raises.

Each messenger's sender (``bot.messengers.<name>.sender``) maps its library's or API's errors
onto the small types below, so the delivery worker knows nothing of any messenger.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)


class SendError(Exception):
    """A send failed; the subclass says what the worker should do about it."""


class RateLimited(SendError):
    """429: stop all sending for ``retry_after`` seconds, then send this again."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited: retry after {retry_after:g} s")
        self.retry_after = retry_after


class ChatGone(SendError):
    """The bot was blocked or removed, or the chat does not exist: stop sending to it.
    ``reason`` is short ("blocked", "kicked", "chat not found", ...), the message the detail."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(detail or reason)
        self.reason = reason


class ChatMoved(SendError):
    """The group became a supergroup with a new id: move the chat, send again."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat moved to {new_chat_id}")
        self.new_chat_id = str(new_chat_id)


class Transient(SendError):
    """Timeout, network trouble, 5xx: try again later."""


class Rejected(SendError):
    """The messenger refuses this message (bad markup, too long, ...): never retry it."""


class Sender(Protocol):
    async def send(self, chat_id: str, payload: dict[str, Any]) -> str:
        """Send one message (an outbox payload: "text", "format", optional "buttons", and for
        a reply to a button press optionally "edit": the message id to replace); return its
        message id, or raise a SendError."""
        ...


def failure_reason(exc: Exception) -> str:
    """What to record of a failed send; anything but a SendError is a sender's bug: logged."""
    if not isinstance(exc, SendError):
        log.error("delivery: unexpected error from a sender", exc_info=exc)
        return f"{type(exc).__name__}: {exc}"
    return str(exc)
