"""/dangky /moinhat /timkiem and the missed-while-paused list: reading, open to everyone."""

from __future__ import annotations

import re

from bot.delivery.matching import item_matches
from bot.vietnamese.textnorm import fold
from handlers.context import Context, button, lines
from handlers.itemlist import item_entries
from handlers.labels import (
    chat_slot,
    mode_label,
    name_list,
    pause_state,
    province_display,
    short,
    slot_label,
    topic_display,
)
from handlers.parsing import parse_count
from handlers.settings import missed_items
from handlers.types import Reply
from storage import items as item_store
from storage import subscriptions

DEFAULT_LATEST = 5
MAX_LATEST = 20
MAX_SEARCH_RESULTS = 10
MAX_MISSED_SHOWN = 20
LATEST_SCAN_LIMIT = 500
MAX_MISSED_WINDOW = 400 * 86400
_WORD = re.compile(r"\w+")


# ----------------------------------------------------------------------------- /dangky


async def dangky(ctx: Context) -> list[Reply]:
    """/dangky: everything the chat follows and how it receives it, with buttons to edit."""
    subs = await subscriptions.list_subscriptions(ctx.db, ctx.chat.id)
    provinces = [province_display(ctx, s.value) for s in subs if s.kind == "province"]
    topics = [topic_display(ctx, s.value) for s in subs if s.kind == "topic"]
    keywords = [short(s.value) for s in subs if s.kind == "keyword"]
    out = [
        ctx.t("list.title"),
        ctx.t("list.provinces", names=name_list(ctx, provinces)),
        ctx.t("list.topics", names=name_list(ctx, topics)),
        ctx.t("list.keywords", names=name_list(ctx, keywords)),
        ctx.t("list.mode", mode=mode_label(ctx, ctx.chat.mode)),
        ctx.t("list.schedule", slot=slot_label(ctx, chat_slot(ctx))),
        pause_state(ctx),
    ]
    if not subs:
        out.append(ctx.t("list.empty_hint"))
    elif provinces and topics:
        out.append(ctx.t("list.rule_both"))
    paused = ctx.chat.is_paused(ctx.now)
    other_mode = "tucthi" if ctx.chat.mode == "weekly" else "hangtuan"
    rows = [
        (button(ctx.t("menu.provinces"), "/tinh"), button(ctx.t("menu.topics"), "/chude")),
        (button(ctx.t("menu.keywords"), "/tukhoa"), button(ctx.t("menu.schedule"), "/lich")),
        (
            button(ctx.t("menu.mode_switch_" + other_mode), f"/chedo {other_mode}"),
            button(ctx.t("menu.resume" if paused else "menu.pause"), "/tieptuc" if paused else "/tamdung"),
        ),
    ]
    if subs:
        rows.append((button(ctx.t("menu.remove"), "/xoa"),))
    return [ctx.reply(lines(out), rows)]


# ----------------------------------------------------------------------------- /moinhat


async def moinhat(ctx: Context) -> list[Reply]:
    """/moinhat [n]: the newest stored items matching the chat's subscriptions."""
    count = DEFAULT_LATEST
    if ctx.args:
        parsed = parse_count(ctx.args)
        if parsed is None or parsed < 1:
            return [ctx.reply(ctx.t("latest.invalid", limit=MAX_LATEST))]
        count = min(parsed, MAX_LATEST)
    subs = await subscriptions.load_subscriptions(ctx.db, ctx.chat.id)
    if subs.empty:
        rows = [(button(ctx.t("menu.provinces"), "/tinh"), button(ctx.t("menu.topics"), "/chude"))]
        return [ctx.reply(ctx.t("latest.no_subscriptions"), rows)]
    stored = await item_store.recent_items(ctx.db, limit=LATEST_SCAN_LIMIT)
    matching = [item for item in stored if item_matches(subs, item)][:count]
    if not matching:
        return [ctx.reply(ctx.t("latest.none"))]
    header = ctx.t("latest.header", n=len(matching))
    entries = item_entries(matching, lang=ctx.lang, gazetteer=ctx.services.gazetteer)
    return [ctx.reply(lines([header, *entries]))]


# ----------------------------------------------------------------------------- /timkiem


async def timkiem(ctx: Context) -> list[Reply]:
    """/timkiem words: full-text search over every stored item, accents optional."""
    if not _WORD.search(fold(ctx.args)):
        return [ctx.reply(ctx.t("search.usage"))]
    found = await item_store.search_items(ctx.db, fold(ctx.args), limit=MAX_SEARCH_RESULTS)
    query = short(ctx.args, 80)
    if not found:
        return [ctx.reply(ctx.t("search.none", query=query))]
    header = ctx.t("search.header", query=query, n=len(found))
    entries = item_entries(found, lang=ctx.lang, gazetteer=ctx.services.gazetteer)
    return [ctx.reply(lines([header, *entries]))]


# ----------------------------------------------------------------------------- missed items


async def tieptuc_xem(ctx: Context) -> list[Reply]:
    """"/tieptuc_xem <from> <to>" (the resume button): items that matched while paused."""
    parts = ctx.args.split()
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() for p in parts):
        return [ctx.reply(ctx.t("missed.invalid"))]
    since, until = int(parts[0]), int(parts[1])
    if until < since or until - since > MAX_MISSED_WINDOW:
        return [ctx.reply(ctx.t("missed.invalid"))]
    missed = await missed_items(ctx, since, until)
    if not missed:
        return [ctx.reply(ctx.t("missed.none"), edit=ctx.is_button)]
    shown = missed[:MAX_MISSED_SHOWN]
    out = [ctx.t("missed.header", n=len(missed))]
    out += item_entries(shown, lang=ctx.lang, gazetteer=ctx.services.gazetteer)
    if len(missed) > len(shown):
        out.append(ctx.t("missed.more", n=len(missed) - len(shown)))
    return [ctx.reply(lines(out))]
