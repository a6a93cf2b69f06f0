"""/tinh /chude /tukhoa /xoa: what a chat follows, typed as lists or picked on keyboards."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.subscriptions import SubscriptionRow
from bot.delivery.matching import keyword_key, make_keyword
from bot.vietnamese.gazetteer import NATIONAL
from bot.vietnamese.textnorm import fold
from handlers import confirm
from handlers.context import Context, button, join_limited, rows_of
from handlers.labels import (
    name_list,
    province_display,
    province_name,
    subscription_display,
    subscription_name,
    topic_display,
    topic_name,
)
from handlers.parsing import MAX_LIST_ENTRIES, folded_words, split_list
from handlers.types import Button, Reply
from storage import chats

MAX_KEYWORDS = 20
MAX_KEYWORD_CHARS = 50
MAX_SUGGESTION_ROWS = 5
CLEAR_ALL_WORDS = frozenset({"tatca", "tat ca", "all", "het", "xoa het", "everything"})
CLEAR_ALL_ACTION = "clear_all"
_HAS_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Lookup:
    """What one typed name resolved to."""

    query: str
    value: str | None = None  # the value to store; None when not found
    note: str | None = None  # e.g. "Sóc Trăng nay thuộc TP Cần Thơ"
    suggestions: tuple[tuple[str, str], ...] = ()  # (plain display name, slug) to offer


def _too_many(ctx: Context, entries: list[str]) -> list[Reply]:
    """The polite refusal of a list longer than one command takes; empty when it fits."""
    if len(entries) > MAX_LIST_ENTRIES:
        return [ctx.reply(ctx.t("common.too_many", limit=MAX_LIST_ENTRIES))]
    return []


# ----------------------------------------------------------------------------- resolving


def resolve_province(ctx: Context, query: str) -> Lookup:
    """A typed province (name, old name, alias, slug; accents optional) → current-unit slug."""
    gaz = ctx.services.gazetteer
    if query == NATIONAL:
        return Lookup(query, NATIONAL)
    try:
        unit = gaz.get(query)
        national = False
        suggestions: tuple = ()
    except KeyError:
        resolution = gaz.resolve(query)
        unit, national, suggestions = resolution.unit, resolution.national, resolution.suggestions
    if national:
        return Lookup(query, NATIONAL)
    if unit is None:
        return Lookup(
            query, suggestions=tuple((province_display(ctx, u.slug), u.slug) for u in suggestions)
        )
    current = gaz.current_of(unit.slug)
    note = None
    if current.slug != unit.slug:
        note = ctx.t(
            "province.merged_note",
            old=province_name(ctx, unit.slug),
            new=province_name(ctx, current.slug),
        )
    return Lookup(query, current.slug, note)


def resolve_topic(ctx: Context, query: str) -> Lookup:
    topics = ctx.services.topics
    if query in topics:
        return Lookup(query, query)
    resolution = topics.resolve(query)
    if resolution.topic is not None:
        return Lookup(query, resolution.topic.slug)
    return Lookup(
        query,
        suggestions=tuple((topic_display(ctx, tp.slug), tp.slug) for tp in resolution.suggestions),
    )


# ----------------------------------------------------------------------------- adding by name


async def _subscribe_named(
    ctx: Context,
    kind: str,
    section: str,
    command: str,
    resolver: Callable[[Context, str], Lookup],
    label: Callable[[Context, str], str],
) -> list[Reply]:
    """Shared by /tinh and /chude: add every name that resolves, report the rest, one reply."""
    entries = split_list(ctx.args)
    if refusal := _too_many(ctx, entries):
        return refusal
    values: list[str] = []
    notes: list[str] = []
    missing: list[Lookup] = []
    for entry in entries:
        found = resolver(ctx, entry)
        if found.value is None:
            missing.append(found)
            continue
        if found.value not in values:
            values.append(found.value)
        if found.note and found.note not in notes:
            notes.append(found.note)
    added = await chats.add_subscriptions(ctx.db, ctx.chat.id, kind, values, ctx.now)
    already = [v for v in values if v not in added]

    lines: list[str] = []
    if added:
        lines.append(ctx.t(f"{section}.added", names=name_list(ctx, (label(ctx, v) for v in added))))
    lines.extend(notes)
    if already:
        lines.append(
            ctx.t(f"{section}.already", names=name_list(ctx, (label(ctx, v) for v in already)))
        )
    rows: list[tuple[Button, ...]] = []
    for miss in missing:
        query = html.escape(miss.query)
        if miss.suggestions:
            names = ", ".join(html.escape(name) for name, _ in miss.suggestions)
            lines.append(ctx.t(f"{section}.not_found_suggest", query=query, suggestions=names))
            if len(rows) < MAX_SUGGESTION_ROWS:
                rows.append(
                    tuple(button(name, f"/{command} {slug}") for name, slug in miss.suggestions)
                )
        else:
            lines.append(ctx.t(f"{section}.not_found", query=query))
    if missing:
        rows.append((button(ctx.t(f"{section}.pick_from_list"), f"/{command}"),))
    return [ctx.reply(join_limited(lines), rows)]


# ----------------------------------------------------------------------------- /tinh


async def tinh(ctx: Context) -> list[Reply]:
    """/tinh [names…]: subscribe to provinces; without names, a keyboard."""
    if not ctx.args:
        return [await _province_root(ctx)]
    return await _subscribe_named(ctx, "province", "province", "tinh", resolve_province, province_name)


async def _subscribed(ctx: Context, kind: str) -> set[str]:
    return {s.value for s in await chats.list_subscriptions(ctx.db, ctx.chat.id, kind)}


async def _province_root(ctx: Context, notice: str | None = None) -> Reply:
    gaz = ctx.services.gazetteer
    chosen = await _subscribed(ctx, "province")
    region_buttons = []
    for region in gaz.regions:
        count = sum(1 for u in gaz.units_in_region(region.slug) if u.slug in chosen)
        name = region.name_en if ctx.lang == "en" else region.name
        text = f"{name} ({count})" if count else name
        region_buttons.append(button(text, f"/tinh_kb r:{region.slug}"))
    national = gaz.display(NATIONAL, ctx.lang)
    rows = rows_of(region_buttons, 2)
    rows.append((button(_tick(NATIONAL in chosen) + national, f"/tinh_kb t:{NATIONAL}"),))
    rows.append((button(ctx.t("common.done"), "/tinh_kb xong"),))
    names = sorted(province_name(ctx, slug) for slug in chosen)
    text = ctx.t("province.kb_root", names=name_list(ctx, names))
    return ctx.reply(text, rows, edit=ctx.is_button, notice=notice)


async def _province_region(ctx: Context, region_slug: str, notice: str | None = None) -> Reply:
    gaz = ctx.services.gazetteer
    region = next(r for r in gaz.regions if r.slug == region_slug)
    chosen = await _subscribed(ctx, "province")
    unit_buttons = [
        button(_tick(u.slug in chosen) + gaz.display(u.slug, ctx.lang), f"/tinh_kb t:{u.slug}")
        for u in gaz.units_in_region(region_slug)
    ]
    rows = rows_of(unit_buttons, 2)
    rows.append((button(ctx.t("common.back"), "/tinh_kb"), button(ctx.t("common.done"), "/tinh_kb xong")))
    name = region.name_en if ctx.lang == "en" else region.name
    text = ctx.t("province.kb_region", region=html.escape(name))
    return ctx.reply(text, rows, edit=ctx.is_button, notice=notice)


def _tick(on: bool) -> str:
    return "✅ " if on else ""


async def _toggle(ctx: Context, kind: str, value: str, name: str) -> str:
    """Subscribe or unsubscribe; return the notice to show."""
    if await chats.remove_subscriptions(ctx.db, ctx.chat.id, kind, [value]):
        return ctx.t("common.kb_removed", name=name)
    await chats.add_subscriptions(ctx.db, ctx.chat.id, kind, [value], ctx.now)
    return ctx.t("common.kb_added", name=name)


async def tinh_kb(ctx: Context) -> list[Reply]:
    """Province keyboard actions: "" (regions), "r:<region>", "t:<unit>" (toggle), "xong"."""
    gaz = ctx.services.gazetteer
    action, _, slug = ctx.args.partition(":")
    action, slug = action.strip().lower(), slug.strip()
    if action in ("xong", "done"):
        chosen = await _subscribed(ctx, "province")
        names = sorted(province_name(ctx, s) for s in chosen)
        text = ctx.t("province.kb_saved", names=name_list(ctx, names))
        return [ctx.reply(text, _after_save_buttons(ctx), edit=ctx.is_button)]
    if action == "r" and slug in {r.slug for r in gaz.regions}:
        return [await _province_region(ctx, slug)]
    if action == "t":
        found = resolve_province(ctx, slug)
        if found.value is not None:
            notice = await _toggle(ctx, "province", found.value, gaz.display(found.value, ctx.lang))
            if found.value == NATIONAL:
                return [await _province_root(ctx, notice)]
            return [await _province_region(ctx, gaz.get(found.value).region, notice)]
    if ctx.args:
        return [await _province_root(ctx, ctx.t("common.kb_unknown"))]
    return [await _province_root(ctx)]


def _after_save_buttons(ctx: Context) -> list[tuple[Button, ...]]:
    return [
        (
            button(ctx.t("menu.topics"), "/chude"),
            button(ctx.t("menu.keywords"), "/tukhoa"),
            button(ctx.t("menu.list"), "/dangky"),
        )
    ]


# ----------------------------------------------------------------------------- /chude


async def chude(ctx: Context) -> list[Reply]:
    """/chude [names…]: subscribe to topics; without names, a keyboard."""
    if not ctx.args:
        return [await _topic_keyboard(ctx)]
    return await _subscribe_named(ctx, "topic", "topic", "chude", resolve_topic, topic_name)


async def _topic_keyboard(ctx: Context, notice: str | None = None) -> Reply:
    chosen = await _subscribed(ctx, "topic")
    topic_buttons = [
        button(_tick(tp.slug in chosen) + tp.label(ctx.lang), f"/chude_kb t:{tp.slug}")
        for tp in ctx.services.topics.topics
    ]
    rows = rows_of(topic_buttons, 2)
    rows.append((button(ctx.t("common.done"), "/chude_kb xong"),))
    names = [topic_name(ctx, tp.slug) for tp in ctx.services.topics.topics if tp.slug in chosen]
    text = ctx.t("topic.kb", names=name_list(ctx, names))
    return ctx.reply(text, rows, edit=ctx.is_button, notice=notice)


async def chude_kb(ctx: Context) -> list[Reply]:
    """Topic keyboard actions: "" (show), "t:<topic>" (toggle), "xong"."""
    action, _, slug = ctx.args.partition(":")
    action, slug = action.strip().lower(), slug.strip()
    if action in ("xong", "done"):
        chosen = await _subscribed(ctx, "topic")
        names = [topic_name(ctx, tp.slug) for tp in ctx.services.topics.topics if tp.slug in chosen]
        text = ctx.t("topic.kb_saved", names=name_list(ctx, names))
        return [ctx.reply(text, _after_save_buttons(ctx), edit=ctx.is_button)]
    if action == "t" and slug in ctx.services.topics:
        label = ctx.services.topics.get(slug).label(ctx.lang)
        return [await _topic_keyboard(ctx, await _toggle(ctx, "topic", slug, label))]
    return [await _topic_keyboard(ctx, ctx.t("common.kb_unknown") if ctx.args else None)]


# ----------------------------------------------------------------------------- /tukhoa


def _keyword_identity(text: str) -> tuple[bool, str]:
    """Two keywords are the same alert when they match the same texts."""
    kw = make_keyword(text)
    return kw.accented, keyword_key(kw)


async def tukhoa(ctx: Context) -> list[Reply]:
    """/tukhoa [phrases…]: keyword alerts."""
    existing = await chats.list_subscriptions(ctx.db, ctx.chat.id, "keyword")
    if not ctx.args:
        names = [html.escape(s.value) for s in existing]
        text = ctx.t("keyword.current", names=name_list(ctx, names), limit=MAX_KEYWORDS)
        return [ctx.reply(text + "\n" + ctx.t("keyword.usage"))]
    entries = split_list(ctx.args)
    if refusal := _too_many(ctx, entries):
        return refusal
    known = {_keyword_identity(s.value) for s in existing}
    room = MAX_KEYWORDS - len(existing)
    to_add: list[str] = []
    already, too_long, invalid, over_limit = [], [], [], []
    for entry in entries:
        if len(entry) > MAX_KEYWORD_CHARS:
            too_long.append(entry)
        elif not _HAS_WORD.search(entry):
            invalid.append(entry)
        elif _keyword_identity(entry) in known:
            already.append(entry)
        elif len(to_add) >= room:
            over_limit.append(entry)
        else:
            known.add(_keyword_identity(entry))
            to_add.append(entry)
    added = await chats.add_subscriptions(
        ctx.db, ctx.chat.id, "keyword", [make_keyword(e) for e in to_add], ctx.now
    )

    def names(values: list[str]) -> str:
        return ", ".join(html.escape(v if len(v) <= 60 else v[:59] + "…") for v in values)

    lines = []
    if added:
        lines.append(ctx.t("keyword.added", names=names(added)))
        if any(not make_keyword(v).accented for v in added):
            lines.append(ctx.t("keyword.accent_hint"))
    if already:
        lines.append(ctx.t("keyword.already", names=names(already)))
    if too_long:
        lines.append(ctx.t("keyword.too_long", names=names(too_long), limit=MAX_KEYWORD_CHARS))
    if invalid:
        lines.append(ctx.t("keyword.invalid", names=names(invalid)))
    if over_limit:
        lines.append(ctx.t("keyword.limit", names=names(over_limit), limit=MAX_KEYWORDS))
    return [ctx.reply(join_limited(lines))]


# ----------------------------------------------------------------------------- /xoa


def keyword_token(value: str) -> str:
    """A short, stable handle for a keyword in button data ("/xoa k:1a2b3c4d")."""
    return hashlib.sha1(value.encode("utf-8")).hexdigest()[:8]


def _find_subscription(
    ctx: Context, subs: list[SubscriptionRow], entry: str
) -> tuple[SubscriptionRow | None, str | None]:
    """The subscription an entry names, or (None, display name of a known-but-unsubscribed
    province/topic), or (None, None)."""
    prefix, sep, rest = entry.partition(":")
    if sep and prefix in ("p", "t", "k"):
        kind = {"p": "province", "t": "topic", "k": "keyword"}[prefix]
        for sub in subs:
            if sub.kind == kind and (
                sub.value == rest if kind != "keyword" else keyword_token(sub.value) == rest
            ):
                return sub, None
        return None, None
    keywords = [s for s in subs if s.kind == "keyword"]
    for sub in keywords:
        if sub.value.lower() == entry.lower():
            return sub, None
    folded = [s for s in keywords if s.folded == fold(entry)]
    if len(folded) == 1:
        return folded[0], None
    known_name = None
    for kind, resolver, label in (
        ("province", resolve_province, province_name),
        ("topic", resolve_topic, topic_name),
    ):
        found = resolver(ctx, entry)
        if found.value is None:
            continue
        for sub in subs:
            if sub.kind == kind and sub.value == found.value:
                return sub, None
        known_name = known_name or label(ctx, found.value)
    return None, known_name


async def xoa(ctx: Context) -> list[Reply]:
    """/xoa names…: unsubscribe; "/xoa tatca" after a confirmation; no names: a keyboard."""
    subs = await chats.list_subscriptions(ctx.db, ctx.chat.id)
    if not ctx.args:
        return [_remove_keyboard(ctx, subs)]
    if folded_words(ctx.args) in CLEAR_ALL_WORDS:
        if not subs:
            return [ctx.reply(ctx.t("remove.nothing"))]
        confirm.ask(ctx.services, ctx.incoming, CLEAR_ALL_ACTION, ctx.now)
        rows = [(button(ctx.t("remove.confirm_yes"), "/xoa_xacnhan"), button(ctx.t("common.cancel"), "/huy"))]
        return [ctx.reply(ctx.t("remove.confirm_all", n=len(subs)), rows)]
    entries = split_list(ctx.args)
    if refusal := _too_many(ctx, entries):
        return refusal
    removed: list[str] = []
    removed_plain: list[str] = []
    not_subscribed: list[str] = []
    unknown: list[str] = []
    for entry in entries:
        sub, known_name = _find_subscription(ctx, subs, entry)
        if sub is not None:
            if await chats.remove_subscriptions(ctx.db, ctx.chat.id, sub.kind, [sub.value]):
                removed.append(subscription_name(ctx, sub))
                removed_plain.append(subscription_display(ctx, sub))
            subs = [s for s in subs if s != sub]
        elif known_name is not None:
            not_subscribed.append(known_name)
        else:
            unknown.append(html.escape(entry))
    lines = []
    if removed:
        lines.append(ctx.t("remove.removed", names=", ".join(removed)))
    if not_subscribed:
        lines.append(ctx.t("remove.not_subscribed", names=", ".join(not_subscribed)))
    if unknown:
        lines.append(ctx.t("remove.unknown", names=", ".join(unknown)))
    if ctx.is_button:
        notice = ctx.t("common.kb_removed", name=", ".join(removed_plain)) if removed_plain else None
        return [_remove_keyboard(ctx, subs, header=join_limited(lines), notice=notice)]
    rows = [(button(ctx.t("remove.show_list"), "/xoa"),)] if unknown and subs else []
    return [ctx.reply(join_limited(lines), rows)]


def _remove_keyboard(
    ctx: Context, subs: list[SubscriptionRow], header: str = "", notice: str | None = None
) -> Reply:
    if not subs:
        text = "\n".join(x for x in (header, ctx.t("remove.nothing")) if x)
        return ctx.reply(text, edit=ctx.is_button, notice=notice)
    code = {"province": "p", "topic": "t", "keyword": "k"}
    buttons = []
    for sub in subs:
        handle = keyword_token(sub.value) if sub.kind == "keyword" else sub.value
        name = subscription_display(ctx, sub)
        if len(name) > 40:
            name = name[:39] + "…"
        buttons.append(button("❌ " + name, f"/xoa {code[sub.kind]}:{handle}"))
    rows = rows_of(buttons, 2)
    rows.append((button(ctx.t("remove.all_button"), "/xoa tatca"),))
    text = "\n".join(x for x in (header, ctx.t("remove.pick")) if x)
    return ctx.reply(text, rows, edit=ctx.is_button, notice=notice)


async def xoa_xacnhan(ctx: Context) -> list[Reply]:
    """Confirm "/xoa tatca" (button, or "có"/"yes" typed as the next message)."""
    if confirm.take(ctx.services, ctx.incoming, CLEAR_ALL_ACTION, ctx.now) is None:
        return [ctx.reply(ctx.t("remove.confirm_expired"), edit=ctx.is_button)]
    count = await chats.clear_subscriptions(ctx.db, ctx.chat.id)
    return [ctx.reply(ctx.t("remove.cleared", n=count), edit=ctx.is_button)]


async def huy(ctx: Context) -> list[Reply]:
    """Cancel the chat's open question."""
    if confirm.drop(ctx.services, ctx.incoming):
        return [ctx.reply(ctx.t("common.cancelled"), edit=ctx.is_button)]
    return [ctx.reply(ctx.t("common.nothing_to_cancel"), edit=ctx.is_button)]
