"""Split one feed entry into ordered raw items, and find the week the digest reports on.

A weekly "Điểm tin địa phương" post is a title, an intro sentence naming the week, an image and
its caption, then one bullet per province ("- Sóc Trăng: …"). A paragraph without a bullet that
follows an item continues it, unless its lead names a different province (the sample's Đà Nẵng
paragraph follows the Lâm Đồng bullet): then it is an item of its own.

Anything else — a plain news article — becomes a single item.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.models import FeedEntry, Period, RawItem
from bot.textnorm import accent_key, clean, fold, is_plain, retone

if TYPE_CHECKING:  # pragma: no cover
    from bot.gazetteer import Gazetteer

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NATIONAL = "toan-quoc"  # same value as bot.gazetteer.NATIONAL; not a province

# Words that end with a dot without ending the sentence. Compared case-insensitively with the
# word right before the dot ("TP. Phổ Yên", "ThS. Nguyễn", "v.v. và"). Any single letter
# ("Nguyễn V. A") counts as well.
ABBREVIATIONS: tuple[str, ...] = (
    "TP", "Tp", "TX", "TT", "Q", "P", "H", "X",
    "ThS", "Th.S", "TS", "PGS", "GS", "PGS.TS", "GS.TS", "BS", "BSCKII", "KS", "CN", "NCS", "ĐH",
    "Th", "Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Jr", "Sr",
    "v.v", "vv", "tr", "Tr", "Co", "Corp", "Inc", "Ltd", "No", "vs", "etc", "e.g", "i.e",
)
_ABBREV_KEYS = frozenset(a.lower() for a in ABBREVIATIONS)

_SHORT_BLOCK = 300  # longer blocks are never captions, source lines or title echoes
TITLE_MAX = 120  # characters of an item title, "…" included
LEAD_PREFIX_MAX = 60  # "Sóc Trăng: …" — a heading before ":" at most this long is the lead

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

_BULLET = re.compile(
    r"^(?:[-–—•·▪●◦‣∙](?:\s+|(?=[^\W\d_]))|[+*]\s+|\d{1,2}[.)]\s+|\(\d{1,2}\)\s+)"
)
_IMAGE_NAME = re.compile(
    r"^(?:\S+\.(?:jpe?g|png|gif|webp|bmp|svg|tiff?|avif|heic)(?:\?\S*)?\s*)+$", re.IGNORECASE
)
_LOOKS_HTML = re.compile(
    r"<(?:/?(?:p|br|div|li|ul|ol|span|a|img|figure|figcaption|strong|b|i|em|u|h[1-6]|table|"
    r"tbody|thead|tr|td|th|script|style|blockquote|section|article|header|footer|font|sup|sub|"
    r"hr|pre|code|iframe|noscript|html|body|head|meta|link|center|dl|dt|dd|caption|picture|"
    r"source|video|audio|small|big|strike|s|del|ins|mark|abbr|cite|q|time|nav|aside|main|"
    r"label|button|form|input|svg|title|template|object|embed|wbr)\b[^<>]*|!doctype\b[^<>]*)>|<!--",
    re.IGNORECASE,
)
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_TAG_FALLBACK = re.compile(r"<[^<>]*>")
_MARKED_SECTION = re.compile(r"<!\[(?!CDATA\[)[^\]<>]*\]>")
_DROPPED_ELEMENT = re.compile(
    r"<(script|style|noscript|template|head|figcaption)\b.*?(?:</\1\s*>|$)|<!--.*?(?:-->|$)",
    re.IGNORECASE | re.DOTALL,
)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|li|ul|ol|br|h[1-6]|tr|td|th|table|blockquote|figure|section|article)\b[^<>]*>",
    re.IGNORECASE,
)

# Candidate sentence ends: terminal punctuation and any closing quotes; the code then looks at
# what follows (see first_sentence_end).
_END_CANDIDATE = re.compile(r"[.!?…]+[\"'”’»)\]]*")
_OPENING = "\"'“‘«([-–—"
_HEADING_COLON = re.compile(r":\s")

# Caption lines, matched against accent_key(text): "Ảnh minh họa", "(Ảnh: Báo Lâm Đồng)".
_CAPTION = re.compile(
    "^[(\\[]?\\s*(?:"
    + "|".join(accent_key(w) for w in ("ảnh", "hình ảnh", "hình", "nguồn ảnh", "photo", "video"))
    + ")(?:\\s+" + accent_key("minh họa") + ")?\\s*(?:[:.]\\s*.{0,120}?)?\\s*[)\\]]?\\s*\\.?$"
)
_SOURCE_LINE = re.compile(
    "^[(\\[]?\\s*(?:" + accent_key("nguồn") + "(?:\\s+tin)?|source)\\s*:"
)

# Periods: "tuần 19 (từ ngày 07/5 đến ngày 13/5/2022)", "(từ 07/5 - 13/5/2022)",
# "từ ngày 30/12/2021 đến ngày 05/01/2022", "từ ngày 7 đến 13/5/2022".
_RANGE_SEP = r"\s*(?:đến|tới|đến hết|-|–|—|~)\s*(?:ngày\s*)?"
_FULL_RANGE = re.compile(
    r"(?:từ\s*(?:ngày\s*)?)?(?<!\d)(\d{1,2})\s*[/.]\s*(\d{1,2})(?:\s*[/.]\s*(\d{4}|\d{2}))?"
    + _RANGE_SEP
    + r"(\d{1,2})\s*[/.]\s*(\d{1,2})\s*[/.]\s*(\d{4}|\d{2})(?!\d)",
    re.IGNORECASE,
)
_DAY_RANGE = re.compile(
    r"từ\s*(?:ngày\s*)?(?<!\d)(\d{1,2})" + _RANGE_SEP
    + r"(\d{1,2})\s*[/.]\s*(\d{1,2})\s*[/.]\s*(\d{4}|\d{2})(?!\d)",
    re.IGNORECASE,
)
_WEEK = re.compile(r"tuần\s*(?:thứ\s*|số\s*)?(\d{1,2})(?!\d)", re.IGNORECASE)


# ----------------------------------------------------------------------------------------------
# Public API


@dataclass(frozen=True)
class Digest:
    """What one feed entry split into."""

    period: Period | None
    items: tuple[RawItem, ...]
    is_digest: bool


def parse_period(text: str) -> Period | None:
    """The reporting period named in ``text``, or None.

    >>> parse_period("tuần 19 (từ ngày 07/5 đến ngày 13/5/2022)")
    Period(start=datetime.date(2022, 5, 7), end=datetime.date(2022, 5, 13), week=19)
    """
    text = fast_clean(text)
    if not text:
        return None
    found = _find_range(text)
    if found is None:
        return None
    start, end, pos = found
    week = None
    # The week number written before the dates ("tuần 19 (từ ngày …)"), or just after them.
    for match in _WEEK.finditer(text):
        if match.start() <= pos and pos - match.end() <= 40 or 0 <= match.start() - pos <= 80:
            number = int(match.group(1))
            if 1 <= number <= 53:
                week = number
                break
    return Period(start=start, end=end, week=week)


def html_to_blocks(html_or_text: str) -> list[str]:
    """Paragraph-level blocks of text: tags stripped, entities decoded, NFC, single spaces.

    HTML gives one block per paragraph, list item, heading, table cell or ``<br>`` line; text in
    ``<script>``/``<style>``, image captions (``<figcaption>``) and images is dropped. Plain text
    gives one block per non-empty line.
    """
    return [text for text, _ in _blocks(html_or_text)]


def lead_spans(text: str) -> tuple[int, int]:
    """(heading end, first sentence end) of the first line; heading end is 0 without heading."""
    newline = text.find("\n")
    first_end = first_sentence_end(text if newline < 0 else text[:newline])
    colon = _HEADING_COLON.search(text, 0, first_end)
    if colon is not None and 0 < colon.start() <= LEAD_PREFIX_MAX:
        return colon.start(), first_end
    return 0, first_end


@functools.lru_cache(maxsize=256)
def first_sentence_end(text: str) -> int:
    """Index just past the first sentence of ``text`` (its end punctuation included).

    A sentence ends at ``.``/``!``/``?``/``…`` followed by a space and an upper-case letter or a
    digit (or the end of the text), unless the dot closes an abbreviation ("TP. Phổ Yên") or an
    initial; numbers ("7.776", "2,8") never end one. A dot glued to a capitalised word after a
    lower-case one ("khác nhau.Đồng thời") ends a sentence too.
    """
    n = len(text)
    for match in _END_CANDIDATE.finditer(text):
        start, after = match.start(), match.end()
        punct = len(match.group(0).rstrip("\"'”’»)]"))
        if after >= n:
            return after
        nxt = text[after]
        if nxt.isspace():
            j = after + 1
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                return after
            c = text[j]
            if c in _OPENING and j + 1 < n:
                c = text[j + 1]
            if not (c.isupper() or c.isdigit()):
                continue
            if punct == 1 and text[start] == "." and _is_abbreviation(text, start):
                continue
            return after
        if (
            punct == 1
            and text[start] == "."
            and after == start + 1
            and start >= 2
            and text[start - 1].islower()
            and text[start - 2].islower()
            and nxt.isupper()
            and after + 1 < n
            and text[after + 1].islower()
        ):
            return after
    return n


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph, abbreviation- and number-aware."""
    out = []
    rest = text.strip()
    while rest:
        end = first_sentence_end(rest)
        out.append(rest[:end].strip())
        rest = rest[end:].strip()
    return [s for s in out if s]


def make_title(text: str, limit: int = TITLE_MAX) -> str:
    """The first sentence of ``text`` without its final dot, cut at a word to ``limit`` chars."""
    line = text.split("\n", 1)[0].strip()
    sentence = line[: first_sentence_end(line)].strip()
    if sentence.endswith(".") and not sentence.endswith(".."):
        sentence = sentence[:-1].rstrip()
    sentence = sentence.rstrip(":;,–—- ").strip()
    return shorten(sentence, limit)


def shorten(text: str, limit: int = TITLE_MAX) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:–—-") + "…"


def split_entry(
    entry: FeedEntry,
    *,
    gazetteer: Gazetteer | None = None,
    tz: ZoneInfo = VN_TZ,
) -> Digest:
    """Split one feed entry into its items (a digest) or one item (an article).

    ``gazetteer`` decides whether an unbulleted paragraph is about another province; when None,
    ``bot.gazetteer.default_gazetteer()`` is used if it can be loaded.
    """
    if gazetteer is None:
        gazetteer = _default_gazetteer()
    title = clean(entry.title or "")
    title_key = _echo_key(cached_accent_key(title))
    blocks = _blocks(entry.content or "")

    # Pass 1: drop boilerplate (title echo, intro naming the week, images, captions, sources).
    kept: list[tuple[str, bool]] = []  # (text without bullet marker, is a bullet)
    article: list[str] = []  # the text an article keeps (the intro included)
    content_period: Period | None = None
    after_image = False
    seen_bullet = False
    for text, is_li in blocks:
        bullet, stripped = _strip_bullet(text, is_li)
        if not bullet:
            if _IMAGE_NAME.match(text):
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
                if title_key and _echo_key(key) == title_key:
                    continue
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
    period = content_period or title_period or _week_of(entry.published, tz)
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

    is_digest = bool(groups) and (
        (n_bullets >= 1 and has_period_text)
        or (len(groups) >= 2 and digest_signal)
        or (n_bullets >= 2 and (gazetteer is None or provinces_differ()))
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
    for text, bullet in kept:
        if bullet:
            groups.append([text])
            leads.append(None)
            continue
        if _is_heading(text):
            continue  # a section heading ("Bưu chính") between items
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
    if leads[i] is None:
        leads[i] = _lead_slugs(groups[i][0], gazetteer)
    return leads[i]


def _lead_slugs(text: str, gazetteer: Gazetteer | None) -> tuple[str, ...]:
    if gazetteer is None:
        return ()
    head_end, sentence_end = lead_spans(text)
    try:
        mentions = gazetteer.find_in_text(text[:sentence_end])
    except Exception:  # a gazetteer bug must not lose the whole digest
        return ()
    in_head = _dedupe(m.slug for m in mentions if m.start < head_end)
    return in_head or _dedupe(m.slug for m in mentions)


def _dedupe(slugs) -> tuple[str, ...]:
    out: list[str] = []
    for slug in slugs:
        if slug != NATIONAL and slug not in out:
            out.append(slug)
    return tuple(out)


def _is_continuation_opener(text: str) -> bool:
    key = cached_accent_key(text[:40])
    return any(key.startswith(o) and (len(key) == len(o) or not key[len(o)].isalnum())
               for o in _OPENER_KEYS)


def _is_heading(text: str) -> bool:
    return len(text) <= 80 and len(text.split()) <= 8 and not re.search(r"[.!?…:;]$", text)


_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=1 << 16)
def _word_key(word: str) -> str:
    return accent_key(word)


_ODD_SPACES = ("\u200b", "\ufeff")  # not whitespace to str.split(), spaces to textnorm.clean


def squash(text: str) -> str:
    """One line of NFC text with single plain spaces: ``clean`` for a paragraph, but fast."""
    # isprintable() is False for every white space but " " (and for the odd spaces), so such
    # a text is already one line with single spaces (the usual case: skip the split and join).
    if (
        text.isprintable()
        and "  " not in text
        and text[:1] != " "
        and text[-1:] != " "
        and unicodedata.is_normalized("NFC", text)
    ):
        return text
    text = " ".join(text.split())
    if any(ch in text for ch in _ODD_SPACES):
        text = " ".join(text.replace("\u200b", " ").replace("\ufeff", " ").split())
    if not unicodedata.is_normalized("NFC", text):
        text = " ".join(unicodedata.normalize("NFC", text).split())
    return text


def fast_clean(text: str) -> str:
    """``textnorm.clean(text)``, skipping the work when the text is already clean."""
    return clean(text)  # clean() itself now returns clean text as it is


def cached_accent_key(text: str) -> str:
    """``textnorm.accent_key(text)`` with a per-word cache: the same result, much faster."""
    lowered = clean(text).lower()
    if is_plain(lowered):  # per-word keys are the whole-text key: one pass
        return retone(lowered)
    return _WORD.sub(lambda m: _word_key(m.group()), lowered)


def _strip_bullet(text: str, is_li: bool) -> tuple[bool, str]:
    match = _BULLET.match(text)
    if match:
        return True, text[match.end():].strip()
    return is_li, text


def _echo_key(key: str) -> str:
    """An accent_key with punctuation dropped: "Điểm tin địa phương – ngành TT&TT." ≈ title."""
    return re.sub(r"[\W_]+", " ", key).strip()


def _is_abbreviation(text: str, dot: int) -> bool:
    start = max(text.rfind(" ", 0, dot), text.rfind("\n", 0, dot)) + 1
    word = text[start:dot].lstrip("([\"'“‘")
    if not word or word.isdigit():
        return False  # "năm 2021. 100% đơn vị" ends a sentence
    if len(word) == 1:
        return word.isalpha()  # an initial: "Nguyễn V. A"
    lowered = word.lower()
    if lowered in _ABBREV_KEYS:
        return True
    # "TP.HCM.", "v.v." — a dotted abbreviation ending in a single letter
    tail = lowered.rsplit(".", 1)[-1]
    return "." in lowered and len(tail) == 1 and tail.isalpha()


# ----------------------------------------------------------------------------------------------
# Periods


def _find_range(text: str) -> tuple[date, date, int] | None:
    for match in _FULL_RANGE.finditer(text):
        d1, m1, y1, d2, m2, y2 = match.groups()
        end = _date(y2, m2, d2)
        if end is None:
            continue
        if y1:
            start = _date(y1, m1, d1)
        else:
            start = _date(str(end.year), m1, d1)
            if start is not None and start > end:
                start = _date(str(end.year - 1), m1, d1)
        if start is not None and timedelta(0) <= end - start <= timedelta(days=31):
            return start, end, match.start()
    for match in _DAY_RANGE.finditer(text):
        d1, d2, m2, y2 = match.groups()
        end = _date(y2, m2, d2)
        if end is None:
            continue
        start = _date(str(end.year), m2, d1)
        if start is not None and start <= end:
            return start, end, match.start()
    return None


def _date(year: str, month: str, day: str) -> date | None:
    y = int(year)
    if y < 100:
        y += 2000
    try:
        return date(y, int(month), int(day))
    except ValueError:
        return None


def _week_of(published: datetime | None, tz: ZoneInfo) -> Period | None:
    """Monday..Sunday ISO week of ``published`` in ``tz`` (naive times are taken as UTC)."""
    if published is None:
        return None
    try:
        if published.tzinfo is None:
            published = published.replace(tzinfo=ZoneInfo("UTC"))
        local = published.astimezone(tz).date()
    except (OverflowError, ValueError):
        return None
    iso = local.isocalendar()
    monday = local - timedelta(days=iso.weekday - 1)
    return Period(start=monday, end=monday + timedelta(days=6), week=iso.week)


# ----------------------------------------------------------------------------------------------
# HTML / text → blocks

_BLOCK_TAGS = frozenset(
    "p div li ul ol dl dt dd h1 h2 h3 h4 h5 h6 blockquote figure table thead tbody tfoot tr td th "
    "caption section article header footer aside nav main pre hr address center details summary "
    "form fieldset legend body html".split()
)
_SKIP_TAGS = frozenset(
    "script style noscript template head title svg math iframe object select textarea button "
    "figcaption".split()
)
_LIST_TAGS = frozenset({"ul", "ol"})
_STRUCTURE = frozenset("p li ul ol h1 h2 h3 h4 h5 h6 table body article section".split())
_SKIP_BREAKERS: dict[str, frozenset[str]] = {
    "figcaption": frozenset("li ul ol h1 h2 h3 h4 h5 h6 table figure body article section".split()),
    **{tag: _STRUCTURE for tag in ("head", "title", "noscript", "template", "svg", "math",
                                   "iframe", "object", "select", "textarea", "button")},
}
_SKIP_END_BREAKERS: dict[str, frozenset[str]] = {
    "figcaption": frozenset({"figure", "body", "html"}),
    "title": frozenset({"head", "body", "html"}),
}


class _BlockParser(HTMLParser):
    """Collects (text, starts a top-level <li>) blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, bool]] = []
        self._parts: list[str] = []
        self._skip: list[str] = []  # open elements whose text is dropped
        self._list_depth = 0
        self._pending_li = False

    def flush(self) -> None:
        text = squash("".join(self._parts))
        self._parts = []
        if text:
            self.blocks.append((text, self._pending_li))
            self._pending_li = False

    def handle_starttag(self, tag: str, attrs) -> None:
        if self._skip:
            top = self._skip[-1]
            if tag == top:
                self._skip.append(tag)
                return
            # A skipped element left open (a stray <figcaption>, <title>) ends where the next
            # list or paragraph begins, so that one bad tag cannot swallow the whole digest.
            if tag in _SKIP_BREAKERS.get(top, ()):
                self._skip.clear()
            else:
                return
        if tag in _SKIP_TAGS:
            self._skip.append(tag)
            return
        if tag == "br" or tag in _BLOCK_TAGS:
            self.flush()
            if tag in _LIST_TAGS:
                self._list_depth += 1
            elif tag == "li":
                self._pending_li = self._list_depth <= 1

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in _SKIP_TAGS:
            return  # <script/> has no content to skip
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if tag == self._skip[-1]:
                self._skip.pop()
            elif tag in _SKIP_END_BREAKERS.get(self._skip[-1], ()):
                self._skip.clear()
            return
        if tag in _BLOCK_TAGS or tag == "br":
            self.flush()
            if tag in _LIST_TAGS and self._list_depth:
                self._list_depth -= 1
            if tag == "li":
                self._pending_li = False

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._parts.append(data)


def _blocks(content: str) -> list[tuple[str, bool]]:
    """(text, from <li>) per block, then wrapped lines re-joined."""
    if not isinstance(content, str) or not content.strip():
        return []
    if _LOOKS_HTML.search(content):
        raw = _html_blocks(content)
    else:
        text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), content)
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        raw = [(line, False) for line in map(squash, lines) if line]
        raw = _join_wrapped(raw)
    return raw


def _html_blocks(content: str) -> list[tuple[str, bool]]:
    content = _MARKED_SECTION.sub("", content)  # Word's <![if !supportLists]> … <![endif]>
    parser = _BlockParser()
    try:
        if not _feed_plain_markup(parser, content):
            parser.feed(content)
            parser.close()
        parser.flush()
        return parser.blocks
    except Exception:  # markup the stdlib parser gives up on: strip tags with regexes
        text = _DROPPED_ELEMENT.sub(" ", content)
        text = _BLOCK_TAG.sub("\n", text)
        text = html.unescape(_TAG_FALLBACK.sub("", text))
        return [(line, False) for line in map(squash, text.split("\n")) if line]


# Tags without attributes, as in most digests ("<p>…</p><p>…</p>"): start (group 1, group 2 is
# "/" when self-closing) or end (group 3). Names and spacing as HTMLParser reads them.
_PLAIN_TAG = re.compile(
    r"<(?:([a-zA-Z][a-zA-Z0-9]*)[ \t\n\r\f]*(/?)|/([a-zA-Z][a-zA-Z0-9]*)[ \t\n\r\f]*)>"
)
_RAW_TEXT_TAGS = frozenset({"script", "style"})  # HTMLParser reads their content as raw text


def _feed_plain_markup(parser: _BlockParser, content: str) -> bool:
    """Drive ``parser`` as HTMLParser would, if ``content`` is text and attribute-less tags only.

    HTMLParser is pure Python and reads every character; a regex split does the same job for
    such markup at a fraction of the cost. Returns False (parser untouched) for anything else:
    attributes, comments, declarations, a stray "<", <script>/<style>.
    """
    pieces = _PLAIN_TAG.split(content)
    texts = pieces[::4]
    if any("<" in text for text in texts):
        return False
    names = [name.lower() for name in pieces[1::4] + pieces[3::4] if name is not None]
    if _RAW_TEXT_TAGS.intersection(names):
        return False
    for i in range(0, len(pieces) - 1, 4):
        text, start, self_closing, end = pieces[i : i + 4]
        if text:
            parser.handle_data(html.unescape(text))
        if start is None:
            parser.handle_endtag(end.lower())
        elif self_closing:
            parser.handle_startendtag(start.lower(), [])
        else:
            parser.handle_starttag(start.lower(), [])
    if pieces[-1]:
        parser.handle_data(html.unescape(pieces[-1]))
    return True


def _join_wrapped(blocks: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Re-join a line broken mid-sentence: previous without end punctuation, next lower-case."""
    out: list[tuple[str, bool]] = []
    for text, is_li in blocks:
        if not text:
            continue
        if (
            out
            and not is_li
            and text[0].islower()
            and not _BULLET.match(text)
            and not re.search(r"[.!?…:;\"”)]$", out[-1][0])
            and not _IMAGE_NAME.match(out[-1][0])
        ):
            out[-1] = (out[-1][0] + " " + text, out[-1][1])
        else:
            out.append((text, is_li))
    return out


_DEFAULT_GAZETTEER: list = []


def _default_gazetteer():
    if not _DEFAULT_GAZETTEER:
        try:
            from bot.gazetteer import default_gazetteer

            _DEFAULT_GAZETTEER.append(default_gazetteer())
        except Exception:  # no gazetteer available: split on bullets only
            _DEFAULT_GAZETTEER.append(None)
    return _DEFAULT_GAZETTEER[0]
