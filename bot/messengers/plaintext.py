"""What messengers without markup or buttons share (Zalo): plain text, numbered choices.

``PlainText`` renders neutral text with its marks dropped and links written out as URLs (the
app makes them tappable). ``NumberedChoices`` remembers, per chat, the buttons of the last reply
that had any (``render_reply`` shows them as "1. …", "2. …"), so that a number typed back runs
that button's command.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from bot.core.text import Text

CHOICES_SECONDS = 3600  # a numbered list can be answered for an hour
MAX_CHATS = 50_000  # chats whose last list is remembered; the oldest go first


class PlainText:
    """The ``Formatter`` of plain-text messengers; length counted in characters."""

    name = "plain"

    def render(self, text: Text) -> str:
        out = []
        for span in text.spans:
            if span.url and span.url != span.text:
                out.append(f"{span.text}: {span.url}")
            else:
                out.append(span.text)
        return "".join(out)

    def measure(self, text: Text) -> int:
        return len(self.render(text))


class NumberedChoices:
    """The numbered buttons last shown in each chat."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._chats: OrderedDict[str, tuple[float, tuple[str, ...]]] = OrderedDict()

    def remember(self, chat_id: str, choices: Sequence[str]) -> None:
        self._chats.pop(chat_id, None)
        self._chats[chat_id] = (self._clock() + CHOICES_SECONDS, tuple(choices))
        while len(self._chats) > MAX_CHATS:
            self._chats.popitem(last=False)

    def command_for(self, chat_id: str, text: str) -> str | None:
        """The command of the button whose number ``text`` is, if a list is open in the chat."""
        entry = self._chats.get(chat_id)
        number = text.strip().rstrip(".")
        if entry is None or not (number.isascii() and number.isdigit()):
            return None
        expires, choices = entry
        if expires < self._clock():
            del self._chats[chat_id]
            return None
        index = int(number) - 1
        return choices[index] if 0 <= index < len(choices) else None
