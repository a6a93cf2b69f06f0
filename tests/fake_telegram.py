"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests and benchmarks.

A real HTTP/1.1 server (asyncio, in its own thread), so python-telegram-bot talks to it through
its own httpx stack: ``Bot(token, base_url=server.base_url)``. It keeps what a user would see
(messages per chat, edits, button answers), validates requests the way Telegram does (HTML
entities, 4096 UTF-16 units, 64-byte callback data, ...) and can be scripted to fail (429, 403,
400 chat not found, migrated chats, 502, slow answers, an optional rate enforcer).

    server = FakeTelegram(); server.start()
    server.push_message(42, "/start")                  # queued for getUpdates
    await server.wait_sent(42)                         # event-driven, bounded
    assert "Chào" in server.sent(42)[0]
    server.fail("flood", retry_after=3, times=2)       # next two sends answer 429
    server.stop()

Chat ids are ints (strings of digits are converted); positive ids are private chats, ids
starting with -100 supergroups (or channels), other negative ids basic groups.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

ANONYMOUS_ADMIN_ID = 1087968824  # "GroupAnonymousBot": the sender of anonymous admins' messages
SERVICE_USER_ID = 777000  # "Telegram": the sender of automatic forwards from a linked channel
DEFAULT_BOT_ID = 5550001
DEFAULT_BOT_USERNAME = "diemtin_test_bot"
DEFAULT_GROUP_USER = 20001  # who speaks in a group when no user_id is given

MAX_TEXT_UTF16 = 4096
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_CHARS = 200

# Methods that put something in a chat: the ones faults, blocks and the rate enforcer act on.
SEND_METHODS = frozenset(
    m.lower()
    for m in (
        "sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto", "sendDocument",
        "copyMessage", "forwardMessage", "sendChatAction", "deleteMessage", "pinChatMessage",
    )
)
# Methods that count against Telegram's flood limits.
_RATED_METHODS = frozenset(
    m.lower() for m in ("sendMessage", "sendPhoto", "sendDocument", "copyMessage", "forwardMessage")
)
_CHAT_METHODS = SEND_METHODS | {"getchat", "getchatmember", "leavechat"}
_OK_METHODS = frozenset(
    m.lower()
    for m in (
        "close", "logOut", "setMyDescription", "setMyShortDescription", "setMyName",
        "setChatMenuButton", "setMyDefaultAdministratorRights", "leaveChat",
    )
)
# Form fields whose value is a plain string (everything else is JSON-decoded, as PTB encodes it).
_RAW_FIELDS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "language_code", "url", "data",
        "query", "description", "short_description", "name", "title", "custom_title",
        "inline_message_id", "business_connection_id", "message_effect_id", "emoji", "photo",
        "document", "action",
    }
)
_CHAT_ID_FIELDS = frozenset({"chat_id", "from_chat_id"})

_ALLOWED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span",
        "tg-spoiler", "tg-emoji", "blockquote",
    }
)
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_MEMBER_FIELDS: dict[str, dict[str, Any]] = {
    "creator": {"is_anonymous": False},
    "administrator": dict.fromkeys(
        (
            "can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
            "can_manage_video_chats", "can_restrict_members", "can_promote_members",
            "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
            "can_delete_stories",
        ),
        False,
    ),
    "member": {},
    "restricted": {
        **dict.fromkeys(
            (
                "can_change_info", "can_invite_users", "can_pin_messages", "can_send_messages",
                "can_send_polls", "can_send_other_messages", "can_add_web_page_previews",
                "can_manage_topics", "can_send_audios", "can_send_documents", "can_send_photos",
                "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_edit_tag",
                "can_react_to_messages",
            ),
            False,
        ),
        "is_member": True,
        "until_date": 0,
    },
    "left": {},
    "kicked": {"until_date": 0},
}
MEMBER_STATUSES = frozenset(_MEMBER_FIELDS)


# ----------------------------------------------------------------------------- records


class ApiError(Exception):
    """An error answer: ``{"ok": false, "error_code": status, "description": ...}``."""

    def __init__(self, status: int, description: str, parameters: dict | None = None, *, raw: bytes | None = None):
        super().__init__(description)
        self.status, self.description, self.parameters, self.raw = status, description, parameters, raw

    def body(self) -> bytes:
        if self.raw is not None:
            return self.raw
        payload: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            payload["parameters"] = self.parameters
        return json.dumps(payload).encode()

    @classmethod
    def make(cls, kind: str, *, retry_after: int = 1, migrate_to: int | None = None, description: str | None = None) -> ApiError:
        """A typical Telegram error by name: flood, blocked, chat_not_found, migrated, bad_gateway, ..."""
        if kind in ("flood", "429"):
            return cls(429, description or f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        if kind in ("blocked", "403"):
            return cls(403, description or "Forbidden: bot was blocked by the user")
        if kind == "kicked":
            return cls(403, description or "Forbidden: bot was kicked from the group chat")
        if kind == "chat_not_found":
            return cls(400, description or "Bad Request: chat not found")
        if kind == "migrated":
            if migrate_to is None:
                raise ValueError("kind 'migrated' needs migrate_to")
            return cls(400, description or "Bad Request: group chat was upgraded to a supergroup chat", {"migrate_to_chat_id": migrate_to})
        if kind in ("bad_gateway", "502"):
            return cls(502, "Bad Gateway", raw=b"<html><body><h1>502 Bad Gateway</h1></body></html>")
        if kind in ("server_error", "500"):
            return cls(500, description or "Internal Server Error")
        if kind in ("bad_request", "400"):
            return cls(400, description or "Bad Request")
        if kind == "not_modified":
            return cls(400, description or _NOT_MODIFIED)
        if kind == "cant_edit":
            return cls(400, description or "Bad Request: message can't be edited")
        raise ValueError(f"unknown error kind {kind!r}")


_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a content and reply markup of the current message"
)
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


@dataclass
class ApiCall:
    """One request as the server saw it, with its outcome."""

    method: str  # as sent (PTB: camelCase)
    params: dict[str, Any]
    at: float  # time.monotonic() when answered
    status: int = 200
    result: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> int | str | None:
        return self.params.get("chat_id")


@dataclass
class Message:
    """A message the bot sent, in its current state (edits applied)."""

    chat_id: int | str
    message_id: int
    html: str  # the text as sent (HTML when parse_mode is HTML)
    text: str  # what the user reads: entities parsed, tags gone
    parse_mode: str | None = None
    reply_markup: dict | None = None
    date: int = 0
    edits: int = 0
    editable: bool = True
    params: dict = field(default_factory=dict, repr=False)

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Inline keyboard rows as (text, callback_data or url)."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [[(b.get("text", ""), b.get("callback_data", b.get("url"))) for b in row] for row in rows]

    def button_data(self, label_part: str | None = None) -> list[str]:
        """Callback data of every button (or of those whose text contains ``label_part``)."""
        return [
            data
            for row in self.buttons
            for text, data in row
            if data is not None and (label_part is None or label_part.casefold() in text.casefold())
        ]


@dataclass
class Rule:
    """A scripted behaviour: an error or a delay for matching requests."""

    error: ApiError | None
    delay: float = 0.0
    chat_id: int | str | None = None
    methods: frozenset[str] | None = None  # lower-case; None: every send method
    remaining: int | None = 1  # None: forever
    hits: int = 0

    def matches(self, method: str, chat_id: Any) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if method not in (self.methods if self.methods is not None else SEND_METHODS):
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def use(self) -> None:
        self.hits += 1
        if self.remaining is not None:
            self.remaining -= 1


class _Bucket:
    __slots__ = ("rate", "capacity", "tokens", "stamp")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate, self.capacity, self.tokens, self.stamp = rate, capacity, capacity, now

    def wait(self, now: float) -> float:
        """Seconds until a token is free (0: one is free now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class RateLimits:
    """Telegram-like flood limits; exceeding one answers 429 with a retry_after."""

    global_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    group_per_minute: float | None = 20.0
    global_burst: float | None = None  # None: one second's worth


# ----------------------------------------------------------------------------- HTML entities


class _EntityError(Exception):
    pass


class _TelegramHTML(HTMLParser):
    """Telegram's HTML parse mode: a few tags, four named entities; anything else is an error."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self.source = source
        self.stack: list[str] = []
        self.parts: list[str] = []

    def _offset(self) -> int:
        line, col = self.getpos()
        lines = self.source.split("\n")
        chars = sum(len(x) + 1 for x in lines[: line - 1]) + col
        return len(self.source[:chars].encode())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            raise _EntityError(f'Unsupported start tag "{tag}" at byte offset {self._offset()}')
        if tag == "span" and dict(attrs).get("class") != "tg-spoiler":
            raise _EntityError(f'Tag "span" must have class "tg-spoiler" at byte offset {self._offset()}')
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise _EntityError(f'Unsupported start tag "{tag}" at byte offset {self._offset()}')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise _EntityError(f"Unexpected end tag at byte offset {self._offset()}")
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_entityref(self, name: str) -> None:
        self.parts.append(_NAMED_ENTITIES.get(name, f"&{name};"))

    def handle_charref(self, name: str) -> None:
        try:
            self.parts.append(chr(int(name[1:], 16) if name[:1] in "xX" else int(name)))
        except (ValueError, OverflowError):
            self.parts.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        raise _EntityError(f"Unsupported start tag at byte offset {self._offset()}")

    handle_decl = handle_pi = handle_comment

    def unknown_decl(self, data: str) -> None:
        raise _EntityError(f"Unsupported start tag at byte offset {self._offset()}")


def html_to_text(source: str) -> str:
    """The plain text a user sees for Telegram HTML; raises ApiError like Telegram on bad markup."""
    if "<" not in source and "&" not in source:
        return source
    parser = _TelegramHTML(source)
    try:
        parser.feed(source)
        parser.close()
    except _EntityError as exc:
        raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
    if parser.stack:
        raise ApiError(
            400,
            f'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"',
        )
    return "".join(parser.parts)


def utf16_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


# ----------------------------------------------------------------------------- the server


def chat_key(chat_id: Any) -> int | str:
    """Chat ids as Telegram compares them: ints, or '@username' strings."""
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id).strip()
    try:
        return int(text)
    except ValueError:
        return text


def chat_type_for(chat_id: int | str) -> str:
    if isinstance(chat_id, str):
        return "channel"
    if chat_id > 0:
        return "private"
    return "supergroup" if str(chat_id).startswith("-100") else "group"


class FakeTelegram:
    """A fake Bot API server; ``start()`` it, point PTB at ``base_url``, ``stop()`` it."""

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_id: int = DEFAULT_BOT_ID,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_name: str = "Điểm tin (test)",
        max_poll_seconds: float = 2.0,
        record: bool = True,
        strict_chats: bool = False,
    ) -> None:
        self.token = token  # None: accept any token
        self.bot_user = {
            "id": bot_id, "is_bot": True, "first_name": bot_name, "username": bot_username,
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.max_poll_seconds = max_poll_seconds
        self.record = record
        self.strict_chats = strict_chats  # True: sending to a chat never seen is "chat not found"
        self.port = 0

        self._lock = threading.RLock()
        self._calls: list[ApiCall] = []
        self._sent: list[Message] = []  # successful sendMessage, in order
        self._messages: dict[tuple[Any, int], Message] = {}
        self._next_message_id: dict[Any, int] = {}
        self._updates: list[dict] = []
        self._update_ids = itertools.count(10001)
        self._confirmed_below = 0
        self._allowed_updates: list[str] | None = None
        self._callbacks: dict[str, dict] = {}  # query id -> {"answered": bool, ...}
        self._callback_ids = itertools.count(1)
        self._members: dict[tuple[Any, int], str] = {}
        self._chats: dict[Any, dict] = {}
        self._users: dict[int, dict] = {}
        self._commands: dict[tuple[str, str], list[dict]] = {}
        self._rules: list[Rule] = []
        self._blocked: set[Any] = set()
        self._missing: set[Any] = set()
        self._migrated: dict[Any, int] = {}
        self._limits: RateLimits | None = None
        self._buckets: dict[Any, _Bucket] = {}
        self._global_bucket: _Bucket | None = None
        self._hooks: dict[str, Callable[[dict], Any]] = {}
        self.flood_count = 0  # 429 answers given (scripted and enforced)
        self.waiting_polls = 0  # getUpdates calls waiting for an update right now

        self._watchers: list[Callable[[], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._new_updates: asyncio.Event | None = None
        self._stopping = False

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def bot_username(self) -> str:
        return self.bot_user["username"]

    @property
    def bot_id(self) -> int:
        return self.bot_user["id"]

    def start(self) -> FakeTelegram:
        """Listen on 127.0.0.1 (a free port) in a background thread; returns when ready."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._listen())
            except BaseException as exc:  # noqa: BLE001 - reported to start()
                failure.append(exc)
                ready.set()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name="fake-telegram", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    async def _listen(self) -> None:
        self._new_updates = asyncio.Event()
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0, limit=1 << 20)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        """Close every connection and the listening socket; join the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        self._stopping = True

        async def shutdown() -> None:
            self._wake_pollers()
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                writer.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        thread.join(10)
        self._notify()

    async def astart(self) -> FakeTelegram:
        return await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> FakeTelegram:
        return await self.astart()

    async def __aexit__(self, *exc: object) -> None:
        await self.astop()

    # ------------------------------------------------------------------ HTTP

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while not self._stopping:
                line = await reader.readline()
                if not line:
                    break
                parts = line.decode("latin-1").split()
                if len(parts) != 3:
                    break
                verb, target, version = parts
                headers: dict[str, str] = {}
                while True:
                    raw = await reader.readline()
                    if raw in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = raw.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                if "content-length" in headers:
                    body = await reader.readexactly(int(headers["content-length"]))
                elif headers.get("transfer-encoding", "").lower() == "chunked":
                    body = await self._read_chunked(reader)
                else:
                    body = b""
                status, payload, ctype = await self._handle(verb, target, headers, body)
                keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
                head = (
                    f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                    f"Content-Type: {ctype}\r\nContent-Length: {len(payload)}\r\n"
                    f"Connection: {'keep-alive' if keep else 'close'}\r\n\r\n"
                )
                writer.write(head.encode() + payload)
                await writer.drain()
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError, ValueError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        chunks = []
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await reader.readline()
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readline()

    async def _handle(self, verb: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        url = urlsplit(target)
        path = url.path
        if not path.startswith("/bot") or path.count("/") != 2:
            return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}', "application/json"
        token, _, method = path[4:].partition("/")
        if self.token is not None and token != self.token:
            return 401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}', "application/json"
        try:
            params = _parse_params(url.query, headers.get("content-type", ""), body)
        except ValueError as exc:
            return 400, ApiError(400, f"Bad Request: {exc}").body(), "application/json"
        lower = method.lower()
        try:
            result = await self._call(lower, method, params)
        except ApiError as exc:
            if exc.status == 429:
                self.flood_count += 1
            self._record(ApiCall(method, params, time.monotonic(), exc.status, None, exc.description))
            ctype = "text/html" if exc.raw is not None else "application/json"
            return exc.status, exc.body(), ctype
        self._record(ApiCall(method, params, time.monotonic(), 200, result))
        return 200, json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode(), "application/json"

    def _record(self, call: ApiCall) -> None:
        if self.record or not call.ok:
            with self._lock:
                self._calls.append(call)
        self._notify()

    async def _call(self, lower: str, method: str, params: dict) -> Any:
        chat = params.get("chat_id")
        delay = 0.0
        with self._lock:
            for rule in self._rules:
                if rule.matches(lower, chat):
                    rule.use()
                    if rule.error is not None:
                        raise rule.error
                    delay = max(delay, rule.delay)
        if lower == "getupdates":
            return await self._get_updates(params)
        with self._lock:
            if chat is not None and lower in _CHAT_METHODS:
                self._check_chat(lower, chat)
            if self._limits is not None and lower in _RATED_METHODS and chat is not None:
                self._enforce_rate(chat)
            hook = self._hooks.get(lower)
            if hook is not None:
                result = hook(params)
            else:
                handler = getattr(self, f"_m_{lower}", None)
                if handler is not None:
                    result = handler(params)
                elif lower in _OK_METHODS:
                    result = True
                else:
                    raise ApiError(404, "Not Found")
        if delay:
            # Processed, answered late: the message is in the chat even if the client gave up.
            await asyncio.sleep(delay)
        return result

    # ------------------------------------------------------------------ methods

    def _check_chat(self, lower: str, chat: Any) -> None:
        if chat in self._migrated:
            raise ApiError.make("migrated", migrate_to=self._migrated[chat])
        if chat in self._missing or (self.strict_chats and chat not in self._chats):
            raise ApiError.make("chat_not_found")
        if chat in self._blocked and lower in SEND_METHODS:
            raise ApiError.make("blocked" if chat_type_for(chat) == "private" else "kicked")

    def _enforce_rate(self, chat: Any) -> None:
        limits, now = self._limits, time.monotonic()
        assert limits is not None
        if self._global_bucket is None:
            burst = limits.global_burst or max(1.0, limits.global_per_second)
            self._global_bucket = _Bucket(limits.global_per_second, burst, now)
        bucket = self._buckets.get(chat)
        if bucket is None:
            if chat_type_for(chat) != "private" and limits.group_per_minute:
                bucket = _Bucket(limits.group_per_minute / 60, max(1, limits.per_chat_burst), now)
            else:
                bucket = _Bucket(limits.per_chat_per_second, max(1, limits.per_chat_burst), now)
            self._buckets[chat] = bucket
        wait = max(self._global_bucket.wait(now), bucket.wait(now))
        if wait > 0:
            raise ApiError.make("flood", retry_after=max(1, math.ceil(wait)))
        self._global_bucket.tokens -= 1
        bucket.tokens -= 1

    def _m_getme(self, params: dict) -> dict:
        return dict(self.bot_user)

    def _m_deletewebhook(self, params: dict) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _m_getwebhookinfo(self, params: dict) -> dict:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._updates)}

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
        html, plain, mode = self._text(params)
        markup = _check_markup(params.get("reply_markup"))
        message_id = self._new_message_id(chat)
        msg = Message(chat, message_id, html, plain, mode, markup, int(time.time()), params=params)
        self._messages[(chat, message_id)] = msg
        self._sent.append(msg)
        return self._message_json(msg)

    def _m_editmessagetext(self, params: dict) -> dict:
        msg = self._editable(params)
        html, plain, mode = self._text(params)
        markup = _check_markup(params.get("reply_markup"))
        if html == msg.html and mode == msg.parse_mode and markup == msg.reply_markup:
            raise ApiError(400, _NOT_MODIFIED)
        msg.html, msg.text, msg.parse_mode, msg.reply_markup = html, plain, mode, markup
        msg.edits += 1
        return self._message_json(msg, edited=True)

    def _m_editmessagereplymarkup(self, params: dict) -> dict:
        msg = self._editable(params)
        markup = _check_markup(params.get("reply_markup"))
        if markup == msg.reply_markup:
            raise ApiError(400, _NOT_MODIFIED)
        msg.reply_markup = markup
        msg.edits += 1
        return self._message_json(msg, edited=True)

    def _m_deletemessage(self, params: dict) -> bool:
        key = (params.get("chat_id"), params.get("message_id"))
        if self._messages.pop(key, None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _m_sendchataction(self, params: dict) -> bool:
        return True

    def _m_answercallbackquery(self, params: dict) -> bool:
        query = self._callbacks.get(str(params.get("callback_query_id", "")))
        if query is None or query["answered"]:
            raise ApiError(400, _QUERY_TOO_OLD)
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
        info = dict(self._chats.get(chat) or _chat_json(chat))
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

    def _text(self, params: dict) -> tuple[str, str, str | None]:
        html = params.get("text")
        if not isinstance(html, str) or not html.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        mode = params.get("parse_mode")
        plain = html_to_text(html) if isinstance(mode, str) and mode.lower() == "html" else html
        plain = plain.strip()
        if not plain:
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > MAX_TEXT_UTF16:
            raise ApiError(400, "Bad Request: message is too long")
        return html, plain, mode

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
        value = self._next_message_id.get(chat, 1)
        self._next_message_id[chat] = value + 1
        return value

    def _message_json(self, msg: Message, *, edited: bool = False) -> dict:
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": self.bot_user,
            "chat": self._chats.get(msg.chat_id) or _chat_json(msg.chat_id),
            "date": msg.date,
            "text": msg.text,
        }
        if msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        if edited:
            data["edit_date"] = int(time.time())
        return data

    def member_json(self, chat: Any, user: int) -> dict:
        status = self._members.get((chat, user))
        if status is None:
            status = "administrator" if user == self.bot_id else "member"
        user_json = self.bot_user if user == self.bot_id else self._users.get(user) or _user_json(user)
        return {"status": status, "user": user_json, **_MEMBER_FIELDS[status]}

    # ------------------------------------------------------------------ getUpdates

    async def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        allowed = params.get("allowed_updates")
        wait = max(0.0, min(float(params.get("timeout") or 0), self.max_poll_seconds))
        deadline = time.monotonic() + wait
        with self._lock:
            if isinstance(allowed, list) and allowed:
                self._allowed_updates = allowed
            if offset > 0:
                self._confirmed_below = max(self._confirmed_below, offset)
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        while True:
            with self._lock:
                found = [u for u in self._updates if self._allowed(u)][:limit]
            if found or self._stopping:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            event = self._new_updates
            assert event is not None
            self.waiting_polls += 1
            self._notify()
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return []
            finally:
                self.waiting_polls -= 1

    def _allowed(self, update: dict) -> bool:
        if not self._allowed_updates:
            return not ("chat_member" in update or "message_reaction" in update)
        return any(kind in update for kind in self._allowed_updates)

    def _wake_pollers(self) -> None:
        event, self._new_updates = self._new_updates, asyncio.Event()
        if event is not None:
            event.set()

    # ------------------------------------------------------------------ injecting updates

    def push_update(self, update: dict) -> dict:
        """Queue a raw update (its update_id is assigned here); returns it."""
        with self._lock:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
        if self._loop is not None and not self._stopping:
            self._loop.call_soon_threadsafe(self._wake_pollers)
        self._notify()
        return update

    def _remember_chat(self, chat_id: Any, chat_type: str | None, title: str | None, user: dict | None) -> dict:
        chat_type = chat_type or chat_type_for(chat_id)
        chat = _chat_json(chat_id, chat_type, title, user)
        with self._lock:
            self._chats[chat_id] = chat
        return chat

    def _remember_user(self, user_id: int, language_code: str | None, first_name: str | None, username: str | None) -> dict:
        user = _user_json(user_id, language_code, first_name, username)
        with self._lock:
            self._users[user_id] = user
        return user

    def _message_base(self, chat: dict, sender: dict | None) -> dict:
        with self._lock:
            message_id = self._new_message_id(chat["id"])
        base: dict[str, Any] = {"message_id": message_id, "date": int(time.time()), "chat": chat}
        if sender is not None:
            base["from"] = sender
        return base

    def push_message(
        self,
        chat_id: int | str,
        text: str,
        *,
        chat_type: str | None = None,
        user_id: int | None = None,
        language_code: str | None = "vi",
        first_name: str | None = None,
        username: str | None = None,
        title: str | None = None,
        anonymous_admin: bool = False,
        sender_chat_id: int | None = None,
        entities: list[dict] | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict:
        """A user's text message (``/command`` gets its bot_command entity); returns the update.

        ``anonymous_admin``: sent by an anonymous group admin (as the group itself);
        ``sender_chat_id``: sent on behalf of another chat (e.g. a linked channel's post).
        """
        chat_id = chat_key(chat_id)
        chat_type = chat_type or chat_type_for(chat_id)
        if user_id is None:
            user_id = chat_id if chat_type == "private" else DEFAULT_GROUP_USER
        sender: dict | None
        if chat_type == "channel":
            sender = None
        elif anonymous_admin:
            sender = {"id": ANONYMOUS_ADMIN_ID, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
        elif sender_chat_id is not None:
            sender = {"id": SERVICE_USER_ID, "is_bot": False, "first_name": "Telegram"}
        else:
            sender = self._remember_user(int(user_id), language_code, first_name, username)
        chat = self._remember_chat(chat_id, chat_type, title, sender if chat_type == "private" else None)
        message = self._message_base(chat, sender)
        message["text"] = text
        if chat_type == "channel" or anonymous_admin:
            message["sender_chat"] = chat
        elif sender_chat_id is not None:
            message["sender_chat"] = {"id": sender_chat_id, "type": "channel", "title": f"Kênh {sender_chat_id}"}
            message["is_automatic_forward"] = True
        if entities is None and text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        if entities:
            message["entities"] = entities
        if reply_to_message_id is not None:
            original = self._messages.get((chat_id, reply_to_message_id))
            message["reply_to_message"] = (
                self._message_json(original)
                if original
                else {"message_id": reply_to_message_id, "date": 0, "chat": chat}
            )
        kind = "channel_post" if chat_type == "channel" else "message"
        return self.push_update({kind: message})

    def push_callback(
        self,
        chat_id: int | str,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        language_code: str | None = "vi",
        first_name: str | None = None,
        inaccessible: bool = False,
    ) -> dict:
        """A button press on one of the bot's messages; returns the update
        (the query id is ``update["callback_query"]["id"]``)."""
        chat_id = chat_key(chat_id)
        chat_type = chat_type or chat_type_for(chat_id)
        if user_id is None:
            user_id = chat_id if chat_type == "private" else DEFAULT_GROUP_USER
        user = self._remember_user(int(user_id), language_code, first_name, None)
        chat = self._chats.get(chat_id) or self._remember_chat(chat_id, chat_type, None, user)
        with self._lock:
            query_id = f"cq{next(self._callback_ids)}"
            self._callbacks[query_id] = {"answered": False, "chat_id": chat_id, "message_id": message_id, "data": data}
            original = self._messages.get((chat_id, message_id))
        if inaccessible:
            message = {"chat": chat, "message_id": message_id, "date": 0}
        elif original is not None:
            message = self._message_json(original)
        else:
            message = {"message_id": message_id, "date": int(time.time()), "chat": chat, "from": self.bot_user, "text": "…"}
        return self.push_update(
            {
                "callback_query": {
                    "id": query_id, "from": user, "message": message,
                    "chat_instance": f"ci{chat_id}", "data": data,
                }
            }
        )

    def push_my_chat_member(
        self,
        chat_id: int | str,
        new_status: str,
        *,
        chat_type: str | None = None,
        old_status: str | None = None,
        user_id: int | None = None,
        title: str | None = None,
        language_code: str | None = "vi",
    ) -> dict:
        """The bot's own membership changed (added, promoted, kicked, blocked by a user)."""
        if new_status not in MEMBER_STATUSES:
            raise ValueError(f"unknown member status {new_status!r}")
        chat_id = chat_key(chat_id)
        chat_type = chat_type or chat_type_for(chat_id)
        if user_id is None:
            user_id = chat_id if chat_type == "private" else DEFAULT_GROUP_USER
        if old_status is None:
            old_status = "left" if new_status in ("member", "administrator") else "member"
            if chat_type == "private" and new_status in ("member", "administrator"):
                old_status = "kicked"
        user = self._remember_user(int(user_id), language_code, None, None)
        chat = self._remember_chat(chat_id, chat_type, title, user if chat_type == "private" else None)
        with self._lock:
            self._members[(chat_id, self.bot_id)] = new_status
            if chat_type == "private":
                (self._blocked.add if new_status == "kicked" else self._blocked.discard)(chat_id)
        return self.push_update(
            {
                "my_chat_member": {
                    "chat": chat,
                    "from": user,
                    "date": int(time.time()),
                    "old_chat_member": {"status": old_status, "user": self.bot_user, **_MEMBER_FIELDS[old_status]},
                    "new_chat_member": {"status": new_status, "user": self.bot_user, **_MEMBER_FIELDS[new_status]},
                }
            }
        )

    def push_migrate(self, old_chat_id: int, new_chat_id: int, *, title: str | None = None, user_id: int = DEFAULT_GROUP_USER, upgrade: bool = True) -> tuple[dict, dict]:
        """A group became a supergroup: the two service messages Telegram sends.

        With ``upgrade`` the old id then answers "group chat was upgraded" to every send.
        """
        old_chat_id, new_chat_id = chat_key(old_chat_id), chat_key(new_chat_id)
        title = title or (self._chats.get(old_chat_id) or {}).get("title")
        user = self._remember_user(user_id, "vi", None, None)
        old_chat = self._remember_chat(old_chat_id, "group", title, None)
        new_chat = self._remember_chat(new_chat_id, "supergroup", title, None)
        if upgrade:
            self.upgrade_chat(old_chat_id, new_chat_id)
        first = self._message_base(old_chat, user) | {"migrate_to_chat_id": new_chat_id}
        second = self._message_base(new_chat, {"id": ANONYMOUS_ADMIN_ID, "is_bot": True, "first_name": "Group"})
        second |= {"migrate_from_chat_id": old_chat_id, "sender_chat": new_chat}
        return self.push_update({"message": first}), self.push_update({"message": second})

    # ------------------------------------------------------------------ scripting

    def fail(
        self,
        kind: str | ApiError,
        *,
        chat_id: int | str | None = None,
        times: int | None = 1,
        methods: Iterable[str] | None = None,
        retry_after: int = 1,
        migrate_to: int | None = None,
        description: str | None = None,
    ) -> Rule:
        """Answer the next ``times`` matching requests (None: all) with an error.

        kind: "flood" (429 + retry_after), "blocked" (403), "kicked", "chat_not_found",
        "migrated" (+ migrate_to), "bad_gateway" (502), "server_error", "bad_request",
        "not_modified", "cant_edit", or an ApiError. ``methods`` default: every send method.
        """
        error = kind if isinstance(kind, ApiError) else ApiError.make(kind, retry_after=retry_after, migrate_to=migrate_to, description=description)
        return self._add_rule(Rule(error, 0.0, _opt_chat(chat_id), _methods(methods), times))

    def delay(self, seconds: float, *, chat_id: int | str | None = None, times: int | None = None, methods: Iterable[str] | None = None) -> Rule:
        """Answer matching requests ``seconds`` late (they are processed at once, like a slow network)."""
        return self._add_rule(Rule(None, seconds, _opt_chat(chat_id), _methods(methods), times))

    def _add_rule(self, rule: Rule) -> Rule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear_rules(self) -> None:
        with self._lock:
            self._rules.clear()

    def block(self, chat_id: int | str) -> None:
        """The user blocked the bot (or kicked it from a group): every send answers 403."""
        with self._lock:
            self._blocked.add(chat_key(chat_id))

    def unblock(self, chat_id: int | str) -> None:
        with self._lock:
            self._blocked.discard(chat_key(chat_id))

    def remove_chat(self, chat_id: int | str) -> None:
        """The chat is gone: every call about it answers 400 chat not found."""
        with self._lock:
            self._missing.add(chat_key(chat_id))

    def upgrade_chat(self, old_chat_id: int | str, new_chat_id: int) -> None:
        """Calls to the old id answer 400 with migrate_to_chat_id from now on."""
        with self._lock:
            self._migrated[chat_key(old_chat_id)] = int(new_chat_id)

    def enforce_rate_limits(self, limits: RateLimits | None = RateLimits()) -> None:  # noqa: B008 - frozen defaults
        """Refuse sends beyond Telegram's limits with 429 (``None`` switches it off)."""
        with self._lock:
            self._limits = limits
            self._buckets.clear()
            self._global_bucket = None

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

    def on(self, method: str, handler: Callable[[dict], Any]) -> None:
        """Answer ``method`` with ``handler(params)`` (a result, or raise ApiError)."""
        with self._lock:
            self._hooks[method.lower()] = handler

    def clear(self) -> None:
        """Forget recorded calls and messages (not chats, rules or pending updates)."""
        with self._lock:
            self._calls.clear()
            self._sent.clear()
            self._messages.clear()

    # ------------------------------------------------------------------ what happened

    def requests(self, method: str | None = None, *, chat_id: int | str | None = None, ok: bool | None = None) -> list[ApiCall]:
        lower = method.lower() if method else None
        chat = _opt_chat(chat_id)
        with self._lock:
            calls = list(self._calls)
        return [
            c
            for c in calls
            if (lower is None or c.method.lower() == lower)
            and (chat is None or c.chat_id == chat)
            and (ok is None or c.ok == ok)
        ]

    def mark(self) -> int:
        """A position in the call log, for ``calls_since`` / ``wait_call(since=...)``."""
        with self._lock:
            return len(self._calls)

    def calls_since(self, mark: int, method: str | None = None, *, chat_id: int | str | None = None, ok: bool | None = None) -> list[ApiCall]:
        with self._lock:
            calls = self._calls[mark:]
        lower, chat = (method.lower() if method else None), _opt_chat(chat_id)
        return [
            c for c in calls
            if (lower is None or c.method.lower() == lower)
            and (chat is None or c.chat_id == chat)
            and (ok is None or c.ok == ok)
        ]

    def sent_messages(self, chat_id: int | str | None = None) -> list[Message]:
        """Messages the bot sent (current state, edits applied), oldest first."""
        chat = _opt_chat(chat_id)
        with self._lock:
            return [m for m in self._sent if chat is None or m.chat_id == chat]

    def sent(self, chat_id: int | str | None = None) -> list[str]:
        """The texts (as the user reads them) of every message sent, oldest first."""
        return [m.text for m in self.sent_messages(chat_id)]

    def last_message(self, chat_id: int | str) -> Message | None:
        messages = self.sent_messages(chat_id)
        return messages[-1] if messages else None

    def message(self, chat_id: int | str, message_id: int) -> Message | None:
        with self._lock:
            return self._messages.get((chat_key(chat_id), message_id))

    def edits(self, chat_id: int | str | None = None) -> list[ApiCall]:
        return self.requests("editMessageText", chat_id=chat_id, ok=True)

    def callback_answer(self, query: str | dict) -> ApiCall | None:
        """The successful answerCallbackQuery for a pressed button (query id or its update), if any."""
        query_id = query["callback_query"]["id"] if isinstance(query, dict) else query
        for call in self.requests("answerCallbackQuery", ok=True):
            if call.params.get("callback_query_id") == query_id:
                return call
        return None

    def commands(self, language_code: str = "", scope: dict | None = None) -> list[dict]:
        """The command menu set with setMyCommands for a language (and scope)."""
        params: dict[str, Any] = {"language_code": language_code}
        if scope:
            params["scope"] = scope
        with self._lock:
            return list(self._commands.get(_scope_key(params), []))

    def pending_updates(self) -> int:
        with self._lock:
            return len(self._updates)

    def confirmed(self, update_id: int) -> bool:
        """Whether the client has acknowledged the update (a later getUpdates offset)."""
        with self._lock:
            return self._confirmed_below > update_id

    # ------------------------------------------------------------------ waiting

    def _notify(self) -> None:
        for wake in list(self._watchers):
            wake()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, *, what: str = "") -> Any:
        """Wait (event-driven) until ``predicate()`` is truthy; returns its value, or raises TimeoutError."""
        loop = asyncio.get_running_loop()
        event = asyncio.Event()

        def wake() -> None:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the waiting loop has closed
                pass

        with self._lock:
            self._watchers.append(wake)
        try:
            deadline = loop.time() + timeout
            while True:
                event.clear()
                value = predicate()
                if value:
                    return value
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError(f"fake telegram: timed out waiting for {what or predicate!r}; last calls: {self._tail()}")
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except TimeoutError:
                    pass
        finally:
            with self._lock:
                self._watchers.remove(wake)

    def wait_for_blocking(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """``wait_for`` for threads without an event loop."""
        event = threading.Event()
        with self._lock:
            self._watchers.append(event.set)
        try:
            deadline = time.monotonic() + timeout
            while True:
                event.clear()
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"fake telegram: timed out; last calls: {self._tail()}")
                event.wait(remaining)
        finally:
            with self._lock:
                self._watchers.remove(event.set)

    async def wait_sent(self, chat_id: int | str, count: int = 1, timeout: float = 5.0) -> list[str]:
        """Wait until ``count`` messages were sent to the chat; returns all its texts."""
        await self.wait_for(lambda: len(self.sent_messages(chat_id)) >= count, timeout, what=f"{count} messages to {chat_id}")
        return self.sent(chat_id)

    async def wait_call(self, method: str, *, chat_id: int | str | None = None, since: int = 0, ok: bool | None = True, timeout: float = 5.0) -> ApiCall:
        """Wait for the first matching call after position ``since`` (see ``mark``)."""
        calls = await self.wait_for(lambda: self.calls_since(since, method, chat_id=chat_id, ok=ok), timeout, what=f"{method} to {chat_id}")
        return calls[0]

    def _tail(self, n: int = 6) -> str:
        with self._lock:
            calls = self._calls[-n:]
        return ", ".join(f"{c.method}({c.chat_id})={c.status}" for c in calls) or "none"


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway"}


def _parse_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    params: dict[str, Any] = {}
    pairs: list[tuple[str, str]] = parse_qsl(query, keep_blank_values=True) if query else []
    ctype = content_type.split(";")[0].strip().lower()
    if body and ctype == "application/json":
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("parameters must be a JSON object")
        params.update(data)
        if "chat_id" in params:
            params["chat_id"] = chat_key(params["chat_id"])
    elif body and ctype == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name and part.get_filename() is None:
                pairs.append((name, part.get_content()))
    elif body:
        pairs.extend(parse_qsl(body.decode(), keep_blank_values=True))
    for name, value in pairs:
        params[name] = _decode(name, value)
    return params


def _decode(name: str, value: str) -> Any:
    if name in _RAW_FIELDS:
        return value
    if name in _CHAT_ID_FIELDS:
        return chat_key(value)
    try:
        return json.loads(value)
    except ValueError:
        return value


def _check_markup(markup: Any) -> dict | None:
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
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not (1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES):
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if data is None and not any(k in button for k in ("url", "switch_inline_query", "login_url", "copy_text", "web_app", "switch_inline_query_current_chat", "callback_game", "pay")):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    return markup if rows else None


def _scope_key(params: dict) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    if isinstance(scope, str):
        scope = json.loads(scope)
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


def _opt_chat(chat_id: Any) -> Any:
    return None if chat_id is None else chat_key(chat_id)


def _methods(methods: Iterable[str] | None) -> frozenset[str] | None:
    return None if methods is None else frozenset(m.lower() for m in methods)


def _user_json(user_id: int, language_code: str | None = None, first_name: str | None = None, username: str | None = None) -> dict:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


def _chat_json(chat_id: Any, chat_type: str | None = None, title: str | None = None, user: dict | None = None) -> dict:
    chat_type = chat_type or chat_type_for(chat_id)
    if chat_type == "private":
        chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": (user or {}).get("first_name") or f"User{chat_id}"}
        if user and user.get("username"):
            chat["username"] = user["username"]
        return chat
    return {"id": chat_id, "type": chat_type, "title": title or f"Nhóm {chat_id}"}


@pytest.fixture
def fake_telegram():
    """A running FakeTelegram for one test (works in sync and async tests)."""
    server = FakeTelegram().start()
    try:
        yield server
    finally:
        server.stop()
