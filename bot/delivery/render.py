"""Items and weekly summaries as Telegram HTML messages, split under Telegram's length limit.

Every string that comes from a feed is escaped here; links are kept only when they are plain
http(s) URLs. Messages are split only between items (a heading is repeated at the top of a
continuation), never inside a tag or an entity, and each stays within ``MAX_MESSAGE_UTF16``
UTF-16 code units of visible text — what Telegram counts after parsing the entities.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from bot.core.messages import t
from bot.core.models import Period, TaggedItem
from bot.vietnamese.gazetteer import NATIONAL, Gazetteer
from bot.vietnamese.sentences import shorten
from bot.vietnamese.textnorm import fold
from bot.vietnamese.topics import Topics

MAX_MESSAGE_UTF16 = 4096
TITLE_CHARS = 300  # an item's bold lead, "…" included
EXCERPT_CHARS = 300  # the 2–3 lines under it
SUMMARY_LEAD_CHARS = 160  # one line per item in a weekly summary
MAX_PLACES = 4  # province names on an item's tag line; the rest as "+N"
MAX_TAGS = 4  # topic hashtags per item
ELLIPSIS = "…"

_TOKEN = re.compile(r"<[^>]*>|&(?:#\d+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);")
_ANCHOR = re.compile(r'<a\s+href="([^"]*)"\s*>(.*?)</a>', re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SENTENCE_END = re.compile(r"[.!?;](?=\s)")


# ----------------------------------------------------------------------------- measuring


def utf16_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def telegram_length(markup: str) -> int:
    """Visible length of Telegram HTML in UTF-16 code units (tags dropped, entities as one char)."""
    if "<" not in markup and "&" not in markup:
        return utf16_len(markup)
    return utf16_len(html.unescape(_TAG.sub("", markup)))


def html_to_terminal(markup: str) -> str:
    """Telegram HTML as plain terminal text: tags dropped, links shown as "text <url>"."""

    def plain(fragment: str) -> str:
        return html.unescape(_TAG.sub("", fragment))

    out, pos = [], 0
    for match in _ANCHOR.finditer(markup):
        out.append(plain(markup[pos : match.start()]))
        out.append(f"{plain(match.group(2))} <{html.unescape(match.group(1))}>")
        pos = match.end()
    out.append(plain(markup[pos:]))
    return "".join(out)


def safe_url(url: str | None) -> str | None:
    """The URL if it is a plain http(s) URL without spaces or control characters, else None."""
    url = (url or "").strip()
    if not url.lower().startswith(("http://", "https://")) or len(url) > 2000:
        return None
    if any(c.isspace() or ord(c) < 32 for c in url):
        return None
    return url


def _shorten(text: str, limit: int) -> str:
    """Whitespace collapsed; cut at a word boundary with "…" when longer than ``limit`` chars."""
    return shorten(" ".join((text or "").split()), limit, strip=" ,;:.-–")


def cut_html(markup: str, budget: int) -> str:
    """The longest prefix of ``markup`` whose visible text fits ``budget`` UTF-16 units with a
    trailing "…", open tags closed; never cuts inside a tag or an entity."""
    if telegram_length(markup) <= budget:
        return markup
    out: list[str] = []
    stack: list[str] = []
    used = 0
    limit = budget - 1  # room for the ellipsis
    pos = 0
    for match in [*_TOKEN.finditer(markup), None]:
        end = match.start() if match else len(markup)
        for ch in markup[pos:end]:
            width = utf16_len(ch)
            if used + width > limit:
                return "".join(out) + ELLIPSIS + "".join(f"</{tag}>" for tag in reversed(stack))
            out.append(ch)
            used += width
        if match is None:
            break
        token = match.group()
        pos = match.end()
        if token.startswith("<"):
            name = token[1:].split()[0].rstrip(">").lstrip("/").lower() if len(token) > 2 else ""
            if token.startswith("</"):
                if stack:
                    stack.pop()
            else:
                stack.append(name)
            out.append(token)
        else:
            if used + 1 > limit:
                break
            out.append(token)
            used += 1
    return "".join(out) + ELLIPSIS + "".join(f"</{tag}>" for tag in reversed(stack))


# ----------------------------------------------------------------------------- pieces of an item


def _unit_label(slug: str, lang: str, gazetteer: Gazetteer) -> str:
    try:
        name = gazetteer.display(slug, lang)
        current = gazetteer.current_of(slug)
    except KeyError:
        return slug
    if current.slug == slug:
        return name
    current_name = gazetteer.display(current.slug, lang)
    if lang != "en" and current.kind == "thành phố" and not current_name.startswith("TP "):
        current_name = f"TP {current_name}"
    return t(lang, "delivery.now_part", name=name, current=current_name)


def places_label(item: TaggedItem, lang: str, gazetteer: Gazetteer) -> str:
    """"Sóc Trăng · nay TP Cần Thơ", several joined by commas; national items "Toàn quốc"."""
    slugs = list(dict.fromkeys(item.primary)) or list(dict.fromkeys(item.current_units))
    if not slugs:
        return gazetteer.display(NATIONAL, lang)
    labels = [_unit_label(s, lang, gazetteer) for s in slugs[:MAX_PLACES]]
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


# ----------------------------------------------------------------------------- items


def render_item(item: TaggedItem, *, lang: str, gazetteer: Gazetteer, topics: Topics) -> str:
    """One item: bold lead, place and topic tags, a short excerpt, the link."""
    lines = [f"<b>{html.escape(_lead(item, TITLE_CHARS))}</b>"]
    tags = " ".join(hashtag(s) for s in item.topics[:MAX_TAGS])
    place = "📍 " + html.escape(places_label(item, lang, gazetteer))
    lines.append(f"{place} {tags}" if tags else place)
    text = excerpt(item)
    if text:
        lines.append(html.escape(text))
    url = safe_url(item.link)
    if url:
        lines.append(f'<a href="{html.escape(url, quote=True)}">{t(lang, "delivery.read_more")}</a>')
    return "\n".join(lines)


@dataclass(frozen=True)
class Block:
    """A self-contained piece of a message; ``context`` are headings shown above it (repeated
    at the top of a continuation message)."""

    html: str
    context: tuple[str, ...] = ()

    @cached_property
    def length(self) -> int:
        return telegram_length(self.html)


def pack(
    blocks: Iterable[Block],
    *,
    header: str | None = None,
    separator: str = "\n\n",
    limit: int = MAX_MESSAGE_UTF16,
) -> list[str]:
    """Pack blocks into as few messages as possible, splitting only between blocks; a block
    too long for a message of its own is cut with "…"."""
    messages: list[str] = []
    parts: list[str] = []
    size = 0
    shown: tuple[str, ...] = ()
    has_block = False
    sep = telegram_length(separator)

    def begin() -> None:
        nonlocal parts, size, shown, has_block
        parts, size, shown, has_block = [], 0, (), False
        if header and not messages:
            parts, size = [header], telegram_length(header)

    def pieces_for(block: Block) -> tuple[list[str], int]:
        common = 0
        while common < min(len(shown), len(block.context)) and shown[common] == block.context[common]:
            common += 1
        pieces = [*block.context[common:], block.html]
        cost = sum(telegram_length(p) for p in pieces[:-1]) + block.length
        return pieces, cost + sep * (len(pieces) - (0 if parts else 1))

    begin()
    for block in blocks:
        pieces, cost = pieces_for(block)
        if size + cost > limit and has_block:
            messages.append(separator.join(parts))
            begin()
            pieces, cost = pieces_for(block)
        if size + cost > limit:
            room = limit - size - (cost - telegram_length(block.html))
            pieces[-1] = cut_html(block.html, max(room, 1))
            cost = cost - telegram_length(block.html) + telegram_length(pieces[-1])
        parts.extend(pieces)
        size += cost
        shown = block.context
        has_block = True
    if parts:
        messages.append(separator.join(parts))
    return messages


def render_items(
    items: Sequence[TaggedItem],
    *,
    lang: str,
    gazetteer: Gazetteer,
    topics: Topics,
    header: str | None = None,
    cache: dict[tuple[str, str], Block] | None = None,
) -> list[str]:
    """Items as few messages as possible (split between items only), ``header`` on the first.
    ``cache`` ({(item id, lang): Block}) saves rendering an item again for every chat."""
    blocks = []
    for item in items:
        key = (item.item_id, lang)
        block = cache.get(key) if cache is not None else None
        if block is None:
            block = Block(render_item(item, lang=lang, gazetteer=gazetteer, topics=topics))
            if cache is not None:
                cache[key] = block
        blocks.append(block)
    return pack(blocks, header=header)


# ----------------------------------------------------------------------------- weekly summary


def period_label(periods: Iterable[Period], lang: str) -> str:
    """"tuần 19 (07/05–13/05/2022)"; several weeks joined; "" when there are none."""
    unique = sorted(set(periods), key=lambda p: (p.start, p.end))
    labels = []
    for p in unique:
        span = f"{p.start:%d/%m}–{p.end:%d/%m/%Y}"
        labels.append(t(lang, "summary.week", week=p.week, span=span) if p.week else span)
    return ", ".join(labels)


def _group_key(item: TaggedItem) -> str:
    return item.current_units[0] if item.current_units else NATIONAL


def summary_blocks(
    items: Sequence[TaggedItem], *, lang: str, gazetteer: Gazetteer, topics: Topics
) -> list[Block]:
    """Items grouped by province (national last) then by topic, one line each."""
    groups: dict[str, dict[str, list[TaggedItem]]] = {}
    for item in items:
        topic = item.topics[0] if item.topics else ""
        groups.setdefault(_group_key(item), {}).setdefault(topic, []).append(item)

    def province_order(slug: str) -> tuple:
        return (slug == NATIONAL, gazetteer.sort_key(slug, lang) if slug != NATIONAL else "")

    blocks: list[Block] = []
    for province in sorted(groups, key=province_order):
        heading = f"\n<b>📍 {html.escape(gazetteer.display(province, lang))}</b>"
        by_topic = groups[province]
        for topic in sorted(by_topic, key=lambda s: (s == "", fold(topic_label(s, lang, topics)) if s else "")):
            name = topic_label(topic, lang, topics) if topic else t(lang, "summary.other_topic")
            sub = f"<i>{html.escape(name)}</i>"
            for item in by_topic[topic]:
                lead = html.escape(_lead(item, SUMMARY_LEAD_CHARS))
                url = safe_url(item.link)
                line = f'• <a href="{html.escape(url, quote=True)}">{lead}</a>' if url else f"• {lead}"
                blocks.append(Block(line, (heading, sub)))
    return blocks


def render_summary(
    items: Sequence[TaggedItem],
    *,
    lang: str,
    gazetteer: Gazetteer,
    topics: Topics,
    totals: Mapping[str, int] | None = None,
    window: tuple[date, date] | None = None,
) -> list[str]:
    """A weekly summary: header naming the digest weeks, the count, items by province and topic,
    then one line of national totals per topic. No items: the short "nothing matched" line."""
    periods = [i.period for i in items if i.period]
    label = period_label(periods, lang)
    if not label and window:
        label = f"{window[0]:%d/%m}–{window[1]:%d/%m/%Y}"
    totals_line = None
    if totals:
        parts = [f"{html.escape(topic_label(s, lang, topics))} {n}" for s, n in list(totals.items())[:8]]
        totals_line = t(lang, "summary.totals", counts=" · ".join(parts))
    if not items:
        return [t(lang, "summary.empty", period=html.escape(label))]
    header = t(lang, "summary.header", period=html.escape(label))
    header = f"{header}\n{t(lang, 'summary.count', n=len(items))}"
    blocks = summary_blocks(items, lang=lang, gazetteer=gazetteer, topics=topics)
    if totals_line:
        blocks.append(Block(f"\n{totals_line}"))
    return pack(blocks, header=header, separator="\n")
