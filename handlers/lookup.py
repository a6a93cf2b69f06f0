"""Typed names → what to store: provinces (old names, aliases, no accents) and topics; and the
by-name subscription that /tinh and /chude share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.core.subscriptions import NATIONAL
from bot.core.text import Text
from handlers.context import Context, button, lines
from handlers.labels import name_list, province_display, short, topic_display
from handlers.parsing import MAX_LIST_ENTRIES, split_list
from handlers.types import Button, Reply
from storage import subscriptions

MAX_SUGGESTION_ROWS = 5


@dataclass(frozen=True)
class Lookup:
    """What one typed name resolved to."""

    query: str
    value: str | None = None  # the value to store; None when not found
    note: Text | None = None  # e.g. "Sóc Trăng nay thuộc TP Cần Thơ"
    suggestions: tuple[tuple[str, str], ...] = ()  # (display name, slug) to offer


def too_many(ctx: Context, entries: list[str]) -> list[Reply]:
    """The polite refusal of a list longer than one command takes; empty when it fits."""
    if len(entries) > MAX_LIST_ENTRIES:
        return [ctx.reply(ctx.t("common.too_many", limit=MAX_LIST_ENTRIES))]
    return []


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
            old=province_display(ctx, unit.slug),
            new=province_display(ctx, current.slug),
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


async def subscribe_named(
    ctx: Context,
    kind: str,
    command: str,
    resolver: Callable[[Context, str], Lookup],
    label: Callable[[Context, str], str],
) -> list[Reply]:
    """/tinh and /chude with names: add every name that resolves, report the rest, one reply.
    ``kind`` ("province", "topic") is also the catalogue section of the texts."""
    entries = split_list(ctx.args)
    if refusal := too_many(ctx, entries):
        return refusal
    values: list[str] = []
    notes: list[Text] = []
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
    added = await subscriptions.add_subscriptions(ctx.db, ctx.chat.id, kind, values, ctx.now)
    already = [v for v in values if v not in added]

    out: list[Text] = []
    if added:
        out.append(ctx.t(f"{kind}.added", names=name_list(ctx, (label(ctx, v) for v in added))))
    out.extend(notes)
    if already:
        out.append(ctx.t(f"{kind}.already", names=name_list(ctx, (label(ctx, v) for v in already))))
    rows: list[tuple[Button, ...]] = []
    for miss in missing:
        query = short(miss.query)
        if miss.suggestions:
            names = ", ".join(name for name, _ in miss.suggestions)
            out.append(ctx.t(f"{kind}.not_found_suggest", query=query, suggestions=names))
            if len(rows) < MAX_SUGGESTION_ROWS:
                rows.append(
                    tuple(button(name, f"/{command} {slug}") for name, slug in miss.suggestions)
                )
        else:
            out.append(ctx.t(f"{kind}.not_found", query=query))
    if missing:
        rows.append((button(ctx.t(f"{kind}.pick_from_list"), f"/{command}"),))
    return [ctx.reply(lines(out), rows)]
