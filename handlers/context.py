"""What one handler call sees: the services, the message, the chat row, the command's words."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core import messages
from handlers.types import Button, Incoming, Reply, Services
from storage.chats import ChatRow
from storage.db import Database

log = logging.getLogger(__name__)

MAX_REPLY_CHARS = 4096
MAX_BUTTON_DATA_BYTES = 64


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

    def t(self, key: str, **kw: Any) -> str:
        return messages.t(self.lang, key, **kw)

    def reply(
        self,
        text: str,
        buttons: Iterable[Sequence[Button]] = (),
        *,
        edit: bool = False,
        notice: str | None = None,
    ) -> Reply:
        return Reply(
            text=text,
            buttons=tuple(tuple(row) for row in buttons if row),
            edit=edit,
            notice=notice,
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

    def format_date(self, ts: float) -> str:
        return datetime.fromtimestamp(ts, self.services.config.timezone).strftime("%d/%m/%Y")


def button(text: str, data: str) -> Button:
    return Button(text=text, data=data)


def rows_of(buttons: Sequence[Button], width: int) -> list[tuple[Button, ...]]:
    """Lay buttons out ``width`` per row."""
    return [tuple(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def join_limited(lines: Iterable[str], limit: int = MAX_REPLY_CHARS - 96) -> str:
    """Join lines with newlines, stopping with "…" before ``limit`` characters.

    Lines must be self-contained HTML (no tag spanning lines) so that cutting between
    lines never leaves a tag open.
    """
    out: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit:
            out.append("…")
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)


def fits_button(data: str) -> bool:
    return len(data.encode("utf-8")) <= MAX_BUTTON_DATA_BYTES
