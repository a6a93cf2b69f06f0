"""What one handler call sees: the services, the message, the chat row, the command's words."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core import messages
from bot.core.text import Text
from handlers.types import Button, Incoming, Reply, Services
from storage.chats import ChatRow
from storage.db import Database

log = logging.getLogger(__name__)

LIST_CHARS = 3500  # a list reply stops with "…" here: long enough to read, short on a phone


@dataclass
class Context:
    services: Services
    incoming: Incoming
    chat: ChatRow
    command: str  # canonical command name ("tinh"), "" for plain text
    args: str
    now: float

    @property
    def db(self) -> Database:
        return self.services.db

    @property
    def lang(self) -> str:
        return self.chat.lang

    @property
    def is_button(self) -> bool:
        return self.incoming.is_button

    @property
    def chat_key(self) -> tuple[str, str]:
        return (self.incoming.messenger, self.incoming.chat_id)

    def t(self, key: str, **kw: Any) -> Text:
        return messages.t(self.lang, key, **kw)

    def plain(self, key: str, **kw: Any) -> str:
        """A catalogue text without marks: button labels, notices."""
        return messages.plain(self.lang, key, **kw)

    def reply(
        self,
        text: Text | str,
        buttons: Iterable[Sequence[Button]] = (),
        *,
        edit: bool = False,
        notice: Text | str | None = None,
    ) -> Reply:
        return Reply(
            text=Text.of(text),
            buttons=tuple(tuple(row) for row in buttons if row),
            edit=edit,
            notice=str(notice) if notice else None,
            lang=self.lang,
        )

    async def can_manage(self) -> bool:
        """May the sender change this chat's settings? Private: yes; group: ask the messenger."""
        if not self.incoming.is_group:
            return True
        check = self.incoming.can_manage
        if check is None:
            return False
        try:
            return bool(await check())
        except Exception:
            log.warning(
                "can_manage check failed: messenger=%s chat=%s",
                self.incoming.messenger, self.incoming.chat_id, exc_info=True,
            )
            return False

    def is_admin(self) -> bool:
        """A bot operator (config [<messenger>].admins)."""
        user = self.incoming.user_id
        return user is not None and self.services.config.is_admin(self.incoming.messenger, user)

    def format_time(self, ts: float) -> str:
        """dd/mm/yyyy HH:MM in the configured time zone."""
        return datetime.fromtimestamp(ts, self.services.config.timezone).strftime("%d/%m/%Y %H:%M")


def button(text: Text | str, data: str) -> Button:
    return Button(text=str(text), data=data)


def rows_of(buttons: Sequence[Button], width: int) -> list[tuple[Button, ...]]:
    """Lay buttons out ``width`` per row."""
    return [tuple(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def lines(parts: Iterable[Text | str], limit: int = LIST_CHARS) -> Text:
    """Lines joined with newlines, stopping with "…" before ``limit`` visible characters."""
    out: list[Text | str] = []
    size = 0
    for part in parts:
        width = len(str(part)) + 1
        if size + width > limit:
            out.append("…")
            break
        out.append(part)
        size += width
    return Text.of("\n").join(out)
