"""Zalo updates as the adapter reads them: one ``ZaloEvent`` per update, whatever its shape.

An update is ``{event_name, message: {from: {id, display_name, is_bot}, chat: {id, chat_type},
text, message_id, date}}``; ids are opaque strings. Webhook bodies come bare or wrapped as
``{ok, result}``. Anything that is not a message from a chat (no chat id) is ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TEXT_EVENT = "message.text.received"
GROUP = "GROUP"


@dataclass(frozen=True)
class ZaloEvent:
    event: str  # "message.text.received", "message.sticker.received", …
    chat_id: str
    chat_kind: str  # "private" | "group", as the handlers and the pacer name them
    user_id: str | None
    from_bot: bool  # the sender says it is a bot
    text: str | None  # only for text messages
    message_id: str | None

    @property
    def is_text(self) -> bool:
        # Some updates name no event (Zalo's own getUpdates sample): a text is a text.
        return self.text is not None and self.event in (TEXT_EVENT, "")


def unwrap(body: Any) -> Any:
    """A webhook body as the update itself: ``{"ok": true, "result": {...}}`` or bare."""
    if isinstance(body, dict) and "ok" in body and isinstance(body.get("result"), dict):
        return body["result"]
    return body


def _id(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


def read_event(update: Any) -> ZaloEvent | None:
    """The event in one update, or None when it carries no message from a chat."""
    if not isinstance(update, dict):
        return None
    message = update.get("message")
    if not isinstance(message, dict):
        return None
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    chat_id = _id(chat.get("id"))
    if chat_id is None:
        return None
    event = update.get("event_name")
    text = message.get("text")
    kind = "group" if str(chat.get("chat_type") or "").upper() == GROUP else "private"
    return ZaloEvent(
        event=event if isinstance(event, str) else "",
        chat_id=chat_id,
        chat_kind=kind,
        user_id=_id(sender.get("id")),
        from_bot=sender.get("is_bot") is True,
        text=text if isinstance(text, str) else None,
        message_id=_id(message.get("message_id")),
    )
