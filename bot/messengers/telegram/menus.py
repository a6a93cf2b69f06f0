"""The command menus Telegram shows (setMyCommands): everyone's, in Vietnamese and English,
and the operators' with their extra commands."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from handlers import router

log = logging.getLogger(__name__)


async def publish_commands(bot: Bot, admins: Iterable[str]) -> None:
    """Vietnamese by default, English for English clients, operators' extras in their chats."""
    public = router.COMMANDS
    operators = [*router.COMMANDS, *router.ADMIN_COMMANDS]
    admin_ids = sorted(a for a in admins if a.lstrip("-").isdigit())
    for lang_code, lang in ((None, "vi"), ("en", "en")):
        menus: list[tuple[Any, list]] = [(None, public)]
        menus += [(BotCommandScopeChat(int(a)), operators) for a in admin_ids]
        for scope, specs in menus:
            commands = [BotCommand(spec.name, spec.description(lang)) for spec in specs]
            try:
                await bot.set_my_commands(commands, scope=scope, language_code=lang_code)
            except TelegramError as exc:  # e.g. an operator who never opened the bot
                log.warning("telegram: setMyCommands (%s, %s) failed: %s", scope, lang_code, exc)
