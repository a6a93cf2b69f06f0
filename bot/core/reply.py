"""A reply to a chat command, in neutral parts: rich text and buttons.

Every button's ``data`` is also a command a person can type, so a messenger without buttons
shows them as a numbered list and maps the number typed back to the button's data.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.text import Text


@dataclass(frozen=True)
class Button:
    text: str  # plain label
    data: str  # a typed command such as "/tinh lam-dong"


@dataclass(frozen=True)
class Reply:
    text: Text
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of buttons
    edit: bool = False  # replace the message the button was pressed on, where the messenger can
    notice: str | None = None  # short toast for a button press, where the messenger has them
    lang: str = "vi"  # the chat's language (for what a messenger adds, e.g. "type a number")
