"""The seam every messenger plugs into: ``Messenger``.

A messenger is three things: a ``Profile`` (how its messages look and how fast it takes them), a
``Sender`` (how one message leaves) and its updates (how people's messages come in). A subclass
turns its messenger's updates into ``handlers.types.Incoming`` and calls ``handle``; replies are
rendered with the profile and handed to the delivery worker, the one send path, so command
replies get the same pacing, retries and error handling as queued pushes.

Subclasses implement ``sender``, ``start`` and ``stop``; see ``bot.messengers.telegram`` and
``bot.messengers.zalo``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from bot.core.reply import Reply
from bot.delivery.packing import render_reply
from bot.delivery.profile import Profile
from bot.delivery.senders import Sender
from handlers import router
from handlers.types import Incoming, Services

if TYPE_CHECKING:
    from bot.web.server import Route

log = logging.getLogger(__name__)

# (messenger, chat id, chat kind, payloads): the delivery worker's ``reply``.
ReplySink = Callable[[str, str, str, Sequence[dict[str, Any]]], None]


class StartFailed(Exception):
    """A messenger could not start (token refused, API unreachable): one line for the operator,
    worded without the token."""


class Messenger:
    """A messenger adapter over the shared handlers, storage and delivery worker."""

    def __init__(self, services: Services, profile: Profile) -> None:
        self.services = services
        self.profile = profile
        self._sink: ReplySink | None = None

    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def sender(self) -> Sender:
        """How the delivery worker sends to this messenger."""
        raise NotImplementedError

    def attach(self, sink: ReplySink) -> None:
        """Where replies go: the delivery worker (set before ``start``)."""
        self._sink = sink

    def routes(self) -> Sequence[Route]:
        """The HTTP routes it serves (its webhook), put on the bot's server before ``start``."""
        return ()

    async def start(self) -> None:
        """Connect (check the token), then start taking updates; raises StartFailed."""
        raise NotImplementedError

    async def stop_receiving(self) -> None:
        """Stop taking updates and finish those in hand; replies can still leave (the delivery
        worker drains them before ``stop``)."""

    async def stop(self) -> None:
        """Stop taking updates and release connections; safe to call twice."""
        raise NotImplementedError

    # ---------------------------------------------------------------- what subclasses call

    async def handle(self, incoming: Incoming, *, edit_message_id: str | None = None) -> list[Reply]:
        """Dispatch one update to the handlers and send the replies (the first reply marked
        ``edit`` replaces ``edit_message_id``, where the messenger can edit)."""
        replies = await router.dispatch(self.services, incoming)
        self.send_replies(incoming.chat_id, incoming.chat_kind, replies, edit_message_id=edit_message_id)
        return replies

    def send_replies(
        self, chat_id: str, chat_kind: str, replies: Sequence[Reply], *, edit_message_id: str | None = None
    ) -> None:
        payloads: list[dict[str, Any]] = []
        for reply in replies:
            parts = render_reply(reply, self.profile, reply.lang)
            if reply.edit and edit_message_id is not None:
                parts[0]["edit"] = edit_message_id
                edit_message_id = None
            payloads += parts
        if not payloads:
            return
        self.shown(chat_id, payloads)
        if self._sink is None:
            raise RuntimeError(f"{self.name}: replies have nowhere to go (attach the delivery worker)")
        self._sink(self.name, str(chat_id), chat_kind, payloads)

    def shown(self, chat_id: str, payloads: Sequence[dict[str, Any]]) -> None:
        """Replies about to go to a chat (plain-text messengers remember numbered choices)."""
