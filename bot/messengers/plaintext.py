"""What messengers without markup or buttons share (Zalo): plain text, numbered choices.

``PlainText`` renders neutral text with its marks dropped and links written out as URLs (the
app makes them tappable). ``NumberedChoices`` remembers, per chat, the buttons of the last reply
that had any (``render_reply`` shows them as "1. …", "2. …"), so that a number typed back runs
that button's command; so does a button's label typed back ("xong" for "✔️ Xong"), compared
without accents, marks or a count such as "(3)".
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from bot.core.text import Text
from bot.vietnamese.textnorm import fold

CHOICES_SECONDS = 3600  # a numbered list can be answered for an hour
MAX_CHATS = 50_000  # chats whose last list is remembered; the oldest go first
_COUNT = re.compile(r"\s*\(\d+\)\s*$")  # "Miền Bắc (3)": how many are chosen there
_WORD = re.compile(r"\w+")


def label_key(text: str) -> str:
    """A button label or a typed word as compared: "✔️ Xong" and "xong" → "xong"."""
    return " ".join(_WORD.findall(fold(_COUNT.sub("", text))))


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
        self._chats: OrderedDict[str, tuple[float, tuple[str, ...], tuple[str, ...]]] = OrderedDict()

    def remember(self, chat_id: str, choices: Sequence[str], labels: Sequence[str] = ()) -> None:
        """The commands of the list just shown (and their labels, in the same order)."""
        self._chats.pop(chat_id, None)
        keys = tuple(label_key(label) for label in labels)
        self._chats[chat_id] = (self._clock() + CHOICES_SECONDS, tuple(choices), keys)
        while len(self._chats) > MAX_CHATS:
            self._chats.popitem(last=False)

    def command_for(self, chat_id: str, text: str) -> str | None:
        """The command of the button whose number (or label) ``text`` is, if a list is open."""
        entry = self._chats.get(chat_id)
        if entry is None:
            return None
        expires, choices, keys = entry
        if expires < self._clock():
            del self._chats[chat_id]
            return None
        number = text.strip().rstrip(".")
        if number.isascii() and number.isdigit():
            index = int(number) - 1
            return choices[index] if 0 <= index < len(choices) else None
        key = label_key(text)
        return choices[keys.index(key)] if key and key in keys else None
