"""Which messengers the bot knows, built from the config: their profiles and adapters.

A profile is needed wherever messages are prepared (queueing pushes, summaries, broadcasts — in
any process); an adapter only where the bot runs, for each messenger whose token is set. Adapters
that serve HTTP (webhooks) share one web server per listen address.
"""

from __future__ import annotations

from bot.config import Config
from bot.delivery.profile import Profile
from bot.messengers.base import Messenger
from bot.messengers.telegram.profile import telegram_profile
from bot.messengers.zalo.profile import zalo_profile
from handlers.types import Services


def profiles(config: Config) -> dict[str, Profile]:
    """Every messenger's profile, whether it runs here or not (its chats may be in storage)."""
    return {"telegram": telegram_profile(config.telegram.limits), "zalo": zalo_profile(config.zalo.limits)}


def build_messengers(config: Config, services: Services) -> list[Messenger]:
    """Adapters of the messengers whose token is set, ready to ``attach`` and ``start``; a
    webhook is one of their ``routes()``, served by the bot's one web server."""
    built: list[Messenger] = []
    known = services.profiles or profiles(config)
    if config.telegram.token:
        from bot.messengers.telegram.adapter import TelegramMessenger
        from bot.messengers.telegram.aiohttp_request import AiohttpRequest
        from bot.messengers.telegram.webhook import WebhookSettings

        tg = config.telegram
        webhook = (WebhookSettings(tg.webhook_url, tg.webhook_secret, tg.webhook_listen)
                   if tg.mode == "webhook" and tg.webhook_url and tg.webhook_secret else None)
        built.append(
            TelegramMessenger(
                services, known["telegram"], token=tg.token, base_url=tg.base_url,
                base_file_url=tg.base_file_url, poll_timeout=tg.poll_timeout, admins=tg.admins,
                # Well above the worker's concurrency, so a send never waits for a connection.
                request=AiohttpRequest(connection_pool_size=max(64, 2 * config.delivery.concurrency)),
                webhook=webhook,
            )
        )
    if config.zalo.token:
        from bot.messengers.zalo.adapter import ZaloMessenger

        zc = config.zalo
        built.append(
            ZaloMessenger(
                services, known["zalo"], token=zc.token, base_url=zc.base_url, mode=zc.mode,
                poll_timeout=zc.poll_timeout, webhook_url=zc.webhook_url,
                webhook_secret=zc.webhook_secret,
                webhook_listen=zc.webhook_listen,
            )
        )
    return built
