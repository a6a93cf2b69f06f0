"""Zalo: its updates become ``Incoming`` for the shared handlers; replies go out as plain text.

Zalo has no buttons, so every button flow is typed: replies show their buttons as a numbered
list (the profile), and a number — or, in a private chat, a label — typed back runs that
button's command (``NumberedChoices``). In a private chat commands work without their "/"
("tinh lam dong"); in a group only with it, so that people talking among themselves do not
trigger the bot.

Every update is checked before it runs: the bot's own messages, which Zalo may echo back, are
dropped (the getMe id, or ``is_bot``); an update seen before (a retried webhook, a repeat after
a restart) is dropped by its message id, kept in storage (``storage.seen_updates``); anything
but text gets a short "send text commands" reply in a private chat.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from bot.core import messages
from bot.core.reply import Button
from bot.delivery.profile import Profile
from bot.messengers.base import Messenger, StartFailed
from bot.messengers.plaintext import NumberedChoices
from bot.messengers.zalo.api import UNAUTHORIZED, ZaloApiError, ZaloBotApi, ZaloUnreachable
from bot.messengers.zalo.ordering import PerChat
from bot.messengers.zalo.polling import Poller
from bot.messengers.zalo.sender import QUOTA_PAUSE_SECONDS, ZaloSender
from bot.messengers.zalo.updates import ZaloEvent, read_event
from bot.messengers.zalo.webhook import webhook_handler
from bot.web.server import Route
from handlers import router
from handlers.parsing import parse_command
from handlers.types import Incoming, Reply, Services
from storage import chats, seen_updates
from storage.db import StorageError

log = logging.getLogger(__name__)

SEEN_KEEP_SECONDS = 7 * 86400  # no retry or repeat comes later than this
PRUNE_EVERY_SECONDS = 6 * 3600
MAX_CONCURRENT_UPDATES = 64
STOP_WAIT_SECONDS = 10.0


def typed_command(text: str) -> str:
    """ "tinh lam dong" as "/tinh lam dong" when its first word names a command; else unchanged."""
    stripped = text.lstrip()
    if stripped.startswith("/"):
        return text
    parsed = parse_command("/" + stripped)
    return "/" + stripped if parsed and router.find_command(parsed.name) else text


def with_notice(reply: Reply) -> Reply:
    """A button's toast (Telegram shows it apart) as the first line of the reply."""
    if not reply.notice or reply.notice in str(reply.text):
        return reply
    return dataclasses.replace(reply, text=reply.notice + "\n\n" + reply.text, notice=None)


class ZaloMessenger(Messenger):
    """The bot on Zalo: long polling or a webhook, typed commands, numbered choices."""

    def __init__(
        self,
        services: Services,
        profile: Profile,
        *,
        token: str,
        base_url: str,
        mode: str = "polling",
        poll_timeout: int = 30,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        webhook_listen: str | None = None,
        quota_pause: float = QUOTA_PAUSE_SECONDS,
    ) -> None:
        super().__init__(services, profile)
        if mode == "webhook" and not (webhook_url and webhook_secret and webhook_listen):
            raise ValueError("webhook mode needs webhook_url, webhook_secret and webhook_listen")
        self.api = ZaloBotApi(token, base_url)
        self._sender = ZaloSender(self.api, quota_pause=quota_pause)
        self.base_url = base_url
        self.mode = mode
        self.poll_timeout = poll_timeout
        self.webhook_url = webhook_url
        self._secret = webhook_secret
        self.webhook_listen = webhook_listen
        self.bot_id: str | None = None
        self.choices = NumberedChoices()
        self._order = PerChat()
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_UPDATES)
        self._tasks: set[asyncio.Task] = set()
        self._stop_polling = asyncio.Event()
        self._poller: asyncio.Task | None = None
        self._next_prune = 0.0

    @property
    def sender(self) -> ZaloSender:
        return self._sender

    def routes(self) -> list[Route]:
        """In webhook mode, the webhook's path on ``webhook_listen`` (the bot's one server)."""
        if self.mode != "webhook":
            return []
        path = urlsplit(self.webhook_url).path or "/"
        handler = webhook_handler(self._secret, self.process)
        return [Route(self.webhook_listen, "POST", path, handler, "zalo-webhook", "[zalo].webhook_listen")]

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """getMe (the token, the bot's id), then a webhook or long polling."""
        await self.api.open()
        me = await self._start_call("getMe")
        me = me if isinstance(me, dict) else {}
        self.bot_id = str(me.get("id") or "") or None
        name = me.get("account_name") or self.bot_id
        if self.mode == "webhook":
            await self._start_webhook()
            log.info("zalo: webhook %s as %s, served on %s", self.webhook_url, name, self.webhook_listen)
            return
        info = await self._start_call("getWebhookInfo")
        if isinstance(info, dict) and info.get("url"):
            log.warning("zalo: a webhook was set (%s); removing it to poll (mode = \"polling\")", info["url"])
            await self._start_call("deleteWebhook")
        self._stop_polling.clear()
        poller = Poller(self.api, self._take, self.poll_timeout)
        self._poller = asyncio.create_task(poller.run(self._stop_polling), name="zalo-polling")
        log.info("zalo: polling as %s", name)

    async def _start_webhook(self) -> None:
        """The route is already served (``routes``): tell Zalo where to post."""
        await self._start_call("setWebhook", {"url": self.webhook_url, "secret_token": self._secret})

    async def _start_call(self, method: str, params: dict | None = None) -> Any:
        try:
            return await self.api.call(method, params)
        except ZaloApiError as exc:
            if exc.code == UNAUTHORIZED:
                raise StartFailed("[zalo]: the Bot API rejected the token (ZALO_BOT_TOKEN)") from None
            raise StartFailed(f"[zalo]: {method} failed: {exc}") from None
        except ZaloUnreachable as exc:
            raise StartFailed(f"[zalo]: cannot reach the Bot API at {self.base_url}: {exc}") from None

    async def stop_receiving(self) -> None:
        """Stop polling and finish the updates in hand; replies can still leave."""
        self._stop_polling.set()
        if self._poller is not None:
            self._poller.cancel()  # a long poll in flight is abandoned, not waited for
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        await self.finish_updates(STOP_WAIT_SECONDS, cancel=True)

    async def stop(self) -> None:
        """Stop taking updates, finish those in hand, close the HTTP client; safe to call twice."""
        await self.stop_receiving()
        await self.api.close()

    async def finish_updates(self, timeout: float, *, cancel: bool = False) -> None:
        """Wait until the updates in hand are handled (their replies queued); at most
        ``timeout`` seconds, after which they are cancelled (``cancel``) or left running."""
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        if cancel:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    # ------------------------------------------------------------------ updates

    async def _take(self, update: Any) -> None:
        """A polled update: handled in a task of its own, so polling goes on meanwhile."""
        await self._slots.acquire()
        task = asyncio.create_task(self._run_polled(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_polled(self, update: Any) -> None:
        try:
            await self.process(update)
        except Exception:  # noqa: BLE001 - one bad update must not stop the others
            log.exception("zalo: an update failed")
        finally:
            self._slots.release()

    async def process(self, update: Any) -> None:
        """One update, polled or from the webhook: checked, de-duplicated, answered."""
        event = read_event(update)
        if event is None:
            log.debug("zalo: an update without a chat message; ignored")
            return
        if event.from_bot or (self.bot_id is not None and event.user_id == self.bot_id):
            return  # the bot's own message echoed back: answering it would loop
        async with self._order.turn(event.chat_id):
            if not await self._first_sighting(event):
                log.info("zalo: message %s seen before; not run again", event.message_id)
                return
            await self._answer(event)

    async def _first_sighting(self, event: ZaloEvent) -> bool:
        """Whether this message is new; one the database cannot note down is answered anyway
        (a rare second answer beats none while the disk is full or the database is busy)."""
        if event.message_id is None:
            return True
        now = self.services.clock()
        try:
            await self._prune_seen(now)
            key = f"{event.chat_id}:{event.message_id}"
            return await seen_updates.first_sighting(self.services.db, self.name, key, now)
        except StorageError as problem:
            log.warning("zalo: message %s not noted as seen (%s); answering it", event.message_id, problem)
            return True

    async def _answer(self, event: ZaloEvent) -> None:
        if not event.is_text:
            if event.chat_kind == "private":
                self.send_replies(event.chat_id, event.chat_kind, [await self._text_only(event.chat_id)])
            return
        # In a group only a number answers a list: words like "xong" are everyday talk there.
        answers_list = event.chat_kind == "private" or event.text.strip().rstrip(".").isdigit()
        choice = self.choices.command_for(event.chat_id, event.text) if answers_list else None
        if choice is not None:
            incoming = self._incoming(event, choice, is_button=True)
        elif event.chat_kind == "private":
            incoming = self._incoming(event, typed_command(event.text), is_button=False)
        else:
            incoming = self._incoming(event, event.text, is_button=False)
        replies = await router.dispatch(self.services, incoming)
        self.send_replies(event.chat_id, event.chat_kind, [with_notice(r) for r in replies])

    def _incoming(self, event: ZaloEvent, text: str, *, is_button: bool) -> Incoming:
        return Incoming(
            messenger=self.name, chat_id=event.chat_id, chat_kind=event.chat_kind,
            user_id=event.user_id, text=text, is_button=is_button,
            # Zalo tells a bot nothing of a group's admins: any member may change its settings.
            can_manage=_anyone,
        )

    async def _text_only(self, chat_id: str) -> Reply:
        row = await chats.get_chat(self.services.db, self.name, chat_id)
        lang = row.lang if row is not None else messages.DEFAULT_LANG
        help_button = Button(messages.plain(lang, "menu.help"), "/trogiup")
        return Reply(messages.t(lang, "common.text_only"), ((help_button,),), lang=lang)

    async def _prune_seen(self, now: float) -> None:
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_EVERY_SECONDS
        await seen_updates.forget_before(self.services.db, now - SEEN_KEEP_SECONDS)

    def shown(self, chat_id: str, payloads: Sequence[dict[str, Any]]) -> None:
        """Remember the numbered list just shown; a reply without one closes the last."""
        listed = next((p for p in reversed(payloads) if p.get("choices")), None)
        if listed is None:
            self.choices.remember(chat_id, ())
        else:
            self.choices.remember(chat_id, listed["choices"], listed.get("choice_labels", ()))


async def _anyone() -> bool:
    return True
