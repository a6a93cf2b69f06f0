"""Telegram's profile: HTML, 4,096 UTF-16 units per message, inline keyboards, its limits."""

from __future__ import annotations

from bot.config import RateLimits
from bot.delivery.profile import Profile
from bot.messengers.telegram.html import TelegramHTML

NAME = "telegram"
MAX_MESSAGE_UTF16 = 4096


def telegram_profile(limits: RateLimits) -> Profile:
    return Profile(NAME, TelegramHTML(), MAX_MESSAGE_UTF16, numbered_buttons=False, limits=limits)
