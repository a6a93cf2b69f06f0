"""Zalo's profile: plain text, 2,000 characters per message, numbered buttons, its limits."""

from __future__ import annotations

from bot.config import RateLimits
from bot.delivery.profile import Profile
from bot.messengers.plaintext import PlainText
from bot.messengers.zalo.sender import MAX_MESSAGE_CHARS

NAME = "zalo"


def zalo_profile(limits: RateLimits) -> Profile:
    return Profile(NAME, PlainText(), MAX_MESSAGE_CHARS, numbered_buttons=True, limits=limits)
