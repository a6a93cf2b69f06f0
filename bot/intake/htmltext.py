"""Feed content (HTML or plain text) → paragraph-level blocks of clean text.

HTML is read with a stdlib ``HTMLParser`` subclass, or, for markup of attribute-less tags only
(most digests), by a regex split that drives the same parser far faster; markup the parser
gives up on falls back to stripping tags with regexes. Plain text gives one block per line,
with lines wrapped mid-sentence joined again.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

from bot.vietnamese.textnorm import fix_eth

BULLET = re.compile(
    r"^(?:[-–—•·▪●◦‣∙](?:\s+|(?=[^\W\d_]))|[+*]\s+|\d{1,2}[.)]\s+|\(\d{1,2}\)\s+)"
)
IMAGE_NAME = re.compile(
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


def html_to_blocks(html_or_text: str) -> list[str]:
    """Paragraph-level blocks of text: tags stripped, entities decoded, NFC, single spaces.

    HTML gives one block per paragraph, list item, heading, table cell or ``<br>`` line; text in
    ``<script>``/``<style>``, image captions (``<figcaption>``) and images is dropped. Plain text
    gives one block per non-empty line.
    """
    return [text for text, _ in content_blocks(html_or_text)]


_ODD_SPACES = ("\u200b", "\ufeff")  # not whitespace to str.split(), spaces to textnorm.clean


def squash(text: str) -> str:
    """One line of NFC text with single plain spaces: ``clean`` for a paragraph, but fast.

    What it gives back is clean (``clean`` would change nothing), so the items made of such
    lines need no cleaning again."""
    # isprintable() is False for every white space but " " (and for the odd spaces), so such
    # a text is already one line with single spaces (the usual case: skip the split and join).
    if (
        text.isprintable()
        and "  " not in text
        and text[:1] != " "
        and text[-1:] != " "
        and unicodedata.is_normalized("NFC", text)
    ):
        return fix_eth(text)
    text = " ".join(text.split())
    if any(ch in text for ch in _ODD_SPACES):
        text = " ".join(text.replace("\u200b", " ").replace("\ufeff", " ").split())
    if not unicodedata.is_normalized("NFC", text):
        text = " ".join(unicodedata.normalize("NFC", text).split())
    return fix_eth(text)


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


def content_blocks(content: str) -> list[tuple[str, bool]]:
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
            and not BULLET.match(text)
            and not re.search(r"[.!?…:;\"”)]$", out[-1][0])
            and not IMAGE_NAME.match(out[-1][0])
        ):
            out[-1] = (out[-1][0] + " " + text, out[-1][1])
        else:
            out.append((text, is_li))
    return out
