"""The Bot API methods the bot uses, over the state they read and write.

A method ``fooBar`` is answered by ``_m_foobar(params)``, here or in another part (the update
queue answers the webhook methods); ``on`` replaces any method's answer for a test. Each runs
under the fake's lock and returns the ``result`` or raises ApiError, as Telegram would answer.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from typing import Any

from tests.fakes.telegram.chats import (
    MEMBER_STATUSES,
    chat_json,
    chat_key,
    member_json,
    user_json,
)
from tests.fakes.telegram.errors import NOT_MODIFIED, QUERY_TOO_OLD, ApiError
from tests.fakes.telegram.html_check import message_text
from tests.fakes.telegram.records import Message, Records

MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_CHARS = 200

# Methods answered with a plain ``true`` and no state.
_OK_METHODS = frozenset(
    m.lower()
    for m in (
        "close", "logOut", "setMyDescription", "setMyShortDescription", "setMyName",
        "setChatMenuButton", "setMyDefaultAdministratorRights", "leaveChat", "sendChatAction",
    )
)
# Inline keyboard buttons that do something without callback data.
_ACTION_BUTTON_FIELDS = (
    "url", "switch_inline_query", "login_url", "copy_text", "web_app",
    "switch_inline_query_current_chat", "callback_game", "pay",
)
_NOT_A_BUTTON = "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"


class BotApi(Records):
    """Messages, chats, users, members, command menus, button presses (a FakeTelegram part);
    the messages it sends go to the records."""

    def __init__(self, bot_user: dict, strict_chats: bool) -> None:
        self.bot_user = bot_user
        self.strict_chats = strict_chats  # True: sending to a chat never seen is "chat not found"
        self._next_message_id: dict[Any, int] = {}
        self._chats: dict[Any, dict] = {}
        self._users: dict[int, dict] = {}
        self._members: dict[tuple[Any, int], str] = {}
        self._commands: dict[tuple[str, str], list[dict]] = {}
        self._callbacks: dict[str, dict] = {}  # query id -> {"answered": bool, ...}
        self._callback_ids = itertools.count(1)
        self._hooks: dict[str, Callable[[dict], Any]] = {}

    @property
    def bot_username(self) -> str:
        return self.bot_user["username"]

    @property
    def bot_id(self) -> int:
        return self.bot_user["id"]

    # ------------------------------------------------------------------ scripting and reading

    def on(self, method: str, handler: Callable[[dict], Any]) -> None:
        """Answer ``method`` with ``handler(params)`` (a result, or raise ApiError)."""
        with self._lock:
            self._hooks[method.lower()] = handler

    def set_member_status(self, chat_id: int | str, user_id: int, status: str) -> None:
        """What getChatMember answers for (chat, user): creator, administrator, member, ..."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown member status {status!r}")
        with self._lock:
            self._members[(chat_key(chat_id), int(user_id))] = status

    def freeze_message(self, chat_id: int | str, message_id: int) -> None:
        """Make a message uneditable (as after 48 hours)."""
        with self._lock:
            self._messages[(chat_key(chat_id), message_id)].editable = False

    def commands(self, language_code: str = "", scope: dict | None = None) -> list[dict]:
        """The command menu set with setMyCommands for a language (and scope)."""
        params: dict[str, Any] = {"language_code": language_code}
        if scope:
            params["scope"] = scope
        with self._lock:
            return list(self._commands.get(_scope_key(params), []))

    def member_json(self, chat: Any, user: int) -> dict:
        """The ChatMember getChatMember answers for (chat, user)."""
        status = self._members.get((chat, user))
        if status is None:
            status = "administrator" if user == self.bot_id else "member"
        user_info = self.bot_user if user == self.bot_id else self._users.get(user) or user_json(user)
        return member_json(status, user_info)

    # ------------------------------------------------------------------ dispatch

    def _answer_method(self, method: str, params: dict) -> Any:
        """The result of one (lower-case) method; the caller holds the lock."""
        hook = self._hooks.get(method)
        if hook is not None:
            return hook(params)
        handler = getattr(self, f"_m_{method}", None)
        if handler is not None:
            return handler(params)
        if method in _OK_METHODS:
            return True
        raise ApiError(404, "Not Found")

    # ------------------------------------------------------------------ methods

    def _m_getme(self, params: dict) -> dict:
        return dict(self.bot_user)

    def _m_setmycommands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for cmd in commands:
            name = str(cmd.get("command", "")) if isinstance(cmd, dict) else ""
            if not (1 <= len(name) <= 32) or not all(c.islower() or c.isdigit() or c == "_" for c in name) or not name.isascii():
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not (1 <= len(str(cmd.get("description", ""))) <= 256):
                raise ApiError(400, "Bad Request: command description must be non-empty")
        self._commands[_scope_key(params)] = [dict(c) for c in commands]
        return True

    def _m_getmycommands(self, params: dict) -> list:
        return list(self._commands.get(_scope_key(params), []))

    def _m_deletemycommands(self, params: dict) -> bool:
        self._commands.pop(_scope_key(params), None)
        return True

    def _m_sendmessage(self, params: dict) -> dict:
        chat = params.get("chat_id")
        if chat is None or chat == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        html, plain, mode = message_text(params)
        markup = _check_markup(params.get("reply_markup"))
        message_id = self._new_message_id(chat)
        msg = Message(chat, message_id, html, plain, mode, markup, int(time.time()), params=params)
        self._messages[(chat, message_id)] = msg
        self._sent.append(msg)
        return self._message_json(msg)

    def _m_editmessagetext(self, params: dict) -> dict:
        msg = self._editable(params)
        html, plain, mode = message_text(params)
        markup = _check_markup(params.get("reply_markup"))
        if html == msg.html and mode == msg.parse_mode and markup == msg.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        msg.html, msg.text, msg.parse_mode, msg.reply_markup = html, plain, mode, markup
        msg.edits += 1
        return self._message_json(msg, edited=True)

    def _m_editmessagereplymarkup(self, params: dict) -> dict:
        msg = self._editable(params)
        markup = _check_markup(params.get("reply_markup"))
        if markup == msg.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        msg.reply_markup = markup
        msg.edits += 1
        return self._message_json(msg, edited=True)

    def _m_deletemessage(self, params: dict) -> bool:
        key = (params.get("chat_id"), params.get("message_id"))
        if self._messages.pop(key, None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _m_answercallbackquery(self, params: dict) -> bool:
        query = self._callbacks.get(str(params.get("callback_query_id", "")))
        if query is None or query["answered"]:
            raise ApiError(400, QUERY_TOO_OLD)
        if len(str(params.get("text") or "")) > MAX_CALLBACK_ANSWER_CHARS:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        query["answered"] = True
        return True

    def _m_getchatmember(self, params: dict) -> dict:
        chat, user = params.get("chat_id"), params.get("user_id")
        if not isinstance(user, int):
            raise ApiError(400, "Bad Request: invalid user_id specified")
        return self.member_json(chat, user)

    def _m_getchat(self, params: dict) -> dict:
        chat = params.get("chat_id")
        info = dict(self._chats.get(chat) or chat_json(chat))
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                "premium_subscription": False, "gifts_from_channels": False,
            },
        )
        return info

    def _m_getchatadministrators(self, params: dict) -> list:
        chat = params.get("chat_id")
        return [
            self.member_json(chat, user)
            for (c, user), status in self._members.items()
            if c == chat and status in ("creator", "administrator")
        ]

    # ------------------------------------------------------------------ state helpers

    def _editable(self, params: dict) -> Message:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        msg = self._messages.get((params.get("chat_id"), params.get("message_id")))
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not msg.editable:
            raise ApiError(400, "Bad Request: message can't be edited")
        return msg

    def _new_message_id(self, chat: Any) -> int:
        """The chat's next message id (the bot's and the users' messages share the sequence)."""
        with self._lock:
            value = self._next_message_id.get(chat, 1)
            self._next_message_id[chat] = value + 1
        return value

    def _message_json(self, msg: Message, *, edited: bool = False) -> dict:
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": self.bot_user,
            "chat": self._chats.get(msg.chat_id) or chat_json(msg.chat_id),
            "date": msg.date,
            "text": msg.text,
        }
        if msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        if edited:
            data["edit_date"] = int(time.time())
        return data

    def _remember_chat(self, chat_id: Any, chat_type: str | None, title: str | None, user: dict | None) -> dict:
        chat = chat_json(chat_id, chat_type, title, user)
        with self._lock:
            self._chats[chat_id] = chat
        return chat

    def _remember_user(self, user_id: int, language_code: str | None, first_name: str | None, username: str | None) -> dict:
        user = user_json(user_id, language_code, first_name, username)
        with self._lock:
            self._users[user_id] = user
        return user


def _check_markup(markup: Any) -> dict | None:
    """An inline keyboard as Telegram checks it (labels, 1–64 bytes of callback data)."""
    if markup is None:
        return None
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object") from None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: field \"inline_keyboard\" must be an Array of Arrays")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                raise ApiError(400, _NOT_A_BUTTON)
            data = button.get("callback_data")
            if data is not None and not (1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES):
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if data is None and not any(k in button for k in _ACTION_BUTTON_FIELDS):
                raise ApiError(400, _NOT_A_BUTTON)
    return markup if rows else None


def _scope_key(params: dict) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    if isinstance(scope, str):
        scope = json.loads(scope)
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")
