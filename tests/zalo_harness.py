"""Driving the Zalo messenger end to end: the adapter's own aiohttp client and the delivery worker
against the fake Zalo Bot API on 127.0.0.1, real handlers, a SQLite file."""

from __future__ import annotations

import re

import pytest

from bot.config import DeliveryConfig, parse_config
from bot.delivery.channels import Channel
from bot.delivery.worker import DeliveryWorker
from bot.messengers.registry import profiles
from bot.messengers.zalo.adapter import ZaloMessenger
from bot.vietnamese.gazetteer import default_gazetteer
from bot.vietnamese.topics import default_topics
from handlers.types import Services
from storage import chats, subscriptions
from tests.fakes.zalo import MAX_TEXT_CHARS, TEXT, FakeZalo

TOKEN = "1459232241454765289:FakeZaloSecretForTestsOnly_0123456789"
ZALO_ADMIN = "zadmin0001"
REPLIES = DeliveryConfig(poll_interval_seconds=0.05, backoff_base_seconds=0.05, backoff_max_seconds=0.2)
QUOTA_PAUSE = 0.2  # the sender's 429 pause, short for tests
# Pacing fast enough for tests (Zalo's cautious defaults allow 10 messages a minute to a group).
FAST_LIMITS = {"global_per_second": 200.0, "private_per_second": 50.0, "private_burst": 5, "group_per_minute": 3000.0}
_MARKUP = re.compile(r"</?(b|i|a|code|pre)\b[^>]*>|&(lt|gt|amp|quot);")


def assert_plain(text: str) -> None:
    """What a Zalo chat can show: 1 to 2,000 characters of plain text, no HTML."""
    assert 1 <= len(text) <= MAX_TEXT_CHARS, len(text)
    assert not _MARKUP.search(text), text


def zalo_config(tmp_path, **zalo):
    return parse_config(
        {
            "storage": {"path": str(tmp_path / "diemtin.sqlite3")},
            "telegram": {"admins": [4242]},
            "zalo": {"admins": [ZALO_ADMIN], "limits": FAST_LIMITS, **zalo},
            "schedule": {"weekly": "mon 08:00", "timezone": "Asia/Ho_Chi_Minh"},
        }
    )


@pytest.fixture
def zalo_services(db, clock, tmp_path) -> Services:
    config = zalo_config(tmp_path)
    return Services(db=db, config=config, gazetteer=default_gazetteer(), topics=default_topics(),
                    clock=clock, profiles=profiles(config))


class ZaloChat:
    """One chat (and by default one user) writing to the bot through the fake."""

    def __init__(self, harness: ZaloHarness, chat_id: str, *, user_id: str | None = None, chat_type: str = "PRIVATE") -> None:
        self.h, self.chat_id, self.user_id, self.chat_type = harness, chat_id, user_id or chat_id, chat_type

    def push(self, text: str | None = None, event: str = TEXT, **kw) -> dict:
        kw.setdefault("user_id", self.user_id)
        return self.h.server.push(self.chat_id, event, text=text, chat_type=self.chat_type, **kw)

    async def say(self, text: str | None = None, event: str = TEXT, **kw) -> list[str]:
        """What the chat received in answer (every message checked as Zalo would)."""
        before = len(self.h.server.sent(self.chat_id))
        await self.h.handled(self.push(text, event, **kw))
        new = self.h.server.sent(self.chat_id)[before:]
        for message in new:
            assert_plain(message)
        return new

    async def text(self, text: str, **kw) -> str:
        """The answer's messages as one text."""
        return "\n".join(await self.say(text, **kw))

    async def subscriptions(self) -> set[tuple[str, str]]:
        row = await self.row()
        if row is None:
            return set()
        return {(s.kind, s.value) for s in await subscriptions.list_subscriptions(self.h.services.db, row.id)}

    async def row(self):
        return await chats.get_chat(self.h.services.db, "zalo", self.chat_id)


class ZaloHarness:
    def __init__(self, server: FakeZalo, adapter: ZaloMessenger, worker: DeliveryWorker, services: Services) -> None:
        self.server, self.adapter, self.worker, self.services = server, adapter, worker, services

    def chat(self, chat_id: str, **kw) -> ZaloChat:
        return ZaloChat(self, chat_id, **kw)

    async def restart(self) -> None:
        """A new adapter in place of the running one (a restart), on the same storage and worker."""
        await self.adapter.stop()
        self.adapter = make_zalo(self.services, self.server)
        self.adapter.attach(self.worker.reply)
        self.worker.channels["zalo"] = Channel(self.adapter.profile, self.adapter.sender)
        await self.adapter.start()

    async def handled(self, update: dict, timeout: float = 10) -> None:
        """The update was polled, handled, and every reply it queued was sent."""
        await self.server.wait_for(lambda: self.server.polled_since(update), timeout, what="the update polled")
        await self.adapter.finish_updates(timeout)
        await self.worker.drain(timeout)


def make_zalo(services: Services, server: FakeZalo, **kw) -> ZaloMessenger:
    return ZaloMessenger(services, services.profiles["zalo"], token=TOKEN, base_url=server.base_url,
                         poll_timeout=1, quota_pause=QUOTA_PAUSE, **kw)


async def start_zalo(services: Services, server: FakeZalo, **kw) -> tuple[ZaloMessenger, DeliveryWorker]:
    """An adapter and the delivery worker its replies leave through, both started."""
    adapter = make_zalo(services, server, **kw)
    worker = DeliveryWorker({"zalo": Channel(adapter.profile, adapter.sender)}, services.db, REPLIES)
    adapter.attach(worker.reply)
    await adapter.start()
    await worker.start()
    return adapter, worker


@pytest.fixture
async def zalo(zalo_services: Services):
    server = FakeZalo(token=TOKEN).start()
    adapter, worker = await start_zalo(zalo_services, server)
    harness = ZaloHarness(server, adapter, worker, zalo_services)
    try:
        yield harness
    finally:
        await harness.adapter.stop()
        await worker.stop()
        server.stop()
