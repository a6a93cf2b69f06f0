"""The one table of commands, and the entry points a messenger adapter calls.

``dispatch`` takes any command, button press or plain message and returns replies; it never
raises. ``chat_joined``, ``chat_left`` and ``chat_migrated`` follow a chat's membership.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core import messages
from handlers import admin, keywords, provinces, reading, removal, settings, start, topic_commands
from handlers.context import Context, button
from handlers.labels import province_display
from handlers.lookup import resolve_province
from handlers.parsing import MAX_INPUT_CHARS, is_no, is_yes, parse_command
from handlers.questions import CANCEL
from handlers.start import greeting
from handlers.types import Incoming, Reply, Services
from storage import chats
from storage.db import DiskFull, StorageBusy

log = logging.getLogger(__name__)

Handler = Callable[[Context], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class CommandSpec:
    name: str  # Vietnamese, ASCII: what the menu shows
    aliases: tuple[str, ...]  # English and other accepted names
    handler: Handler
    manage: bool = False  # changes the chat's settings: in groups, chat admins only
    admin: bool = False  # bot operators only (config [<messenger>].admins)
    menu: bool = True  # listed in the messenger's command menu (False: button-only helpers)

    def description(self, lang: str) -> str:
        return messages.plain(lang, f"commands.{self.name}")

    @property
    def description_vi(self) -> str:
        return self.description("vi")

    @property
    def description_en(self) -> str:
        return self.description("en")


ALL_COMMANDS: list[CommandSpec] = [
    # start
    CommandSpec("start", ("batdau",), start.start),
    CommandSpec("trogiup", ("help", "huongdan"), start.trogiup),
    # subscribe
    CommandSpec("tinh", ("province", "provinces", "tinhthanh"), provinces.tinh, manage=True),
    CommandSpec("chude", ("topic", "topics"), topic_commands.chude, manage=True),
    CommandSpec("tukhoa", ("keyword", "keywords"), keywords.tukhoa, manage=True),
    CommandSpec("xoa", ("remove", "delete", "unsubscribe"), removal.xoa, manage=True),
    CommandSpec("tinh_kb", ("province_kb",), provinces.tinh_kb, manage=True, menu=False),
    CommandSpec("chude_kb", ("topic_kb",), topic_commands.chude_kb, manage=True, menu=False),
    CommandSpec("xoa_xacnhan", ("remove_confirm",), removal.xoa_xacnhan, manage=True, menu=False),
    CommandSpec("huy", ("cancel",), removal.huy, menu=False),
    # reading
    CommandSpec("dangky", ("list", "subscriptions"), reading.dangky),
    CommandSpec("moinhat", ("latest", "new"), reading.moinhat),
    CommandSpec("timkiem", ("search", "tim"), reading.timkiem),
    CommandSpec("tieptuc_xem", ("missed",), reading.tieptuc_xem, menu=False),
    # settings
    CommandSpec("chedo", ("mode",), settings.chedo, manage=True),
    CommandSpec("lich", ("schedule",), settings.lich, manage=True),
    CommandSpec("tuantrong", ("emptyweek",), settings.tuantrong, manage=True, menu=False),
    CommandSpec("tamdung", ("pause",), settings.tamdung, manage=True),
    CommandSpec("tieptuc", ("resume",), settings.tieptuc, manage=True),
    CommandSpec("ngonngu", ("lang", "language"), settings.ngonngu, manage=True),
    # admin
    CommandSpec("thongke", ("stats",), admin.thongke, admin=True),
    CommandSpec("guitin", ("broadcast",), admin.guitin, admin=True),
    CommandSpec("nguon", ("feeds",), admin.nguon, admin=True),
    CommandSpec("guitin_gui", ("broadcast_send",), admin.guitin_gui, admin=True, menu=False),
    CommandSpec("guitin_huy", ("broadcast_cancel",), admin.guitin_huy, admin=True, menu=False),
]
# What everyone sees in the messenger's command menu (setMyCommands), in this order.
COMMANDS: list[CommandSpec] = [c for c in ALL_COMMANDS if c.menu and not c.admin]
# Operators' extra menu entries (e.g. setMyCommands with a per-chat scope).
ADMIN_COMMANDS: list[CommandSpec] = [c for c in ALL_COMMANDS if c.menu and c.admin]

_BY_NAME: dict[str, CommandSpec] = {}
for _spec in ALL_COMMANDS:
    for _name in (_spec.name, *_spec.aliases):
        if _name in _BY_NAME:
            raise ValueError(f"command name {_name!r} registered twice")
        _BY_NAME[_name] = _spec


def find_command(name: str) -> CommandSpec | None:
    return _BY_NAME.get(name)


def _spec_of(command: str) -> CommandSpec | None:
    """The spec of a typed command ("/xoa_xacnhan")."""
    parsed = parse_command(command)
    return find_command(parsed.name) if parsed else None


# ----------------------------------------------------------------------------- dispatch


async def dispatch(services: Services, incoming: Incoming) -> list[Reply]:
    """Replies to one command, button press or plain message; never raises."""
    state: dict = {"lang": messages.normalize_lang(incoming.user_lang), "command": None}
    try:
        return await _dispatch(services, incoming, state)
    except (StorageBusy, DiskFull) as problem:  # the operator's alert names it; the user waits
        log.warning("command not done: messenger=%s chat=%s command=%s: %s",
                    incoming.messenger, incoming.chat_id, state["command"], problem)
        key = "common.busy" if isinstance(problem, StorageBusy) else "common.disk_full"
        return [Reply(messages.t(state["lang"], key), lang=state["lang"])]
    except Exception:
        log.exception(
            "handler failed: messenger=%s chat=%s kind=%s command=%s button=%s",
            incoming.messenger, incoming.chat_id, incoming.chat_kind, state["command"],
            incoming.is_button,
        )
        return [Reply(messages.t(state["lang"], "common.error"), lang=state["lang"])]


async def _dispatch(services: Services, incoming: Incoming, state: dict) -> list[Reply]:
    text = incoming.text or ""
    parsed = parse_command(text) if incoming.is_button or text.lstrip().startswith("/") else None
    if parsed is None and not incoming.is_button:
        return await _plain_text(services, incoming, state)
    if parsed is None:  # a button whose data is not a command: stale or foreign
        parsed = parse_command("/")
    ctx = await _context(services, incoming, state)
    if len(text) > MAX_INPUT_CHARS:
        return [ctx.reply(ctx.t("common.too_long", limit=MAX_INPUT_CHARS))]
    spec = find_command(parsed.name)
    if spec is None:
        notice = ctx.t("common.kb_unknown") if incoming.is_button else None
        return [ctx.reply(ctx.t("common.unknown_command"), [(button(ctx.t("menu.help"), "/trogiup"),)], notice=notice)]
    return await _run(ctx, spec, parsed.args, state)


async def _run(ctx: Context, spec: CommandSpec, args: str, state: dict) -> list[Reply]:
    """One command, with its permission checks; any other command closes an open question."""
    state["command"] = spec.name
    ctx.command, ctx.args = spec.name, args
    question = ctx.services.questions.peek(ctx.chat_key, ctx.now)
    if question is not None and spec not in {_spec_of(c) for c in question.answers}:
        ctx.services.questions.drop(ctx.chat_key)
    if spec.admin and not ctx.is_admin():
        return [_refusal(ctx, "common.not_admin")]
    if spec.manage and not await ctx.can_manage():
        return [_refusal(ctx, "common.not_manager")]
    return await spec.handler(ctx)


async def _plain_text(services: Services, incoming: Incoming, state: dict) -> list[Reply]:
    """A message that is no command: the answer to an open question, or a hint."""
    chat = (incoming.messenger, incoming.chat_id)
    question = services.questions.peek(chat, services.clock())
    answer = question is not None and (is_yes(incoming.text) or is_no(incoming.text))
    if answer and (not incoming.is_group or question.user_id == incoming.user_id):
        ctx = await _context(services, incoming, state)
        command = CANCEL if is_no(incoming.text) else question.command
        return await _run(ctx, _spec_of(command), parse_command(command).args, state)
    if incoming.is_group:
        return []
    ctx = await _context(services, incoming, state)
    if len(incoming.text or "") > MAX_INPUT_CHARS:
        return [ctx.reply(ctx.t("common.too_long", limit=MAX_INPUT_CHARS))]
    services.questions.drop(chat)
    found = resolve_province(ctx, incoming.text.strip()) if incoming.text.strip() else None
    if found is not None and found.value is not None:
        name = province_display(ctx, found.value)
        rows = [(button(ctx.t("common.subscribe_to", name=name), f"/tinh {found.value}"),)]
        return [ctx.reply(ctx.t("common.plain_text_hint"), rows)]
    return [ctx.reply(ctx.t("common.plain_text_hint"), [(button(ctx.t("menu.help"), "/trogiup"),)])]


async def _context(services: Services, incoming: Incoming, state: dict) -> Context:
    """Register (or reactivate) the chat and build the handler context."""
    now = services.clock()
    chat = await chats.ensure_chat(
        services.db,
        incoming.messenger,
        incoming.chat_id,
        incoming.chat_kind,
        incoming.chat_title,
        incoming.user_lang,
        now,
    )
    state["lang"] = chat.lang
    return Context(services, incoming, chat, "", "", now)


def _refusal(ctx: Context, key: str) -> Reply:
    text = ctx.t(key)
    return ctx.reply(text, notice=text if ctx.is_button else None)


# ----------------------------------------------------------------------------- membership


async def chat_joined(services: Services, incoming: Incoming) -> list[Reply]:
    """The bot was added to a group, or a private chat started: register the chat, greet."""
    state: dict = {"lang": messages.normalize_lang(incoming.user_lang), "command": "joined"}
    try:
        ctx = await _context(services, incoming, state)
        return [greeting(ctx)]
    except Exception:
        log.exception("chat_joined failed: messenger=%s chat=%s", incoming.messenger, incoming.chat_id)
        return [Reply(messages.t(state["lang"], "common.error"), lang=state["lang"])]


async def chat_left(services: Services, messenger: str, chat_id: str, reason: str) -> None:
    """The bot was removed or blocked: deactivate (subscriptions kept), cancel pending sends."""
    try:
        cancelled = await chats.deactivate_chat(services.db, messenger, str(chat_id), reason, services.clock())
        log.info("chat %s:%s left (%s); %d pending sends cancelled", messenger, chat_id, reason, cancelled)
    except Exception:
        log.exception("chat_left failed: messenger=%s chat=%s", messenger, chat_id)


async def chat_migrated(services: Services, messenger: str, old_chat_id: str, new_chat_id: str) -> None:
    """A group became a supergroup: keep everything under the new id."""
    try:
        await chats.migrate_chat(services.db, messenger, str(old_chat_id), str(new_chat_id), services.clock())
        log.info("chat %s:%s migrated to %s", messenger, old_chat_id, new_chat_id)
    except Exception:
        log.exception("chat_migrated failed: messenger=%s chat=%s→%s", messenger, old_chat_id, new_chat_id)
