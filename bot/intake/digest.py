"""Split one feed entry into ordered raw items, and find the week the digest reports on.

A weekly "Điểm tin địa phương" post is a title, an intro sentence naming the week, an image and
its caption, then one bullet per province ("- Sóc Trăng: …"). A paragraph without a bullet that
follows an item continues it, unless its lead names a different province (the sample's Đà Nẵng
paragraph follows the Lâm Đồng bullet): then it is an item of its own. A sub-headline (a short
line without end punctuation) starts an item whose body follows it; two items glued together
("… bưu cục.Hòa Bình: …") are cut apart; short lines before the first bullet are captions.

A post is a digest when it says so (its title, a reporting week), when its bullets are about two
provinces or more, or when its paragraphs lead with three provinces or more and its title names
none (a round-up). Anything else — a plain news article — becomes a single item.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.core.models import FeedEntry, Period, RawItem
from bot.intake.htmltext import BULLET, IMAGE_NAME, content_blocks
from bot.intake.period import parse_period, week_of
from bot.vietnamese.gazetteer import Gazetteer
from bot.vietnamese.salience import default_salience
from bot.vietnamese.sentences import HEADING_COLON, lead_spans, make_title, shorten
from bot.vietnamese.textnorm import accent_key, cached_accent_key, clean, fold
from bot.vietnamese.units import distinct_slugs

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_SHORT_BLOCK = 300  # longer blocks are never captions, source lines or title echoes
_CAPTION_MAX = 200  # a line before the first bullet up to this long is a caption or an intro
_HEADLINE_MAX = 160  # a sub-headline: a line this short, with no end punctuation …
_HEADLINE_WORDS = 4  # … and at least this many words (shorter: a section heading, dropped)
_ROUNDUP_PROVINCES = 3
_ECHO_SHARE = 0.6  # a block that starts the title and is this much of it is the title again

# Paragraphs opening with these continue the item before them whatever they mention.
CONTINUATION_OPENERS: tuple[str, ...] = (
    "theo đó", "trước đó", "ngoài ra", "đồng thời", "bên cạnh đó", "cùng với đó", "cùng ngày",
    "dự kiến", "tiếp đó", "sau đó", "qua đó", "trong đó", "đặc biệt", "hiện nay", "tuy nhiên",
    "mặt khác", "cũng", "như vậy", "kết quả", "tính đến",
)
_OPENER_KEYS = tuple(accent_key(o) for o in CONTINUATION_OPENERS)

DIGEST_TITLE_WORDS: tuple[str, ...] = ("diem tin", "ban tin", "tong hop tin", "tin tuc tuan")

# ----------------------------------------------------------------------------------------------
# Regular expressions

# Caption lines, matched against accent_key(text): "Ảnh minh họa", "(Ảnh: Báo Lâm Đồng)".
_CAPTION = re.compile(
    "^[(\\[]?\\s*(?:"
    + "|".join(accent_key(w) for w in ("ảnh", "hình ảnh", "hình", "nguồn ảnh", "photo", "video"))
    + ")(?:\\s+" + accent_key("minh họa") + ")?\\s*(?:[:.]\\s*.{0,120}?)?\\s*[)\\]]?\\s*\\.?$"
)
_SOURCE_LINE = re.compile(
    "^[(\\[]?\\s*(?:" + accent_key("nguồn") + "(?:\\s+tin)?|source)\\s*:"
)
# A sentence end glued to the next item's heading: "… tại 64 bưu cục.Hòa Bình: Triển khai …".
# A dot between two letters (the look-behind after the dot lets the engine skip to dots);
# then checked for a heading after it.
_GLUED = re.compile(r"[.!?…](?<=[^\W\d_][.!?…])(?=[^\W\d_])")
_GLUED_HEADING_MAX = 41  # characters of a glued heading, its first letter included
_GLUED_HEADING = re.compile(rf"[^\W\d_][^.:!?\n]{{0,{_GLUED_HEADING_MAX - 1}}}:\s")
_END_PUNCT = re.compile(r"[.!?…:;]$")


# ----------------------------------------------------------------------------------------------
# Public API


@dataclass(frozen=True)
class Digest:
    """What one feed entry split into."""

    period: Period | None
    items: tuple[RawItem, ...]
    is_digest: bool


def split_entry(
    entry: FeedEntry,
    *,
    gazetteer: Gazetteer | None = None,
    tz: ZoneInfo = VN_TZ,
) -> Digest:
    """Split one feed entry into its items (a digest) or one item (an article).

    ``gazetteer`` decides whether an unbulleted paragraph is about another province; when None,
    ``bot.vietnamese.gazetteer.default_gazetteer()`` is used if it can be loaded.
    """
    if gazetteer is None:
        gazetteer = _default_gazetteer()
    title = clean(entry.title or "")
    title_key = _echo_key(cached_accent_key(title))
    blocks = content_blocks(entry.content or "")

    # Pass 1: drop boilerplate (title echo, intro naming the week, images, captions, sources).
    kept: list[tuple[str, bool]] = []  # (text without bullet marker, is a bullet)
    article: list[str] = []  # the text an article keeps (the intro included)
    content_period: Period | None = None
    after_image = False
    seen_bullet = False
    has_bullets = any(_strip_bullet(text, is_li)[0] for text, is_li in blocks)
    for text, is_li in _unglued(blocks, gazetteer):
        bullet, stripped = _strip_bullet(text, is_li)
        if not bullet:
            if IMAGE_NAME.match(text):
                after_image = True
                continue
            if len(text) <= _SHORT_BLOCK:  # captions, sources, title echoes are short
                key = cached_accent_key(text)
                if _CAPTION.match(key) or _SOURCE_LINE.match(key):
                    after_image = False
                    continue
                if after_image and len(text) <= 200:
                    after_image = False  # the caption line under an image name
                    continue
                echo = _echo_key(key)
                if title_key and echo and title_key.startswith(echo) and (
                    len(echo) >= _ECHO_SHARE * len(title_key)
                ):
                    continue  # the title printed again, perhaps without a tail ("(cập nhật)")
                if has_bullets and not seen_bullet and len(text) <= _CAPTION_MAX and (
                    content_period is not None or kept
                ):
                    continue  # a caption or an intro line before the first bullet
            if (
                not seen_bullet
                and content_period is None
                and len(kept) < 3
                and len(text) <= 600
                and (period := parse_period(text)) is not None
            ):
                content_period = period
                article.append(text)
                continue
        after_image = False
        if not stripped:
            continue
        seen_bullet = seen_bullet or bullet
        kept.append((stripped, bullet))
        article.append(("- " + stripped) if bullet else stripped)

    title_period = parse_period(title)
    period = content_period or title_period or week_of(entry.published, tz)
    has_period_text = content_period is not None or title_period is not None
    digest_signal = has_period_text or any(w in fold(title) for w in DIGEST_TITLE_WORDS)

    groups, lead_slugs = _group(kept, gazetteer)
    n_bullets = sum(1 for _, bullet in kept if bullet)

    def provinces_differ() -> bool:  # bullets about two provinces or more: a digest
        distinct = set()
        for i in range(len(groups)):
            distinct.update(_lead_of(groups, lead_slugs, i, gazetteer))
            if len(distinct) >= 2:
                return True
        return False

    def roundup() -> bool:  # paragraphs about three provinces or more, under a general title
        if gazetteer is None or len(groups) < _ROUNDUP_PROVINCES or gazetteer.find_in_text(title):
            return False
        leads = {s for i in range(len(groups)) for s in _lead_of(groups, lead_slugs, i, gazetteer)}
        return len(leads) >= _ROUNDUP_PROVINCES

    is_digest = bool(groups) and (
        (n_bullets >= 1 and has_period_text)
        or (len(groups) >= 2 and digest_signal)
        or (n_bullets >= 2 and (gazetteer is None or provinces_differ()))
        or roundup()
    )

    if is_digest:
        items = tuple(
            RawItem(
                title=make_title(body),
                body=body,
                link=entry.link or "",
                published=entry.published,
                period=period,
            )
            for body in ("\n".join(paragraphs) for paragraphs in groups)
        )
        return Digest(period=period, items=items, is_digest=True)

    body = "\n".join(article)
    if not body and not title:
        return Digest(period=period, items=(), is_digest=False)
    body = body or title
    item = RawItem(
        title=shorten(title, 300) if title else make_title(body),
        body=body,
        link=entry.link or "",
        published=entry.published,
        period=period,
    )
    return Digest(period=period, items=(item,), is_digest=False)


# ----------------------------------------------------------------------------------------------
# Grouping blocks into items


def _group(
    kept: list[tuple[str, bool]], gazetteer: Gazetteer | None
) -> tuple[list[list[str]], list[tuple[str, ...] | None]]:
    """Blocks → items (lists of paragraphs) and the provinces in each item's lead.

    A bullet's lead provinces are looked up only when a paragraph needs comparing with them
    (None until then): see ``_lead_of``.
    """
    groups: list[list[str]] = []
    leads: list[tuple[str, ...] | None] = []
    headline_open = False  # the last group is a sub-headline still waiting for its body
    for text, bullet in kept:
        if bullet:
            groups.append([text])
            leads.append(None)
            headline_open = False
            continue
        if _is_heading(text):
            continue  # a section heading ("Bưu chính") between items
        if _is_headline(text):
            groups.append([text])
            leads.append(None)
            headline_open = True
            continue
        if headline_open:
            groups[-1].append(text)
            headline_open = False
            continue
        slugs = () if _is_continuation_opener(text) else _lead_slugs(text, gazetteer)
        if not groups:
            # Before the first item: an intro paragraph is dropped unless it is about a province.
            if slugs:
                groups.append([text])
                leads.append(slugs)
            continue
        if slugs and not set(slugs) & set(_lead_of(groups, leads, -1, gazetteer)):
            groups.append([text])
            leads.append(slugs)
            continue
        groups[-1].append(text)
    return groups, leads


def _lead_of(groups, leads, i: int, gazetteer: Gazetteer | None) -> tuple[str, ...]:
    """The provinces of an item's lead: its first paragraph's, else its second's (the body
    under a sub-headline)."""
    if leads[i] is None:
        leads[i] = ()
        for paragraph in groups[i][:2]:
            leads[i] = _lead_slugs(paragraph, gazetteer)
            if leads[i]:
                break
    return leads[i]


def _lead_slugs(text: str, gazetteer: Gazetteer | None) -> tuple[str, ...]:
    """Provinces a paragraph's heading, else its first sentence, is about (not in passing)."""
    if gazetteer is None:
        return ()
    head_end, sentence_end = lead_spans(text)
    lead = clean(text[:sentence_end])
    try:
        mentions = gazetteer.find_in_text(lead)
        cited = default_salience().cite(lead, mentions, heading_end=head_end,
                                        lead_end=sentence_end)
    except Exception:  # a gazetteer bug must not lose the whole digest
        return ()
    in_head = distinct_slugs(c.slug for c in cited if c.heading and not c.passing)
    return in_head or distinct_slugs(c.slug for c in cited if not c.passing)


def _unglued(blocks: list[tuple[str, bool]], gazetteer: Gazetteer | None):
    """Blocks, each cut where a sentence end is glued to a heading naming a province."""
    for text, is_li in blocks:
        start = 0
        if gazetteer is not None:
            for m in _glued_ends(text):
                heading = _GLUED_HEADING.match(text, m.end())
                if heading is None or not text[m.end()].isupper():
                    continue
                found = gazetteer.find_in_text(text[m.end():heading.end()])
                if found and found[0].start == 0:
                    yield text[start:m.end()], is_li
                    start = m.end()
                    is_li = is_li or BULLET.match(text) is not None
        yield text[start:], is_li


def _glued_ends(text: str) -> Iterator[re.Match[str]]:
    """``_GLUED`` in ``text``, looked for only just before a ": " that a heading could end at
    (most paragraphs have one colon, or none)."""
    searched = 0
    for colon in HEADING_COLON.finditer(text):
        # A heading is a letter and at most 40 more characters before its colon.
        low = max(searched, colon.start() - _GLUED_HEADING_MAX - 1)
        yield from _GLUED.finditer(text, low, colon.start())
        searched = colon.start()


def _is_continuation_opener(text: str) -> bool:
    key = cached_accent_key(text[:40])
    return any(key.startswith(o) and (len(key) == len(o) or not key[len(o)].isalnum())
               for o in _OPENER_KEYS)


def _is_heading(text: str) -> bool:
    return len(text) <= _HEADLINE_MAX and len(text.split()) < _HEADLINE_WORDS and not _END_PUNCT.search(text)


def _is_headline(text: str) -> bool:
    return (
        len(text) <= _HEADLINE_MAX
        and not _END_PUNCT.search(text)
        and len(text.split()) >= _HEADLINE_WORDS
        and not text[:1].islower()
        and not BULLET.match(text)
    )


def _strip_bullet(text: str, is_li: bool) -> tuple[bool, str]:
    match = BULLET.match(text)
    if match:
        return True, text[match.end():].strip()
    return is_li, text


def _echo_key(key: str) -> str:
    """An accent_key with punctuation dropped: "Điểm tin địa phương – ngành TT&TT." ≈ title."""
    return re.sub(r"[\W_]+", " ", key).strip()


_DEFAULT_GAZETTEER: list = []


def _default_gazetteer():
    if not _DEFAULT_GAZETTEER:
        try:
            from bot.vietnamese.gazetteer import default_gazetteer

            _DEFAULT_GAZETTEER.append(default_gazetteer())
        except Exception:  # no gazetteer available: split on bullets only
            _DEFAULT_GAZETTEER.append(None)
    return _DEFAULT_GAZETTEER[0]
