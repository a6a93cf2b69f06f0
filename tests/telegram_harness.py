"""Driving the Telegram messenger end to end: python-telegram-bot's own HTTP stack and the
delivery worker against the fake Bot API on 127.0.0.1, real handlers, a SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from bot.config import DeliveryConfig
from bot.delivery.channels import Channel
from bot.delivery.profile import Profile
from bot.delivery.worker import DeliveryWorker
from bot.messengers.telegram.adapter import TelegramMessenger
from handlers.types import Services
from storage import chats, subscriptions
from tests.fakes.telegram import FakeTelegram, Message

TOKEN = "123456789:AAFakeTokenForEndToEndTests_0123456789"
REPLIES = DeliveryConfig(poll_interval_seconds=0.05, backoff_base_seconds=0.05, backoff_max_seconds=0.2)
SEND_OR_EDIT = ("sendmessage", "editmessagetext")


class Session:
    """One chat (and by default one user) talking to the bot through the fake server.

    Every helper pushes an update, waits until the adapter has handled it (event-driven), then
    reads what was sent or edited in the chat meanwhile.
    """

    def __init__(self, tg: Harness, chat_id: int, *, chat_type: str | None = None, user_id: int | None = None, lang: str | None = "vi", title: str | None = None) -> None:
        self.tg, self.server = tg, tg.server
        self.chat_id, self.chat_type, self.user_id, self.lang, self.title = chat_id, chat_type, user_id, lang, title

    def push(self, text: str, **kw) -> dict:
        kw.setdefault("user_id", self.user_id)
        kw.setdefault("language_code", self.lang)
        kw.setdefault("title", self.title)
        return self.server.push_message(self.chat_id, text, chat_type=self.chat_type, **kw)

    async def handled(self, update: dict, mark: int, chat_id: int | None = None) -> list[Message]:
        """Wait for the update to be handled; the messages sent or edited in the chat since ``mark``."""
        await self.tg.handled(update)
        chat_id = chat_id if chat_id is not None else self.chat_id
        calls = [c for c in self.server.calls_since(mark, chat_id=chat_id, ok=True) if c.method.lower() in SEND_OR_EDIT]
        return [self.server.message(chat_id, c.result["message_id"]) for c in calls]

    async def say(self, text: str, **kw) -> list[Message]:
        mark = self.server.mark()
        return await self.handled(self.push(text, **kw), mark)

    async def text(self, text: str, **kw) -> str:
        """The text of the single reply."""
        replies = await self.say(text, **kw)
        assert len(replies) == 1, [m.text for m in replies]
        return replies[0].text

    async def silent(self, text: str, **kw) -> None:
        mark = self.server.mark()
        await self.handled(self.push(text, **kw), mark)
        assert not self.server.calls_since(mark, chat_id=self.chat_id), "the bot answered"

    async def press(self, message: Message, data: str, *, check: bool = True, **kw) -> tuple[dict, list[Message]]:
        """Tap a button of ``message`` (by its data); returns (answerCallbackQuery params, replies)."""
        assert not check or data in message.button_data(), (data, message.buttons)
        kw.setdefault("user_id", self.user_id)
        kw.setdefault("language_code", self.lang)
        mark = self.server.mark()
        update = self.server.push_callback(self.chat_id, message.message_id, data, chat_type=self.chat_type, **kw)
        replies = await self.handled(update, mark)
        answer = self.server.callback_answer(update)
        assert answer is not None, "the button was not answered"
        return answer.params, replies

    async def member(self, status: str, **kw) -> list[Message]:
        """The bot's membership in this chat changes; returns what it sent."""
        kw.setdefault("title", self.title)
        mark = self.server.mark()
        update = self.server.push_my_chat_member(self.chat_id, status, chat_type=self.chat_type, **kw)
        return await self.handled(update, mark)

    async def subscriptions(self, chat_id: int | None = None) -> set[tuple[str, str]]:
        chat = await self.row(chat_id)
        if chat is None:
            return set()
        return {(s.kind, s.value) for s in await subscriptions.list_subscriptions(self.tg.services.db, chat.id)}

    async def row(self, chat_id: int | None = None):
        return await chats.get_chat(self.tg.services.db, "telegram", str(chat_id if chat_id is not None else self.chat_id))


class Harness:
    """The adapter and the delivery worker its replies leave through, against the fake."""

    def __init__(self, server: FakeTelegram, adapter: TelegramMessenger, worker: DeliveryWorker, services: Services) -> None:
        self.server, self.adapter, self.worker, self.services = server, adapter, worker, services

    def chat(self, chat_id: int, **kw) -> Session:
        return Session(self, chat_id, **kw)

    async def handled(self, update: dict, timeout: float = 10) -> None:
        """The update was fetched, its handlers ran and every reply they queued was sent."""
        update_id = update["update_id"]
        # Confirmed by the next getUpdates: by then python-telegram-bot has queued it.
        confirmed = lambda: self.server.confirmed(update_id)  # noqa: E731
        await self.server.wait_for(confirmed, timeout, what=f"update {update_id} fetched")
        await asyncio.wait_for(self.adapter.application.update_queue.join(), timeout)
        await self.worker.drain(timeout)


@contextlib.asynccontextmanager
async def harness(
    services: Services, config: DeliveryConfig = REPLIES, profile: Profile | None = None
) -> AsyncIterator[Harness]:
    """The Telegram messenger and a delivery worker with ``config``, against a new fake;
    ``profile`` (its pacing) defaults to the services'."""
    server = FakeTelegram(token=TOKEN, max_poll_seconds=1).start()
    adapter = TelegramMessenger(
        services, profile or services.profiles["telegram"], token=TOKEN, base_url=server.base_url,
        poll_timeout=1, admins=services.config.telegram.admins,
    )
    worker = DeliveryWorker({"telegram": Channel(adapter.profile, adapter.sender)}, services.db, config)
    adapter.attach(worker.reply)
    await adapter.start()
    await worker.start()
    try:
        yield Harness(server, adapter, worker, services)
    finally:
        await adapter.stop()
        await worker.stop()
        server.stop()


@pytest.fixture
async def tg(services: Services):
    async with harness(services) as running:
        yield running
