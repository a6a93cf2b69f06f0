"""What a messenger adapter hands to handlers, and what handlers hand back.

Handlers know nothing of Telegram or Zalo: a chat and its words come in as ``Incoming``, the
shared services as ``Services``; replies go out as ``Reply`` — neutral rich text
(``bot.core.text.Text``) plus optional buttons. Every button's ``data`` is also a command a
person can type, so messengers without buttons (Zalo) run every flow by typing: their profile
shows the buttons as a numbered list and maps the number typed back to the button's data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.core.reply import Button, Reply
from handlers.questions import OpenQuestions

if TYPE_CHECKING:
    from bot.config import Config
    from bot.delivery.profile import Profile
    from bot.vietnamese.gazetteer import Gazetteer
    from bot.vietnamese.topics import Topics
    from storage.db import Database

PRIVATE = "private"
__all__ = ["PRIVATE", "Button", "Incoming", "Reply", "Services"]


@dataclass(frozen=True)
class Incoming:
    """One command, button press or plain message from a chat."""

    messenger: str  # "telegram" | "zalo" | …
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
    profiles: Mapping[str, Profile] = field(default_factory=dict)  # how each messenger shows text
    questions: OpenQuestions = field(default_factory=OpenQuestions)
    # Set by the running bot (None in one-off commands such as `diemtin ingest`):
    poll_feed: Callable[[int], Awaitable[Any]] | None = None  # poll one feed now → its report
    wake_delivery: Callable[[], None] | None = None  # new outbox rows: look now
