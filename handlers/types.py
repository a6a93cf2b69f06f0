"""What a messenger adapter hands to handlers, and what handlers hand back.

Handlers know nothing of Telegram or Zalo: a chat and its words come in as ``Incoming``, the
shared services as ``Services``; replies go out as ``Reply`` (HTML text plus optional buttons).
Every button's ``data`` is also a command a person can type, so messengers without buttons
(Zalo) run every flow by typing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Config
    from bot.vietnamese.gazetteer import Gazetteer
    from bot.vietnamese.topics import Topics
    from storage.db import Database

PRIVATE = "private"


@dataclass(frozen=True)
class Button:
    text: str
    data: str  # callback data, at most 64 bytes; a typed command such as "/tinh lam-dong"


@dataclass(frozen=True)
class Reply:
    text: str  # Telegram-style HTML: <b>, <i>, <a href>, <code>; everything else escaped
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of buttons
    edit: bool = False  # replace the message the button was pressed on, instead of a new one
    notice: str | None = None  # short toast for a button press (answerCallbackQuery text)


@dataclass(frozen=True)
class Incoming:
    """One command, button press or plain message from a chat."""

    messenger: str  # "telegram" | "zalo"
    chat_id: str
    chat_kind: str = PRIVATE  # private | group | supergroup | channel
    chat_title: str = ""
    user_id: str | None = None
    user_lang: str | None = None  # the messenger's language code for the user ("vi", "en-US")
    text: str = ""  # the whole text as typed (or the button's data)
    is_button: bool = False
    # Whether the sender may change this chat's settings: always True in a private chat; in a
    # group the adapter asks the messenger (admins only) — called only when a change is asked.
    can_manage: Callable[[], Awaitable[bool]] | None = None

    @property
    def is_group(self) -> bool:
        return self.chat_kind != PRIVATE


@dataclass
class Services:
    """Shared, long-lived parts handed to every handler."""

    db: Database
    config: Config
    gazetteer: Gazetteer
    topics: Topics
    clock: Callable[[], float]  # Unix time; tests drive it
    extra: dict = field(default_factory=dict)  # e.g. "poll_feed": async callable(feed_id)
