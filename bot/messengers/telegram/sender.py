"""Telegram's sender: outbox payloads and command replies out through python-telegram-bot.

Payloads go out as Bot API parameters through ``Bot.do_api_request``, which keeps everything of
PTB's request path (the request backend, defaults, error mapping) but returns the answer as
JSON: ``Bot.send_message`` would build a ``Message`` object from every answer — about a quarter
of the CPU of a bulk send — only for the sender to read its ``message_id``.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.delivery.senders import ChatGone, ChatMoved, RateLimited, Rejected, Transient
from bot.messengers.telegram.errors import retry_after_seconds

log = logging.getLogger(__name__)

MAX_BUTTON_DATA_BYTES = 64  # Telegram's limit on callback data
_CHAT_GONE_REQUESTS = (
    "chat not found", "user not found", "peer_id_invalid", "chat_write_forbidden",
    "have no rights to send", "not enough rights to send", "bot is not a member",
)
_CANNOT_EDIT = ("can't be edited", "message to edit not found", "no text in the message")


def _gone_reason(text: str) -> str:
    lower = text.lower()
    for word in ("blocked", "kicked", "deactivated", "chat not found", "user not found"):
        if word in lower:
            return word
    return lower[:100]


class TelegramSender:
    """Sends payloads with a python-telegram-bot ``Bot``: HTML, inline buttons, no previews."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def scrub(self, text: str) -> str:
        """The text without the bot token (PTB's errors may quote request URLs)."""
        token = getattr(self.bot, "token", None)
        return text.replace(token, "<token>") if token else text

    async def send(self, chat_id: str, payload: dict[str, Any]) -> str:
        params = message_parameters(chat_id, payload)
        if payload.get("edit"):
            edited = await self._call(
                "editMessageText", {**params, "message_id": int(payload["edit"])}, editing=True
            )
            if edited is not None:
                return str(payload["edit"])
        result = await self._call("sendMessage", params)
        return str(result["message_id"])

    async def _call(self, method: str, params: dict, *, editing: bool = False) -> Any:
        """One Bot API call, its errors as SendErrors; None when an edit is not possible."""
        try:
            return await self.bot.do_api_request(method, api_kwargs=params)
        except RetryAfter as exc:
            raise RateLimited(retry_after_seconds(exc)) from None
        except ChatMigrated as exc:
            raise ChatMoved(str(exc.new_chat_id)) from None
        except Forbidden as exc:
            text = self.scrub(exc.message)
            raise ChatGone(_gone_reason(text), text) from None
        except BadRequest as exc:  # before NetworkError: BadRequest subclasses it
            text = self.scrub(exc.message)
            lower = text.lower()
            if editing and "not modified" in lower:
                return True  # the message already shows exactly this
            if editing and any(reason in lower for reason in _CANNOT_EDIT):
                return None
            if any(reason in lower for reason in _CHAT_GONE_REQUESTS):
                raise ChatGone(_gone_reason(text), text) from None
            raise Rejected(text) from None
        except TimedOut as exc:  # before NetworkError as well
            raise Transient(f"timed out: {self.scrub(exc.message)}") from None
        except NetworkError as exc:
            raise Transient(self.scrub(exc.message)) from None
        except TelegramError as exc:
            raise Transient(f"{type(exc).__name__}: {self.scrub(exc.message)}") from None


def _keyboard(rows: list[list[dict[str, str]]]) -> dict:
    keyboard = []
    for row in rows:
        kept = []
        for b in row:
            if "url" in b:
                kept.append({"text": b["text"], "url": b["url"]})
            elif len(b["data"].encode("utf-8")) <= MAX_BUTTON_DATA_BYTES:
                kept.append({"text": b["text"], "callback_data": b["data"]})
            else:
                log.warning("telegram: dropped a button whose data exceeds 64 bytes")
        if kept:
            keyboard.append(kept)
    return {"inline_keyboard": keyboard}


def message_parameters(chat_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A payload as the Bot API's sendMessage / editMessageText parameters."""
    # Rows queued before payloads named their format said parse_mode "HTML".
    html = payload.get("format", "html" if payload.get("parse_mode") == "HTML" else "plain") == "html"
    params: dict[str, Any] = {
        "chat_id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id,
        "text": payload["text"],
        "link_preview_options": {"is_disabled": True},
    }
    if html:
        params["parse_mode"] = "HTML"
    if payload.get("buttons"):
        params["reply_markup"] = _keyboard(payload["buttons"])
    return params


# do_api_request asks callers to prefer Bot.send_message; the sender chooses it on purpose (see
# the module's docstring), so that one piece of advice is silenced, nothing else.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.\w+' instead of 'Bot\.do_api_request")
