"""/chedo /lich /tamdung /tieptuc /ngonngu: how and when a chat receives news."""

from __future__ import annotations

import re

from bot.core import messages
from bot.delivery.matching import item_matches
from bot.vietnamese.textnorm import fold
from bot.vietnamese.weekday import WeeklySlot, parse_weekly_slot
from handlers.context import Context, button
from handlers.labels import chat_slot, mode_label, short, slot_label
from handlers.parsing import folded_words, parse_count
from handlers.types import Reply
from storage import chats, subscriptions
from storage import items as item_store

MAX_PAUSE_DAYS = 365
DAY_SECONDS = 86400
MISSED_SCAN_LIMIT = 500

_MODES = {
    "instant": frozenset({"tucthi", "tuc thi", "instant", "ngay", "ngay lap tuc", "push", "realtime"}),
    "weekly": frozenset({"hangtuan", "hang tuan", "weekly", "tuan", "week", "tom tat"}),
}
_LANGS = {
    "vi": frozenset({"vi", "viet", "tieng viet", "vietnamese", "vn"}),
    "en": frozenset({"en", "english", "tieng anh", "anh", "eng"}),
}
# Common weekly slots offered as buttons: (typed form, slot).
_SLOT_CHOICES = (
    ("t2 08:00", WeeklySlot(0, 8, 0)),
    ("t2 17:00", WeeklySlot(0, 17, 0)),
    ("t6 16:00", WeeklySlot(4, 16, 0)),
    ("t7 08:00", WeeklySlot(5, 8, 0)),
    ("cn 20:00", WeeklySlot(6, 20, 0)),
)
_SWITCH = {
    "on": frozenset({"bat", "on", "co", "yes", "gui"}),
    "off": frozenset({"tat", "off", "khong", "no", "im"}),
}
_GLUED_DAY = re.compile(r"\bthu([2-7])")
_GLUED_SUNDAY = re.compile(r"\bchunhat\b")


# ----------------------------------------------------------------------------- /chedo


def _pick(table: dict[str, frozenset[str]], text: str) -> str | None:
    words = folded_words(text)
    return next((key for key, names in table.items() if words in names), None)


async def chedo(ctx: Context) -> list[Reply]:
    """/chedo tucthi|hangtuan: instant pushes plus the weekly summary, or the summary only."""
    rows = [
        (
            button(("✅ " if ctx.chat.mode == "instant" else "") + ctx.t("mode.button_instant"), "/chedo tucthi"),
            button(("✅ " if ctx.chat.mode == "weekly" else "") + ctx.t("mode.button_weekly"), "/chedo hangtuan"),
        )
    ]
    if not ctx.args:
        text = ctx.t("mode.current", mode=mode_label(ctx, ctx.chat.mode))
        return [ctx.reply(text + "\n" + ctx.t("mode.usage"), rows)]
    mode = _pick(_MODES, ctx.args)
    if mode is None:
        return [ctx.reply(ctx.t("mode.unknown", value=short(ctx.args)), rows)]
    await chats.set_mode(ctx.db, ctx.chat.id, mode, ctx.now)
    slot = slot_label(ctx, chat_slot(ctx))
    key = "mode.set_weekly" if mode == "weekly" else "mode.set_instant"
    return [ctx.reply(ctx.t(key, slot=slot), edit=ctx.is_button)]


# ----------------------------------------------------------------------------- /lich


def read_slot(text: str, default_day: int) -> WeeklySlot | None:
    """parse_weekly_slot, also accepting glued day names: "thu2 08:00", "chunhat 20h"."""
    folded = _GLUED_DAY.sub(r"thu \1", fold(text))
    folded = _GLUED_SUNDAY.sub("chu nhat", folded)
    return parse_weekly_slot(folded, default_day=default_day)


def _slot_buttons(ctx: Context, current: WeeklySlot) -> list[tuple]:
    buttons = [
        button(("✅ " if slot == current else "") + slot.label(ctx.lang), f"/lich {typed}")
        for typed, slot in _SLOT_CHOICES
    ]
    empty = ctx.chat.weekly_empty
    toggle = button(
        ctx.t("schedule.empty_button_on" if empty else "schedule.empty_button_off"),
        "/tuantrong tat" if empty else "/tuantrong bat",
    )
    return [tuple(buttons[:2]), tuple(buttons[2:4]), tuple(buttons[4:]), (toggle,)]


async def lich(ctx: Context) -> list[Reply]:
    """/lich [day time]: when the weekly summary comes."""
    current = chat_slot(ctx)
    if not ctx.args:
        text = ctx.t("schedule.current", slot=slot_label(ctx, current))
        return [ctx.reply(text + "\n" + ctx.t("schedule.usage"), _slot_buttons(ctx, current))]
    slot = read_slot(ctx.args, current.day)
    if slot is None:
        text = ctx.t("schedule.invalid", value=short(ctx.args))
        return [ctx.reply(text + "\n" + ctx.t("schedule.usage"), _slot_buttons(ctx, current))]
    await chats.set_weekly_slot(ctx.db, ctx.chat.id, slot.day, slot.hhmm, ctx.now)
    return [ctx.reply(ctx.t("schedule.set", slot=slot_label(ctx, slot)), edit=ctx.is_button)]


async def tuantrong(ctx: Context) -> list[Reply]:
    """/tuantrong bat|tat: a week with nothing matching gets one short line, or nothing."""
    choice = _pick(_SWITCH, ctx.args) if ctx.args else None
    if choice is None:
        state = ctx.t("schedule.empty_on" if ctx.chat.weekly_empty else "schedule.empty_off")
        return [ctx.reply(state + "\n" + ctx.t("schedule.empty_usage"))]
    await chats.set_weekly_empty(ctx.db, ctx.chat.id, choice == "on", ctx.now)
    key = "schedule.empty_on" if choice == "on" else "schedule.empty_off"
    return [ctx.reply("✅ " + ctx.t(key), edit=ctx.is_button)]


# ----------------------------------------------------------------------------- /tamdung /tieptuc


async def tamdung(ctx: Context) -> list[Reply]:
    """/tamdung [n days]: stop pushes and summaries for n days, or until /tieptuc."""
    days = None
    if ctx.args:
        days = parse_count(ctx.args)
        if days is None or not 1 <= days <= MAX_PAUSE_DAYS:
            return [ctx.reply(ctx.t("pause.invalid", limit=MAX_PAUSE_DAYS))]
    until = chats.PAUSED_FOREVER if days is None else ctx.now + days * DAY_SECONDS
    await chats.pause_chat(ctx.db, ctx.chat.id, until, ctx.now)
    rows = [(button(ctx.t("pause.resume_button"), "/tieptuc"),)]
    if days is None:
        return [ctx.reply(ctx.t("pause.forever"), rows, edit=ctx.is_button)]
    text = ctx.t("pause.until", days=days, date=ctx.format_time(until))
    return [ctx.reply(text, rows, edit=ctx.is_button)]


async def missed_items(ctx: Context, since: float, until: float) -> list:
    """Items stored in [since, until] that match the chat's subscriptions, newest first."""
    subs = await subscriptions.load_subscriptions(ctx.db, ctx.chat.id)
    if subs.empty:
        return []
    stored = await item_store.recent_items(ctx.db, since=since, limit=MISSED_SCAN_LIMIT)
    return [i for i in stored if (i.stored_at or 0) <= until and item_matches(subs, i)]


async def tieptuc(ctx: Context) -> list[Reply]:
    """/tieptuc: end a pause, offering what arrived meanwhile."""
    paused_at = await chats.resume_chat(ctx.db, ctx.chat.id, ctx.now)
    if paused_at is None:
        return [ctx.reply(ctx.t("resume.not_paused"), edit=ctx.is_button)]
    missed = await missed_items(ctx, paused_at, ctx.now)
    if not missed:
        return [ctx.reply(ctx.t("resume.done_none"), edit=ctx.is_button)]
    data = f"/tieptuc_xem {int(paused_at)} {int(ctx.now) + 1}"
    rows = [(button(ctx.t("resume.show_missed", n=len(missed)), data),)]
    return [ctx.reply(ctx.t("resume.done_missed", n=len(missed)), rows, edit=ctx.is_button)]


# ----------------------------------------------------------------------------- /ngonngu


async def ngonngu(ctx: Context) -> list[Reply]:
    """/ngonngu vi|en: the chat's reply language (sticks, whatever the user's app says)."""
    rows = [(button("🇻🇳 Tiếng Việt", "/ngonngu vi"), button("🇬🇧 English", "/ngonngu en"))]
    if not ctx.args:
        return [ctx.reply(ctx.t("lang.current") + "\n" + ctx.t("lang.usage"), rows)]
    lang = _pick(_LANGS, ctx.args)
    if lang is None:
        return [ctx.reply(ctx.t("lang.unknown", value=short(ctx.args)), rows)]
    await chats.set_lang(ctx.db, ctx.chat.id, lang, ctx.now)
    return [ctx.reply(messages.t(lang, "lang.set"), edit=ctx.is_button)]
