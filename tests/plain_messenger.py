"""A test-only messenger over the plain-text fake (tests/fakes/plainchat): a ``Messenger``
subclass with its own profile, sender and update loop — nothing else of the bot changes."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp

from bot.config import RateLimits
from bot.delivery.profile import Profile
from bot.delivery.senders import Rejected, Transient
from bot.messengers.base import Messenger
from bot.messengers.plaintext import NumberedChoices, PlainText
from handlers.types import Incoming, Services

NAME = "plainchat"
PROFILE = Profile(NAME, PlainText(), 2000, numbered_buttons=True,
                  limits=RateLimits(global_per_second=50, private_per_second=20, private_burst=5))


class PlainSender:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session, self.base_url = session, base_url

    async def send(self, chat_id: str, payload: dict[str, Any]) -> str:
        try:
            async with self.session.post(f"{self.base_url}/sendMessage", json={"chat_id": chat_id, "text": payload["text"]}) as r:
                body = await r.json(content_type=None) if r.content_type == "application/json" else None
                if r.status >= 500 or body is None:
                    raise Transient(f"HTTP {r.status}")
                if not body.get("ok"):
                    raise Rejected(body.get("description", "refused"))
                return str(body["result"]["message_id"])
        except aiohttp.ClientError as exc:
            raise Transient(str(exc)) from None


class PlainMessenger(Messenger):
    def __init__(self, services: Services, *, base_url: str) -> None:
        super().__init__(services, PROFILE)
        self.base_url = base_url
        self.choices = NumberedChoices()
        self._session: aiohttp.ClientSession | None = None
        self._sender: PlainSender | None = None
        self._poller: asyncio.Task | None = None

    @property
    def sender(self) -> PlainSender:
        if self._sender is None:
            self._session = aiohttp.ClientSession()
            self._sender = PlainSender(self._session, self.base_url)
        return self._sender

    async def start(self) -> None:
        self.sender  # noqa: B018 - opens the session
        self._poller = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        if self._session is not None:
            await self._session.close()
            self._session = self._sender = None

    def shown(self, chat_id: str, payloads) -> None:
        for payload in payloads:
            if payload.get("choices"):
                self.choices.remember(chat_id, payload["choices"])

    async def _poll(self) -> None:
        assert self._session is not None
        while True:
            async with self._session.post(f"{self.base_url}/getUpdates", json={"timeout": 1}) as r:
                updates = (await r.json())["result"]
            for update in updates:
                await self._on_update(update)

    async def _on_update(self, update: dict[str, Any]) -> None:
        chat, text = update["chat_id"], update["text"]
        command = self.choices.command_for(chat, text)
        await self.handle(Incoming(
            messenger=NAME, chat_id=chat, chat_kind=update["chat_kind"], user_id=update["user_id"],
            user_lang="vi", text=command or text, is_button=command is not None,
        ))
