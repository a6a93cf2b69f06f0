"""Fixtures shared by every test module."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.config import Config, RateLimits, parse_config
from bot.core.models import TaggedItem
from bot.delivery.packing import render_reply
from bot.messengers.registry import profiles
from bot.messengers.telegram.profile import telegram_profile
from bot.vietnamese.gazetteer import default_gazetteer
from bot.vietnamese.topics import default_topics
from handlers.types import Button, Incoming, Reply, Services
from storage.db import Database
from tests.fakes.telegram import (
    fake_telegram,  # noqa: F401  (pytest fixture)
    html_to_text,
    utf16_len,
)
from tests.feedserver import feed_server  # noqa: F401  (pytest fixture)
from tests.telegram_harness import tg  # noqa: F401  (pytest fixture)
from tests.zalo_harness import zalo, zalo_services  # noqa: F401  (pytest fixtures)

T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC: a Tuesday
ADMIN_ID = "4242"


class Clock:
    """A clock tests move by hand: ``clock()`` is Unix time, ``clock.advance(s)`` moves it."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def db(tmp_path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "diemtin.sqlite3")
    yield database
    await database.close()


FAST_LIMITS = {"global_per_second": 500, "private_per_second": 50, "private_burst": 10, "group_per_minute": 3000}


def make_config(tmp_path=None) -> Config:
    return parse_config(
        {
            "storage": {"path": str(tmp_path / "diemtin.sqlite3") if tmp_path else "unused.sqlite3"},
            # Pacing well above Telegram's, so that a test's chat is not kept at one message a
            # second; the flood tests use Telegram's own limits (tests/test_reply_flood_e2e.py).
            "telegram": {"admins": [int(ADMIN_ID)], "limits": FAST_LIMITS},
            "schedule": {"weekly": "mon 08:00", "timezone": "Asia/Ho_Chi_Minh"},
        }
    )


@pytest.fixture
def services(db: Database, clock: Clock, tmp_path) -> Services:
    config = make_config(tmp_path)
    return Services(
        db=db,
        config=config,
        gazetteer=default_gazetteer(),
        topics=default_topics(),
        clock=clock,
        profiles=profiles(config),
    )


# ----------------------------------------------------------------------------- items


def make_item(
    title: str,
    body: str = "",
    *,
    provinces: Sequence[str] = (),
    topics: Sequence[str] = (),
    link: str = "https://example.org/tin",
    item_id: str | None = None,
) -> TaggedItem:
    """A tagged item as ingestion would store it (provinces: slugs named in the lead)."""
    gaz = default_gazetteer()
    return TaggedItem(
        item_id=item_id or f"test:{title}:{body}",
        title=title,
        body=body or title,
        link=link,
        published=datetime(2023, 11, 14, tzinfo=UTC),
        period=None,
        primary=tuple(provinces),
        current_units=tuple(dict.fromkeys(gaz.current_of(s).slug for s in provinces)),
        topics=tuple(topics),
    )


@pytest.fixture
def store_items(services: Services):
    """``await store_items(item, ...)``: insert items stored at the clock's current time."""
    from bot.vietnamese.textnorm import fold
    from storage.items import insert_items

    async def store(*items: TaggedItem) -> list[int]:
        return await insert_items(
            services.db,
            list(items),
            feed_id=None,
            current_of=lambda slug: services.gazetteer.current_of(slug).slug,
            fold=fold,
            now=services.clock(),
        )

    return store


# ----------------------------------------------------------------------------- talking to the bot

_ALLOWED_TAGS = {"b", "i", "u", "s", "a", "code", "pre"}
_MARKUP = re.compile(
    r"<(?P<close>/?)(?P<tag>[a-z]+)(?P<attrs>(?: [a-z]+=\"[^\"<>]*\")*)>"
    r"|&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);"
)
TELEGRAM = telegram_profile(RateLimits())


@dataclass(frozen=True)
class Shown:
    """A reply as a Telegram user gets it: its messages' HTML joined, and its buttons."""

    text: str
    buttons: tuple[tuple[Button, ...], ...]
    edit: bool
    notice: str | None
    reply: Reply


def shown(reply: Reply, profile=TELEGRAM) -> Shown:
    """Render a handler's reply the way the messenger's profile does, and check it."""
    assert isinstance(reply, Reply)
    assert str(reply.text).strip(), "empty reply"
    payloads = render_reply(reply, profile, reply.lang)
    text = "\n".join(p["text"] for p in payloads)
    for payload in payloads:
        assert_well_formed(payload["text"])
    for row in reply.buttons:
        for btn in row:
            assert btn.text, "button without a label"
            assert btn.data.startswith("/"), f"button data {btn.data!r} is not a command"
            assert len(btn.data.encode("utf-8")) <= 64, f"button data {btn.data!r} over 64 bytes"
    if reply.notice is not None:
        assert 0 < len(reply.notice) <= 200  # answerCallbackQuery's limit; plain text
    return Shown(text, reply.buttons, reply.edit, reply.notice, reply)


def assert_well_formed(text: str) -> None:
    """What Telegram would accept: limits, allowed and balanced tags, escaped text."""
    assert text.strip(), "empty message"
    assert utf16_len(html_to_text(text)) <= 4096, f"message of {len(text)} characters"
    stack: list[str] = []
    for match in _MARKUP.finditer(text):
        tag = match.group("tag")
        if tag is None:
            continue
        assert tag in _ALLOWED_TAGS, f"tag <{tag}> in {text!r}"
        if match.group("close"):
            assert stack and stack.pop() == tag, f"unbalanced </{tag}> in {text!r}"
        else:
            stack.append(tag)
    assert not stack, f"unclosed {stack} in {text!r}"
    leftover = _MARKUP.sub("", text)
    assert not set("<>&") & set(leftover), f"unescaped markup in {text!r}"


class ChatDriver:
    """One chat talking to the bot through handlers.router.dispatch, checking every reply."""

    def __init__(
        self,
        services: Services,
        chat_id: str,
        *,
        kind: str = "private",
        user_id: str = "7",
        lang: str | None = "vi",
        manage: bool | None = None,
        messenger: str = "telegram",
    ) -> None:
        self.services = services
        self.chat_id = chat_id
        self.kind = kind
        self.user_id = user_id
        self.lang = lang
        self.manage = manage
        self.messenger = messenger

    def incoming(self, text: str, *, button: bool = False, user_id: str | None = None) -> Incoming:
        can_manage = None
        if self.manage is not None:
            allowed = self.manage

            async def can_manage() -> bool:
                return allowed

        return Incoming(
            messenger=self.messenger,
            chat_id=self.chat_id,
            chat_kind=self.kind,
            chat_title="Nhóm thử" if self.kind != "private" else "",
            user_id=user_id or self.user_id,
            user_lang=self.lang,
            text=text,
            is_button=button,
            can_manage=can_manage,
        )

    async def send(self, text: str, *, user_id: str | None = None) -> list[Shown]:
        from handlers.router import dispatch

        replies = await dispatch(self.services, self.incoming(text, user_id=user_id))
        return [shown(reply) for reply in replies]

    async def press(self, data: str, *, user_id: str | None = None) -> list[Shown]:
        from handlers.router import dispatch

        replies = await dispatch(self.services, self.incoming(data, button=True, user_id=user_id))
        return [shown(reply) for reply in replies]

    async def text(self, message: str) -> str:
        """The text of the single reply to a message."""
        replies = await self.send(message)
        assert len(replies) == 1, replies
        return replies[0].text

    async def subscriptions(self) -> set[tuple[str, str]]:
        from storage.chats import get_chat
        from storage.subscriptions import list_subscriptions

        chat = await get_chat(self.services.db, self.messenger, self.chat_id)
        if chat is None:
            return set()
        return {(s.kind, s.value) for s in await list_subscriptions(self.services.db, chat.id)}

    async def chat(self):
        from storage.chats import get_chat

        return await get_chat(self.services.db, self.messenger, self.chat_id)


def button_data(replies: Sequence[Shown]) -> list[str]:
    return [b.data for r in replies for row in r.buttons for b in row]


def button_texts(replies: Sequence[Shown]) -> list[str]:
    return [b.text for r in replies for row in r.buttons for b in row]


@pytest.fixture
def user(services: Services) -> ChatDriver:
    """A private chat in Vietnamese."""
    return ChatDriver(services, "100")


@pytest.fixture
def talk(services: Services):
    """``talk(chat_id, kind=..., manage=..., lang=...)``: more chats."""

    def make(chat_id: str, **kw) -> ChatDriver:
        return ChatDriver(services, chat_id, **kw)

    return make
