"""Telegram through python-telegram-bot 22: updates become ``Incoming`` for handlers.router,
replies go back as HTML messages with inline keyboards.

The adapter runs inside the caller's event loop (``start``/``stop``, never ``run_polling``) so the
poller, the delivery worker and the scheduler share one loop. Updates of one chat are handled in
order; different chats concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import logging
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Sequence
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    Chat,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest
from telegram.warnings import PTBDeprecationWarning

from bot.core import messages
from handlers import router
from handlers.parsing import parse_command
from handlers.types import Button, Incoming, Reply, Services
from storage import chats

log = logging.getLogger(__name__)

MESSENGER = "telegram"
ANONYMOUS_ADMIN_ID = 1087968824  # "GroupAnonymousBot": sender of anonymous admins' messages
ALLOWED_UPDATES = ["message", "channel_post", "callback_query", "my_chat_member", "chat_member"]
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
MAX_NOTICE_CHARS = 200  # answerCallbackQuery text limit
MAX_REPLY_RETRY_AFTER = 30.0  # wait out a 429 on a reply at most this long, once
_MANAGERS = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})
_PRESENT = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER})
_CANNOT_EDIT = ("can't be edited", "message to edit not found", "no text in the message")


def _update_chat(update: object) -> int | None:
    return update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None


class PerChatOrder(BaseUpdateProcessor):
    """Updates of one chat one after another, in arrival order; different chats concurrently.

    Also remembers the ids of the last few thousand updates handled, for ``wait_handled``.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int | None, tuple[asyncio.Lock, list[int]]] = {}
        self._handled: deque[int] = deque(maxlen=4096)
        self._progress = asyncio.Event()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _update_chat(update)
        lock, users = self._locks.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                await coroutine
        finally:
            users[0] -= 1
            if users[0] == 0:
                self._locks.pop(key, None)
            if isinstance(update, Update):
                self._handled.append(update.update_id)
            progress, self._progress = self._progress, asyncio.Event()
            progress.set()

    async def wait_handled(self, update_id: int, timeout: float) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while update_id not in self._handled:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"update {update_id} not handled within {timeout} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait(), remaining)

    async def initialize(self) -> None:
        """Nothing to set up: the ordering state lives in plain attributes."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def _seconds(value: object) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)  # type: ignore[arg-type]


def _retry_after(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the int form will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        return _seconds(exc.retry_after)


def file_url_for(base_url: str) -> str:
    """Telegram's file URL next to an API base URL: ".../bot" → ".../file/bot"."""
    return base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in rows if row]
    )


def _present(member: ChatMember) -> bool:
    if member.status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "is_member", False))
    return member.status in _PRESENT


class TelegramAdapter:
    """The bot on Telegram: polling, command dispatch, replies, membership changes."""

    messenger = MESSENGER

    def __init__(
        self,
        services: Services,
        *,
        token: str,
        base_url: str,
        base_file_url: str | None = None,
        poll_timeout: int = 30,
        admin_cache_seconds: float = 300,
        max_concurrent_updates: int = 64,
        request: BaseRequest | None = None,
    ) -> None:
        if not token:
            raise ValueError("a Telegram bot token is required ([telegram].token or TELEGRAM_BOT_TOKEN)")
        # httpx logs every request URL at INFO, and Bot API URLs carry the token.
        httpx_log = logging.getLogger("httpx")
        httpx_log.setLevel(max(httpx_log.getEffectiveLevel(), logging.WARNING))
        self.services = services
        self.poll_timeout = poll_timeout
        self.admin_cache_seconds = admin_cache_seconds
        self._managers: dict[tuple[int, int], tuple[bool, float]] = {}
        self._order = PerChatOrder(max_concurrent_updates)
        self._running = False
        builder = (
            ApplicationBuilder()
            .token(token)
            .base_url(base_url)
            .base_file_url(base_file_url or file_url_for(base_url))
            .concurrent_updates(self._order)
            .job_queue(None)
        )
        self._request = request
        if request is not None:  # e.g. AiohttpRequest, for bulk sending
            builder = builder.request(request)
        self.application: Application = builder.build()
        app = self.application
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self._on_migrate))
        app.add_handler(ChatMemberHandler(self._on_my_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_handler(ChatMemberHandler(self._on_member_change, ChatMemberHandler.CHAT_MEMBER))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.UpdateType.EDITED, self._on_text))
        app.add_error_handler(self._on_error)

    @property
    def bot(self):  # -> telegram.ext.ExtBot
        """The Bot API client; the delivery worker sends through it."""
        return self.application.bot

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Connect (getMe), publish the command menus, start polling in the running loop."""
        await self.application.initialize()
        self._running = True
        self.services.extra["bot_username"] = self.bot.username
        await self._publish_commands()
        await self.application.start()
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
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def wait_handled(self, update_id: int, timeout: float = 5.0) -> None:
        """Wait until an update has been handled (replies sent); raises TimeoutError."""
        await self._order.wait_handled(update_id, timeout)

    async def _publish_commands(self) -> None:
        """setMyCommands: Vietnamese by default, English for English clients, operators' extras."""
        public = router.COMMANDS
        operators = [*router.COMMANDS, *router.ADMIN_COMMANDS]
        admins = sorted(self.services.config.telegram.admins)
        for lang_code, lang in ((None, "vi"), ("en", "en")):
            menus: list[tuple[Any, list]] = [(None, public)]
            menus += [(BotCommandScopeChat(int(a)), operators) for a in admins if a.lstrip("-").isdigit()]
            for scope, specs in menus:
                commands = [BotCommand(spec.name, spec.description(lang)) for spec in specs]
                try:
                    await self.bot.set_my_commands(commands, scope=scope, language_code=lang_code)
                except TelegramError as exc:  # e.g. an operator who never opened the bot
                    log.warning("telegram: setMyCommands (%s, %s) failed: %s", scope, lang_code, exc)

    # ------------------------------------------------------------------ updates

    def _incoming(self, chat: Chat, user: User | None, text: str, *, is_button: bool, sender_chat: Chat | None = None) -> Incoming:
        async def can_manage() -> bool:
            return await self._can_manage(chat, user, sender_chat)

        return Incoming(
            messenger=MESSENGER,
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
        incoming = self._incoming(chat, message.from_user, message.text, is_button=False, sender_chat=message.sender_chat)
        replies = await router.dispatch(self.services, incoming)
        await self._send_replies(chat.id, replies)

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
        target = query.message if isinstance(query.message, Message) and query.message.is_accessible else None
        await self._send_replies(chat.id, replies, edit=target)

    async def _on_my_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None:
            return
        chat, was_in, is_in = change.chat, _present(change.old_chat_member), _present(change.new_chat_member)
        if is_in and not was_in:
            if chat.type == ChatType.PRIVATE:
                return  # a user unblocked the bot: the /start that follows reactivates the chat
            replies = await router.chat_joined(self.services, self._incoming(chat, change.from_user, "", is_button=False))
            await self._send_replies(chat.id, replies)
        elif was_in and not is_in:
            status = change.new_chat_member.status
            reason = "blocked" if chat.type == ChatType.PRIVATE else str(status)
            await router.chat_left(self.services, MESSENGER, str(chat.id), reason)

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
        await router.chat_migrated(self.services, MESSENGER, str(old), str(new))

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

    # ------------------------------------------------------------------ replies

    async def _send_replies(self, chat_id: int, replies: Sequence[Reply], *, edit: Message | None = None) -> None:
        """Send replies in order; the first ``edit`` reply to a button press edits its message."""
        for reply in replies:
            if reply.edit and edit is not None:
                target, edit = edit, None
                if await self._edit(target, reply):
                    continue
            if await self._send(chat_id, reply) is None:
                return  # the chat is gone (blocked, kicked): no point in the rest

    async def _edit(self, message: Message, reply: Reply) -> bool:
        """Edit a message in place; False when it cannot be edited (send a new one instead)."""
        try:
            await self.bot.edit_message_text(
                reply.text,
                chat_id=message.chat.id,
                message_id=message.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(reply.buttons),
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as exc:
            text = str(exc).lower()
            if "not modified" in text:
                return True  # the message already shows exactly this
            if any(reason in text for reason in _CANNOT_EDIT):
                return False
            raise
        return True

    async def _send(self, chat_id: int, reply: Reply) -> Message | None:
        """sendMessage, surviving one short 429 and a group's upgrade; None when the chat is gone."""
        target = chat_id
        for attempt in range(3):
            try:
                return await self.bot.send_message(
                    target,
                    reply.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard(reply.buttons),
                    link_preview_options=NO_PREVIEW,
                )
            except RetryAfter as exc:
                wait = _retry_after(exc)
                if attempt or wait > MAX_REPLY_RETRY_AFTER:
                    raise
                await asyncio.sleep(wait)
            except ChatMigrated as exc:
                if target == exc.new_chat_id:
                    raise
                await router.chat_migrated(self.services, MESSENGER, str(target), str(exc.new_chat_id))
                target = exc.new_chat_id
            except Forbidden as exc:
                log.info("telegram: chat %s is gone: %s", target, exc)
                reason = "blocked" if target > 0 else "kicked"
                await router.chat_left(self.services, MESSENGER, str(target), reason)
                return None
        raise RuntimeError(f"telegram: could not send to chat {chat_id}")  # not reached in practice

    async def _answer(self, query: Any, notice: str | None) -> None:
        try:
            await query.answer(notice[:MAX_NOTICE_CHARS] if notice else None)
        except BadRequest as exc:  # too late (> ~15 s) or answered already: nothing to show
            log.info("telegram: answerCallbackQuery failed: %s", exc)

    # ------------------------------------------------------------------ errors

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log (no token, no traceback in chats), tell the chat something went wrong, carry on."""
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("telegram: update %s failed: %r", update_id, error, exc_info=error)
        if not isinstance(update, Update) or isinstance(error, Forbidden):
            return
        if update.callback_query is not None:
            await self._answer(update.callback_query, None)
        chat = update.effective_chat
        if chat is None:
            return
        user = update.effective_user
        lang = messages.normalize_lang(user.language_code if user else None)
        try:
            row = await chats.get_chat(self.services.db, MESSENGER, str(chat.id))
            if row is not None:
                lang = row.lang
            await self.bot.send_message(chat.id, messages.t(lang, "common.error"))
        except Exception as exc:  # noqa: BLE001 - an error handler must not fail
            log.warning("telegram: could not report the error to chat %s: %r", chat.id, exc)

    def _on_polling_error(self, error: TelegramError) -> None:
        log.warning("telegram: polling failed, retrying: %s", error)

