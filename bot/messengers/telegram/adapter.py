"""Telegram through python-telegram-bot 22: updates become ``Incoming`` for the handlers.

The adapter runs inside the caller's event loop (``start``/``stop``, never ``run_polling``) so the
poller, the delivery worker and the scheduler share one loop. Replies leave through the
delivery worker (``Messenger.handle``), like every other message; only the answer to a button
press (its toast) goes straight back, as Telegram wants it within seconds.
"""

from __future__ import annotations

import contextlib
import datetime as dtm
import logging
import time
from typing import Any

from telegram import Chat, ChatMember, Message, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.core import messages
from bot.delivery.profile import Profile
from bot.messengers.base import Messenger, StartFailed
from bot.messengers.telegram.menus import publish_commands
from bot.messengers.telegram.ordering import PerChatOrder
from bot.messengers.telegram.sender import TelegramSender
from bot.messengers.telegram.webhook import TelegramWebhook, WebhookSettings
from bot.web.server import Route
from handlers import router
from handlers.parsing import parse_command
from handlers.types import Incoming, Reply, Services
from storage import chats

log = logging.getLogger(__name__)

ANONYMOUS_ADMIN_ID = 1087968824  # "GroupAnonymousBot": sender of anonymous admins' messages
ALLOWED_UPDATES = ["message", "channel_post", "callback_query", "my_chat_member", "chat_member"]
MAX_NOTICE_CHARS = 200  # answerCallbackQuery text limit
_MANAGERS = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})
_PRESENT = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER})


def file_url_for(base_url: str) -> str:
    """Telegram's file URL next to an API base URL: ".../bot" → ".../file/bot"."""
    return base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url


def _present(member: ChatMember) -> bool:
    if member.status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "is_member", False))
    return member.status in _PRESENT


class TelegramMessenger(Messenger):
    """The bot on Telegram: polling, command dispatch, membership changes."""

    def __init__(
        self,
        services: Services,
        profile: Profile,
        *,
        token: str,
        base_url: str,
        base_file_url: str | None = None,
        poll_timeout: int = 30,
        admins: frozenset[str] = frozenset(),
        admin_cache_seconds: float = 300,
        max_concurrent_updates: int = 64,
        request: BaseRequest | None = None,
        webhook: WebhookSettings | None = None,
    ) -> None:
        if not token:
            raise ValueError("a Telegram bot token is required (TELEGRAM_BOT_TOKEN)")
        super().__init__(services, profile)
        # httpx logs every request URL at INFO, and Bot API URLs carry the token.
        httpx_log = logging.getLogger("httpx")
        httpx_log.setLevel(max(httpx_log.getEffectiveLevel(), logging.WARNING))
        self.poll_timeout = poll_timeout
        self.base_url = base_url
        self.admins = admins
        self.admin_cache_seconds = admin_cache_seconds
        self._managers: dict[tuple[int, int], tuple[bool, float]] = {}
        self._running = False
        self._request = request
        builder = (
            ApplicationBuilder()
            .token(token)
            .base_url(base_url)
            .base_file_url(base_file_url or file_url_for(base_url))
            .concurrent_updates(PerChatOrder(max_concurrent_updates))
            .job_queue(None)
        )
        if request is not None:  # e.g. AiohttpRequest, for bulk sending
            builder = builder.request(request)
        self.application: Application = builder.build()
        self._sender = TelegramSender(self.application.bot)
        app = self.application
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self._on_migrate))
        app.add_handler(ChatMemberHandler(self._on_my_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_handler(ChatMemberHandler(self._on_member_change, ChatMemberHandler.CHAT_MEMBER))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.UpdateType.EDITED, self._on_text))
        app.add_error_handler(self._on_error)
        self.webhook = None if webhook is None else TelegramWebhook(app, **webhook._asdict())

    @property
    def bot(self):  # -> telegram.ext.ExtBot
        return self.application.bot

    @property
    def sender(self) -> TelegramSender:
        return self._sender

    def routes(self) -> list[Route]:
        return [] if self.webhook is None else [self.webhook.route()]

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Connect (getMe), publish the command menus, start polling in the running loop."""
        try:
            await self.application.initialize()
        except InvalidToken:
            raise StartFailed("[telegram]: the Bot API rejected the token (TELEGRAM_BOT_TOKEN)") from None
        except NetworkError as exc:  # also TimedOut, and answers that are not the Bot API's JSON
            reason = self.sender.scrub(str(exc)).removeprefix("Unknown error in HTTP implementation: ")[:200]
            raise StartFailed(f"[telegram]: cannot reach the Bot API at {self.base_url}: {reason}") from None
        self._running = True
        await publish_commands(self.bot, self.admins)
        await self.application.start()
        if self.webhook is not None:
            self.webhook.ready = True
            try:
                await self.webhook.register(ALLOWED_UPDATES)
            except TelegramError as exc:
                raise StartFailed(f"[telegram].webhook_url: setWebhook refused: {self.sender.scrub(str(exc))}") from None
            return
        await self.application.updater.start_polling(
            timeout=dtm.timedelta(seconds=self.poll_timeout),
            drop_pending_updates=False,
            allowed_updates=ALLOWED_UPDATES,
            error_callback=self._on_polling_error,
        )
        log.info("telegram: polling as @%s", self.bot.username)

    async def stop(self) -> None:
        """Stop polling, finish the updates in hand, close the HTTP client; safe to call twice."""
        if not self._running:
            # A start that failed half-way (getMe refused) still holds HTTP sessions.
            with contextlib.suppress(Exception):
                await self.application.shutdown()
                if self._request is not None:
                    await self._request.shutdown()
            return
        self._running = False
        await self.stop_receiving()
        await self.application.shutdown()

    async def stop_receiving(self) -> None:
        """Stop polling (or refuse webhook posts) and finish the updates in hand."""
        if self.webhook is not None:
            self.webhook.ready = False
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()

    # ------------------------------------------------------------------ updates

    def _incoming(self, chat: Chat, user: User | None, text: str, *, is_button: bool, sender_chat: Chat | None = None) -> Incoming:
        async def can_manage() -> bool:
            return await self._can_manage(chat, user, sender_chat)

        return Incoming(
            messenger=self.name,
            chat_id=str(chat.id),
            chat_kind=chat.type,
            chat_title="" if chat.type == ChatType.PRIVATE else (chat.title or ""),
            user_id=str(user.id) if user else None,
            user_lang=user.language_code if user else None,
            text=text,
            is_button=is_button,
            can_manage=can_manage,
        )

    def _addressed_to_us(self, chat: Chat, text: str) -> bool:
        """In groups, commands for other bots (or unknown ones not addressed to us) are not ours."""
        parsed = parse_command(text)
        if parsed is None:
            return True  # plain text: the router decides (answers to an open question only)
        if parsed.bot:
            return parsed.bot.lower() == (self.bot.username or "").lower()
        return chat.type == ChatType.PRIVATE or router.find_command(parsed.name) is not None

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None or message.text is None:
            return
        if not self._addressed_to_us(chat, message.text):
            return
        await self.handle(self._incoming(chat, message.from_user, message.text, is_button=False, sender_chat=message.sender_chat))

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        if query.message is None:  # a button on an inline-mode message: not ours to handle
            await self._answer(query, None)
            return
        chat = query.message.chat
        incoming = self._incoming(chat, query.from_user, query.data or "", is_button=True)
        replies = await router.dispatch(self.services, incoming)
        # Answer first: it stops the button's spinner, and must come within seconds.
        await self._answer(query, next((r.notice for r in replies if r.notice), None))
        # Older than 48 hours, Telegram sends the message without content (date 0): not editable.
        editable = isinstance(query.message, Message) and query.message.is_accessible
        edit = str(query.message.message_id) if editable else None
        self.send_replies(str(chat.id), chat.type, replies, edit_message_id=edit)

    async def _on_my_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None:
            return
        chat, was_in, is_in = change.chat, _present(change.old_chat_member), _present(change.new_chat_member)
        if is_in and not was_in:
            if chat.type == ChatType.PRIVATE:
                return  # a user unblocked the bot: the /start that follows reactivates the chat
            incoming = self._incoming(chat, change.from_user, "", is_button=False)
            self.send_replies(str(chat.id), chat.type, await router.chat_joined(self.services, incoming))
        elif was_in and not is_in:
            status = change.new_chat_member.status
            reason = "blocked" if chat.type == ChatType.PRIVATE else str(status)
            await router.chat_left(self.services, self.name, str(chat.id), reason)

    async def _on_member_change(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Someone's rights changed (seen when the bot is an admin): forget the cached answer."""
        change = update.chat_member
        if change is not None:
            self._managers.pop((change.chat.id, change.new_chat_member.user.id), None)

    async def _on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        if message.migrate_to_chat_id:
            old, new = message.chat.id, message.migrate_to_chat_id
        elif message.migrate_from_chat_id:  # the new supergroup's side; a no-op after the first
            old, new = message.migrate_from_chat_id, message.chat.id
        else:
            return
        await router.chat_migrated(self.services, self.name, str(old), str(new))

    # ------------------------------------------------------------------ who may change settings

    async def _can_manage(self, chat: Chat, user: User | None, sender_chat: Chat | None) -> bool:
        """Private chat: yes. Group: creator or administrator (asked once per admin_cache_seconds)."""
        if chat.type == ChatType.PRIVATE:
            return True
        if sender_chat is not None:
            # An anonymous admin posts as the group itself (a channel as itself); a linked
            # channel's post is some other chat and changes nothing.
            return sender_chat.id == chat.id
        if chat.type == ChatType.CHANNEL or user is None or user.id == ANONYMOUS_ADMIN_ID:
            return False
        key, now = (chat.id, user.id), time.monotonic()
        cached = self._managers.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            member = await self.bot.get_chat_member(chat.id, user.id)
        except TelegramError as exc:
            log.warning("telegram: getChatMember failed for chat %s: %s", chat.id, exc)
            return False
        allowed = member.status in _MANAGERS
        if len(self._managers) > 10_000:
            self._managers = {k: v for k, v in self._managers.items() if v[1] > now}
        self._managers[key] = (allowed, now + self.admin_cache_seconds)
        return allowed

    async def _answer(self, query: Any, notice: str | None) -> None:
        try:
            await query.answer(notice[:MAX_NOTICE_CHARS] if notice else None)
        except TelegramError as exc:  # too late (> ~15 s), answered already, or unreachable
            log.info("telegram: answerCallbackQuery failed: %s", exc)

    # ------------------------------------------------------------------ errors

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log (no token, no traceback in chats), tell the chat something went wrong, carry on."""
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("telegram: update %s failed: %r", update_id, error, exc_info=error)
        if not isinstance(update, Update):
            return
        if update.callback_query is not None:
            await self._answer(update.callback_query, None)
        chat = update.effective_chat
        if chat is None:
            return
        user = update.effective_user
        lang = messages.normalize_lang(user.language_code if user else None)
        with contextlib.suppress(Exception):  # an error handler must not fail
            row = await chats.get_chat(self.services.db, self.name, str(chat.id))
            lang = row.lang if row is not None else lang
        reply = Reply(messages.t(lang, "common.error"), lang=lang)
        self.send_replies(str(chat.id), chat.type, [reply])

    def _on_polling_error(self, error: TelegramError) -> None:
        log.warning("telegram: polling failed, retrying: %s", error)

