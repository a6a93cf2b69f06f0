"""How a messenger shows messages and how fast it takes them: its profile.

A profile is everything the neutral core needs to know of a messenger to prepare a message for
it: the text format and how its length is counted (``Formatter``), the length limit, whether
buttons are inline or a numbered list the user answers by typing, and its rate limits. Each
messenger package builds its own (``bot.messengers.<name>.profile``); nothing here knows any.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.config import RateLimits
from bot.core.text import Text


class Formatter(Protocol):
    """Turns neutral text into what a messenger's API takes."""

    name: str  # the payload's "format": "html" | "plain"

    def render(self, text: Text) -> str:
        """The text as the messenger's API takes it (markup escaped as it must be)."""
        ...

    def measure(self, text: Text) -> int:
        """The text's length as the messenger counts it against ``Profile.max_length``."""
        ...


@dataclass(frozen=True)
class Profile:
    name: str  # the messenger: "telegram", "zalo"
    formatter: Formatter
    max_length: int  # per message, as ``formatter.measure`` counts
    numbered_buttons: bool  # no buttons: show them as "1. …" and read the number typed back
    limits: RateLimits  # the messenger's [<name>.limits]
