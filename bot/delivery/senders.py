"""How a message leaves: the Sender protocol, the errors a sender raises, and Telegram's sender.

Senders raise the small error types below (``TelegramSender`` maps python-telegram-bot's
exceptions onto them; another messenger's sender maps its own), so the delivery worker knows
nothing of any messenger library.
"""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # pragma: no cover
    import telegram


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
    async def send(self, chat_id: str, payload: dict) -> str:
        """Send one message; return its message id, or raise a SendError."""
        ...


_CHAT_GONE_REQUESTS = (
    "chat not found", "user not found", "peer_id_invalid", "chat_write_forbidden",
    "have no rights to send", "not enough rights to send", "bot is not a member",
)


def _gone_reason(text: str) -> str:
    lower = text.lower()
    for word in ("blocked", "kicked", "deactivated", "chat not found", "user not found"):
        if word in lower:
            return word
    return lower[:100]


class TelegramSender:
    """Sends outbox payloads with a python-telegram-bot ``Bot``: HTML, inline buttons, no
    link previews.

    The payload goes out as Bot API parameters through ``Bot.do_api_request``, which keeps
    everything of PTB's request path (the request backend, defaults, error mapping) but returns
    the answer as JSON: ``Bot.send_message`` would build a ``Message`` object from every answer,
    about a quarter of the CPU of a bulk send, only for the sender to read its ``message_id``.
    """

    def __init__(self, bot: telegram.Bot) -> None:
        self.bot = bot

    def _scrub(self, text: str) -> str:
        token = getattr(self.bot, "token", None)
        return text.replace(token, "<token>") if token else text

    async def send(self, chat_id: str, payload: dict) -> str:
        from telegram.error import (
            BadRequest,
            ChatMigrated,
            Forbidden,
            NetworkError,
            RetryAfter,
            TelegramError,
            TimedOut,
        )

        try:
            result = await self.bot.do_api_request("sendMessage", api_kwargs=send_message_parameters(chat_id, payload))
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22 warns the int form will become a timedelta
                warnings.simplefilter("ignore")
                wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            raise RateLimited(seconds) from None
        except ChatMigrated as exc:
            raise ChatMoved(str(exc.new_chat_id)) from None
        except Forbidden as exc:
            text = self._scrub(exc.message)
            raise ChatGone(_gone_reason(text), text) from None
        except BadRequest as exc:  # before NetworkError: BadRequest subclasses it
            text = self._scrub(exc.message)
            if any(reason in text.lower() for reason in _CHAT_GONE_REQUESTS):
                raise ChatGone(_gone_reason(text), text) from None
            raise Rejected(text) from None
        except TimedOut as exc:  # before NetworkError as well
            raise Transient(f"timed out: {self._scrub(exc.message)}") from None
        except NetworkError as exc:
            raise Transient(self._scrub(exc.message)) from None
        except TelegramError as exc:
            raise Transient(f"{type(exc).__name__}: {self._scrub(exc.message)}") from None
        return str(result["message_id"])


def send_message_parameters(chat_id: str, payload: dict) -> dict:
    """An outbox payload as the Bot API's sendMessage parameters."""
    params: dict = {
        "chat_id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id,
        "text": payload["text"],
        "parse_mode": payload.get("parse_mode", "HTML"),
        "link_preview_options": {"is_disabled": True},
    }
    if payload.get("buttons"):
        params["reply_markup"] = {
            "inline_keyboard": [
                [
                    {"text": b["text"], "url": b["url"]} if "url" in b else {"text": b["text"], "callback_data": b["data"]}
                    for b in row
                ]
                for row in payload["buttons"]
            ]
        }
    return params


# do_api_request asks callers to prefer Bot.send_message; the sender chooses it on purpose (see
# TelegramSender), so that one piece of advice is silenced, nothing else.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage' instead of 'Bot\.do_api_request")
