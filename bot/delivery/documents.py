"""What a push, a weekly summary and a broadcast say, as neutral documents.

Built once per language and item set, then rendered per messenger by ``packing``. Every string
from a feed goes in as plain text (``Text.of``), so no feed can add markup to a message; links
are kept only when they are plain http(s) URLs (``Text.link``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from bot.core.messages import t
from bot.core.models import Period, TaggedItem
from bot.core.subscriptions import NATIONAL
from bot.core.text import Text, safe_url
from bot.delivery.packing import LINE, Block, Document
from bot.vietnamese.gazetteer import Gazetteer
from bot.vietnamese.sentences import shorten
from bot.vietnamese.textnorm import fold
from bot.vietnamese.topics import Topics

TITLE_CHARS = 300  # an item's bold lead, "…" included
EXCERPT_CHARS = 300  # the 2–3 lines under it
SUMMARY_LEAD_CHARS = 160  # one line per item in a weekly summary
MAX_PLACES = 4  # province names on an item's tag line; the rest as "+N"
MAX_TAGS = 4  # topic hashtags per item
MAX_PUSH_ITEMS = 30  # per chat and batch; the rest as "… and N more — /moinhat"
MAX_TOTALS = 8  # topics on the summary's national line
ELLIPSIS = "…"
_SENTENCE_END = re.compile(r"[.!?;](?=\s)")


def _shorten(text: str, limit: int) -> str:
    """Whitespace collapsed; cut at a word boundary with "…" when longer than ``limit`` chars."""
    return shorten(" ".join((text or "").split()), limit, strip=" ,;:.-–")


# ----------------------------------------------------------------------------- pieces of an item


def unit_label(slug: str, lang: str, gazetteer: Gazetteer) -> str:
    """"Sóc Trăng · nay TP Cần Thơ" for a merged unit, the name alone for a current one."""
    try:
        name, current = gazetteer.display_with_current(slug, lang)
    except KeyError:
        return slug
    return name if current is None else str(t(lang, "delivery.now_part", name=name, current=current))


def places_label(item: TaggedItem, lang: str, gazetteer: Gazetteer) -> str:
    """Its provinces joined by commas (at most MAX_PLACES, then "+N"); national: "Toàn quốc"."""
    slugs = list(dict.fromkeys(item.primary)) or list(dict.fromkeys(item.current_units))
    if not slugs:
        return gazetteer.display(NATIONAL, lang)
    labels = [unit_label(s, lang, gazetteer) for s in slugs[:MAX_PLACES]]
    if len(slugs) > MAX_PLACES:
        labels.append(f"+{len(slugs) - MAX_PLACES}")
    return ", ".join(labels)


def hashtag(slug: str) -> str:
    return "#" + re.sub(r"[^0-9a-zA-Z_]", "_", slug)


def topic_label(slug: str, lang: str, topics: Topics) -> str:
    try:
        return topics.get(slug).label(lang)
    except KeyError:
        return slug


def _lead(item: TaggedItem, limit: int) -> str:
    return _shorten(item.title or item.body, limit)


def excerpt(item: TaggedItem, limit: int = EXCERPT_CHARS) -> str:
    """The body after its lead sentence (which the title already shows), cut at a word."""
    body = " ".join((item.body or "").split())
    title = _lead(item, TITLE_CHARS)
    stem = title[:-1] if title.endswith(ELLIPSIS) else title
    if stem and body.startswith(stem):
        rest = body[len(stem):]
        if title.endswith(ELLIPSIS):
            end = _SENTENCE_END.search(rest)
            rest = rest[end.end():] if end and end.end() <= limit else ELLIPSIS + rest.lstrip()
        body = rest.lstrip(" .:;,-–—")
    elif body == title:
        body = ""
    return _shorten(body, limit)


def item_block(item: TaggedItem, *, lang: str, gazetteer: Gazetteer) -> Block:
    """One item: bold lead, place and topic tags, a short excerpt; its link as the tail."""
    tags = " ".join(hashtag(s) for s in item.topics[:MAX_TAGS])
    place = "📍 " + places_label(item, lang, gazetteer)
    body = Text.bold(_lead(item, TITLE_CHARS)) + LINE + (f"{place} {tags}" if tags else place)
    text = excerpt(item)
    if text:
        body += LINE + text
    url = safe_url(item.link)
    tail = Text.link(t(lang, "delivery.read_more"), url) if url else None
    return Block(body, tail)


# ----------------------------------------------------------------------------- documents


def push_document(
    items: Sequence[TaggedItem],
    *,
    lang: str,
    gazetteer: Gazetteer,
    cache: dict[tuple[str, str], Block] | None = None,
) -> Document:
    """The instant push of new items to one chat. ``cache`` ({(item id, lang): Block}) saves
    building an item again for every chat."""
    blocks = []
    for item in items[:MAX_PUSH_ITEMS]:
        key = (item.item_id, lang)
        block = cache.get(key) if cache is not None else None
        if block is None:
            block = item_block(item, lang=lang, gazetteer=gazetteer)
            if cache is not None:
                cache[key] = block
        blocks.append(block)
    if len(items) > MAX_PUSH_ITEMS:
        blocks.append(Block(t(lang, "delivery.more", n=len(items) - MAX_PUSH_ITEMS)))
    return Document(tuple(blocks), header=t(lang, "delivery.instant_header", n=len(items)))


def period_label(periods: Iterable[Period], lang: str) -> str:
    """"tuần 19 (07/05–13/05/2022)"; several weeks joined; "" when there are none."""
    unique = sorted(set(periods), key=lambda p: (p.start, p.end))
    labels = []
    for p in unique:
        span = f"{p.start:%d/%m}–{p.end:%d/%m/%Y}"
        labels.append(str(t(lang, "summary.week", week=p.week, span=span)) if p.week else span)
    return ", ".join(labels)


def _summary_blocks(
    items: Sequence[TaggedItem], *, lang: str, gazetteer: Gazetteer, topics: Topics
) -> list[Block]:
    """Items grouped by province (national last) then by topic, one line each."""
    groups: dict[str, dict[str, list[TaggedItem]]] = {}
    for item in items:
        topic = item.topics[0] if item.topics else ""
        unit = item.current_units[0] if item.current_units else NATIONAL
        groups.setdefault(unit, {}).setdefault(topic, []).append(item)

    def province_order(slug: str) -> tuple:
        return (slug == NATIONAL, gazetteer.sort_key(slug, lang) if slug != NATIONAL else "")

    def topic_order(slug: str) -> tuple:
        return (slug == "", fold(topic_label(slug, lang, topics)) if slug else "")

    blocks: list[Block] = []
    for province in sorted(groups, key=province_order):
        heading = LINE + Text.bold("📍 " + gazetteer.display(province, lang))
        by_topic = groups[province]
        for topic in sorted(by_topic, key=topic_order):
            name = topic_label(topic, lang, topics) if topic else t(lang, "summary.other_topic")
            sub = Text.italic(name)
            for item in by_topic[topic]:
                lead = _lead(item, SUMMARY_LEAD_CHARS)
                blocks.append(Block("• " + Text.link(lead, item.link), context=(heading, sub), gap=LINE))
    return blocks


def summary_document(
    items: Sequence[TaggedItem],
    *,
    lang: str,
    gazetteer: Gazetteer,
    topics: Topics,
    totals: Mapping[str, int] | None = None,
    window: tuple[date, date] | None = None,
) -> Document:
    """A weekly summary: header naming the digest weeks and the count, items by province and
    topic, then one line of national totals per topic. No items: one short line."""
    label = period_label([i.period for i in items if i.period], lang)
    if not label and window:
        label = f"{window[0]:%d/%m}–{window[1]:%d/%m/%Y}"
    if not items:
        return Document((Block(t(lang, "summary.empty", period=label)),))
    header = t(lang, "summary.header", period=label) + LINE + t(lang, "summary.count", n=len(items))
    blocks = _summary_blocks(items, lang=lang, gazetteer=gazetteer, topics=topics)
    if totals:
        parts = [f"{topic_label(s, lang, topics)} {n}" for s, n in list(totals.items())[:MAX_TOTALS]]
        blocks.append(Block(LINE + t(lang, "summary.totals", counts=" · ".join(parts)), gap=LINE))
    return Document(tuple(blocks), header=header)


def broadcast_document(text: str) -> Document:
    """An operator's announcement: their words as typed (plain text), split between lines."""
    return Document(tuple(Block(Text.of(line), gap=LINE) for line in text.split("\n")))
