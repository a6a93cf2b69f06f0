"""Tag raw items with the provinces they are about and their topics.

The provinces an item is *about* (``primary``) are those named in its lead: the short heading
before ":" ("Sóc Trăng: …"), or else the first sentence ("Hội Nông dân và Bưu điện TP. Phổ Yên,
Thái Nguyên ký kết …"). Provinces named only further on are ``mentioned`` (the Sơn La festival
in the Đà Nẵng item). An item whose lead names no province is national, unless its feed is a
provincial portal with a default province.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.core.models import FeedEntry, Period, RawItem, TaggedItem
from bot.intake.digest import split_entry
from bot.vietnamese.gazetteer import NATIONAL
from bot.vietnamese.sentences import lead_spans
from bot.vietnamese.textnorm import TokenMemo, accent_key, clean, is_plain, retone
from bot.vietnamese.topics import text_key

if TYPE_CHECKING:  # pragma: no cover
    from bot.vietnamese.gazetteer import Gazetteer
    from bot.vietnamese.topics import Topics


def item_id(body: str) -> str:
    """Stable id of an item: the same text gets the same id, whichever feed or URL it came from.

    The body is compared through ``accent_key`` with whitespace collapsed, so a digest
    re-published under a new guid, with "Hoá" re-typed as "Hóa", at a feed's new address or on
    a mirror, keeps its ids.
    """
    return _item_id(_Views(clean(body)))


def _item_id(views: _Views) -> str:
    # Clean text has no space next to a line break, none at its ends, no two in a row; plain
    # text has no other white space. Unless two line breaks meet, collapsing white space is then
    # turning line breaks into spaces, and plain text keys the same word by word as whole.
    if views.plain and "\n\n" not in views.lowered:
        normalised = views.retoned.replace("\n", " ")
    else:
        normalised = " ".join(map(_TOKEN_KEYS.__getitem__, views.lowered.split()))
    return hashlib.sha256(normalised.encode()).hexdigest()[:24]


class _Views:
    """The forms of one text (already through ``textnorm.clean``) that tagging needs, once."""

    __slots__ = ("cleaned", "lowered", "plain", "_retoned")

    def __init__(self, cleaned: str) -> None:
        self.cleaned = cleaned
        self.lowered = cleaned.lower()
        self.plain = is_plain(self.lowered)
        self._retoned: str | None = None

    @property
    def retoned(self) -> str:
        """``retone(lowered)``: the accent key, when the text is plain."""
        if self._retoned is None:
            self._retoned = retone(self.lowered)
        return self._retoned


def classify(
    raw: RawItem,
    *,
    feed_key: str,
    gazetteer: Gazetteer,
    topics: Topics,
    default_province: str | None = None,
) -> TaggedItem:
    """Provinces (primary, mentioned, current units) and topics of one raw item."""
    title = clean(raw.title)
    body = clean(raw.body)
    primary: tuple[str, ...] = ()
    named: list[str] = []
    views = _Views(body)  # lower-cased once, for provinces, topics and the id

    # A digest item's title is its own first sentence; an article's title is a lead of its own.
    from_body = _title_is_from_body(title, body)
    sources = [body] if from_body else [title, body]
    for text in sources:
        if not text:
            continue
        if text is body:
            mentions = gazetteer.find_in_clean(body, lowered=views.lowered, plain=views.plain)
        else:
            mentions = gazetteer.find_in_text(text)
        if not primary:
            primary = _lead_provinces(text, mentions)
        named.extend(m.slug for m in mentions)

    if not primary and default_province:
        primary = (default_province,)
    mentioned = tuple(s for s in _dedupe(named) if s not in primary)
    current = _dedupe(_current_slug(gazetteer, slug) for slug in primary)
    # A title cut from the body is not counted twice.
    if not from_body:
        tags = tuple(topics.tag(f"{title}\n{body}"))
    elif views.plain:
        tags = tuple(topics.tag_clean(body, key=text_key(views.retoned)))
    else:
        tags = tuple(topics.tag_clean(body))
    return TaggedItem(
        item_id=_item_id(views) if body else item_id(title),
        title=title,
        body=body,
        link=raw.link,
        published=raw.published,
        period=raw.period,
        primary=primary,
        mentioned=mentioned,
        current_units=current,
        topics=tags,
    )


def classify_entry(
    entry: FeedEntry,
    *,
    feed_key: str,
    gazetteer: Gazetteer,
    topics: Topics,
    default_province: str | None = None,
) -> tuple[Period | None, list[TaggedItem]]:
    """Split one entry and tag its items, in order; an item repeated verbatim is kept once."""
    digest = split_entry(entry, gazetteer=gazetteer)
    out: list[TaggedItem] = []
    seen: set[str] = set()
    for raw in digest.items:
        tagged = classify(
            raw,
            feed_key=feed_key,
            gazetteer=gazetteer,
            topics=topics,
            default_province=default_province,
        )
        if tagged.item_id not in seen:
            seen.add(tagged.item_id)
            out.append(tagged)
    return digest.period, out


_TOKEN_KEYS = TokenMemo(accent_key)  # accent_key works word by word


def _lead_provinces(text: str, mentions) -> tuple[str, ...]:
    """Slugs named in the heading before ":", else in the first sentence, in order."""
    head_end, sentence_end = lead_spans(text)
    in_head = _dedupe(m.slug for m in mentions if m.start < head_end)
    return in_head or _dedupe(m.slug for m in mentions if m.start < sentence_end)


def _title_is_from_body(title: str, body: str) -> bool:
    stem = title.rstrip("…").rstrip()
    return not stem or body.startswith(stem)


def _current_slug(gazetteer: Gazetteer, slug: str) -> str:
    try:
        return gazetteer.current_of(slug).slug
    except (KeyError, LookupError, ValueError):
        return slug


def _dedupe(slugs: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for slug in slugs:
        if slug and slug != NATIONAL and slug not in out:
            out.append(slug)
    return tuple(out)
