"""Tag raw items with the provinces they are about and their topics.

The provinces an item is *about* (``primary``) are chosen by salience
(``bot.vietnamese.salience``): those named in its title or in the heading before ":" ("Sóc
Trăng: …") when it names any, else the heaviest across the whole item, the lead, governmental
actors ("Bưu điện tỉnh Sóc Trăng"), sentence subjects and frequency counting most. Provinces named
in passing (a partner, a place visited, a list of examples) are ``mentioned``; a street or a
person named like a province is neither. An item naming no province as its subject is national,
unless its feed is a provincial portal with a default province, which "tỉnh", "toàn tỉnh" also
name.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from bot.core.models import FeedEntry, Period, RawItem, TaggedItem, title_is_from_body
from bot.intake.digest import split_entry
from bot.vietnamese.salience import Choice, Cited, default_salience
from bot.vietnamese.sentences import lead_spans
from bot.vietnamese.textnorm import TokenMemo, accent_key, clean, lowered_view, retone
from bot.vietnamese.units import distinct_slugs

if TYPE_CHECKING:  # pragma: no cover
    from bot.vietnamese.gazetteer import Gazetteer, Mention
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
    digest = _SHA256.copy()  # a copy: looking the algorithm up again costs more than hashing
    digest.update(normalised.encode())
    return digest.hexdigest()[:24]


_SHA256 = hashlib.sha256()


class _Views:
    """The forms of one text (already through ``textnorm.clean``) that tagging needs, once."""

    __slots__ = ("cleaned", "lowered", "plain", "_retoned")

    def __init__(self, cleaned: str) -> None:
        self.cleaned = cleaned
        self.lowered, self.plain = lowered_view(cleaned)
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
    gazetteer: Gazetteer,
    topics: Topics,
    default_province: str | None = None,
) -> TaggedItem:
    """Provinces (primary, mentioned, current units) and topics of one raw item."""
    return _tag(raw, clean(raw.title), clean(raw.body), gazetteer=gazetteer, topics=topics,
                default_province=default_province)


def _tag(
    raw: RawItem, title: str, body: str, *, gazetteer: Gazetteer, topics: Topics,
    default_province: str | None,
) -> TaggedItem:
    """``classify`` of an item whose title and body are clean text (``textnorm.clean``)."""
    views = _Views(body)  # lower-cased once, for provinces, topics and the id
    from_body = title_is_from_body(title, body)
    choice = _provinces(title, body, views, from_body, gazetteer, default_province)
    primary, mentioned = choice.primary, choice.mentioned
    current = distinct_slugs(_current_slug(gazetteer, slug) for slug in primary)
    # A title cut from the body is not counted twice.
    if not from_body:
        tags = tuple(topics.tag(f"{title}\n{body}"))
    elif views.plain:
        tags = tuple(topics.tag_clean(body, key=views.retoned))
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
    gazetteer: Gazetteer,
    topics: Topics,
    default_province: str | None = None,
) -> tuple[Period | None, list[TaggedItem]]:
    """Split one entry and tag its items, in order; an item repeated verbatim is kept once."""
    digest = split_entry(entry, gazetteer=gazetteer)
    out: list[TaggedItem] = []
    seen: set[str] = set()
    for raw in digest.items:
        # split_entry gives clean text (each line ``htmltext.squash``ed): not cleaned again.
        tagged = _tag(raw, raw.title, raw.body, gazetteer=gazetteer, topics=topics,
                      default_province=default_province)
        if tagged.item_id not in seen:
            seen.add(tagged.item_id)
            out.append(tagged)
    return digest.period, out


_TOKEN_KEYS = TokenMemo(accent_key)  # accent_key works word by word


def provinces_of(
    title: str, body: str, *, gazetteer: Gazetteer, default_province: str | None = None
) -> Choice:
    """The provinces an item is about, those it names in passing, and why (``evidence``)."""
    title, body = clean(title), clean(body)
    views = _Views(body)
    return _provinces(title, body, views, title_is_from_body(title, body), gazetteer,
                      default_province, thorough=True)


def _provinces(
    title: str, body: str, views: _Views, from_body: bool, gazetteer: Gazetteer,
    default_province: str | None, *, thorough: bool = False,
) -> Choice:
    """``thorough``: weigh every mention, for the evidence, even where fewer settle the choice."""
    salience = default_salience()
    cited: list[Cited] = []
    decided = False  # a title or heading named the subject: the rest is only what else it names

    def subjects() -> set[str]:
        return {c.slug for c in cited if c.heading and not c.passing}

    def cite(text: str, mentions: list[Mention], **where) -> None:
        nonlocal decided
        if not mentions and not default_province:
            return
        if decided:
            cited.extend(salience.cite_names(text, mentions, subjects()))
            return
        slugs = {m.slug for m in mentions} | {c.slug for c in cited}
        if len(slugs) == 1 and not default_province and not thorough:
            # One unit named, however often: once it is a subject, the rest changes nothing.
            cited.extend(salience.cite(text, mentions, enough=salience.settles, **where))
            decided = any(not c.passing and c.role != "location" for c in cited)
            return
        whole = where.get("whole_is_heading", False)
        head = [m for m in mentions if whole or m.start < where["heading_end"]]
        cited.extend(salience.cite(text, head, **where))
        bare = salience.cite_bare(text, default_province, **where) if default_province else []
        cited.extend(c for c in bare if c.heading)  # "Bưu điện tỉnh …" in a portal's title
        decided = any(c.heading and not c.passing and c.role != "location" for c in cited)
        rest = mentions[len(head):]
        cited.extend(salience.cite_names(text, rest, subjects()) if decided
                     else salience.cite(text, rest, **where))
        if not decided:
            cited.extend(c for c in bare if not c.heading)

    # A digest item's title is its own first sentence; an article's title is a lead of its own.
    if title and not from_body:
        cite(title, gazetteer.find_in_text(title), heading_end=len(title), lead_end=len(title),
             whole_is_heading=True)
    if body:
        head_end, sentence_end = lead_spans(body)
        # The retoned text: the same places as in the lower-cased one, and the text the topic
        # scan reads too, which then shares its conversion for the scanners (ahocorasick_rs).
        cite(body, gazetteer.find_in_clean(body, lowered=views.retoned),
             heading_end=head_end, lead_end=sentence_end)
    national = any(c.role == "location" for c in cited) and (
        salience.national_scope(title) or salience.national_scope(views.lowered)
    )
    choice = salience.choose(cited, (c.slug for c in cited), national=national)
    if choice.primary or not default_province:
        return choice
    mentioned = tuple(s for s in choice.mentioned if s != default_province)
    return Choice((default_province,), mentioned, choice.cited, default_province)


def _current_slug(gazetteer: Gazetteer, slug: str) -> str:
    try:
        return gazetteer.current_of(slug).slug
    except (KeyError, LookupError, ValueError):
        return slug

