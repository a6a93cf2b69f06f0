"""Neutral rich text: what handlers and delivery say, before any messenger formats it.

A ``Text`` is a run of ``Span``s, each plain text with optional marks (bold, italic, code) or a
link. Nothing in a span is markup: a title from a feed holding "<b>" is the four characters
"<b>", so it cannot change how a message looks on any messenger. Each messenger's formatter
(Telegram HTML, plain text) renders the spans and does its own escaping.

Catalogue templates (``bot/core/data/messages``) mark text as ``**bold**``, ``__italic__``,
```code``` and ``[label](url)``; ``{name}`` placeholders take a str (inserted as plain text,
with the marks around it) or a ``Text`` (inserted with its own marks).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

BOLD, ITALIC, CODE = "b", "i", "code"


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    marks: frozenset[str] = frozenset()
    url: str | None = None  # a link: ``text`` shows, ``url`` is where it goes


class Text:
    """Immutable rich text; ``+`` concatenates (with str or Text), ``str()`` is what shows."""

    __slots__ = ("spans",)

    def __init__(self, spans: Iterable[Span] = ()) -> None:
        self.spans: tuple[Span, ...] = _merged(spans)

    # -------------------------------------------------------------- building

    @classmethod
    def of(cls, value: str | Text) -> Text:
        return value if isinstance(value, Text) else cls([Span(value)]) if value else cls()

    @classmethod
    def bold(cls, value: str | Text) -> Text:
        return cls.of(value).marked(BOLD)

    @classmethod
    def italic(cls, value: str | Text) -> Text:
        return cls.of(value).marked(ITALIC)

    @classmethod
    def code(cls, value: str) -> Text:
        return cls([Span(value, frozenset({CODE}))])

    @classmethod
    def link(cls, label: str | Text, url: str | None) -> Text:
        """``label`` linking to ``url``; just the label when the URL is not a safe web link."""
        target = safe_url(url)
        return cls(Span(s.text, s.marks, target) for s in cls.of(label).spans)

    def marked(self, mark: str) -> Text:
        return Text(Span(s.text, s.marks | {mark}, s.url) for s in self.spans)

    def join(self, parts: Iterable[str | Text]) -> Text:
        """Like ``str.join``: the parts with this text between them."""
        spans: list[Span] = []
        for i, part in enumerate(parts):
            if i:
                spans.extend(self.spans)
            spans.extend(Text.of(part).spans)
        return Text(spans)

    def __add__(self, other: str | Text) -> Text:
        if not isinstance(other, str | Text):
            return NotImplemented
        return Text((*self.spans, *Text.of(other).spans))

    def __radd__(self, other: str) -> Text:
        if not isinstance(other, str):
            return NotImplemented
        return Text((*Text.of(other).spans, *self.spans))

    # -------------------------------------------------------------- reading

    def __str__(self) -> str:
        return "".join(s.text for s in self.spans)

    def __repr__(self) -> str:
        return f"Text({self.spans!r})"

    def __bool__(self) -> bool:
        return any(s.text for s in self.spans)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and self.spans == other.spans

    def __hash__(self) -> int:
        return hash(self.spans)

    def __format__(self, spec: str) -> str:
        # An f-string would silently drop the marks and links: make that a loud mistake.
        raise TypeError("Text in an f-string or str.format loses its marks; use + or Text.join")

    def splitlines(self) -> list[Text]:
        """The lines of the text (split at "\n"), marks and links kept."""
        out: list[list[Span]] = [[]]
        for span in self.spans:
            for i, part in enumerate(span.text.split("\n")):
                if i:
                    out.append([])
                if part:
                    out[-1].append(Span(part, span.marks, span.url))
        return [Text(line) for line in out]

    def rstrip(self, chars: str = " ") -> Text:
        """Without trailing ``chars``."""
        spans = list(self.spans)
        while spans:
            last = spans[-1]
            kept = last.text.rstrip(chars)
            if kept:
                spans[-1] = Span(kept, last.marks, last.url)
                break
            spans.pop()
        return Text(spans)

    def prefix(self, length: int) -> Text:
        """The first ``length`` visible characters, marks and links kept."""
        out: list[Span] = []
        left = length
        for span in self.spans:
            if left <= 0:
                break
            out.append(span if len(span.text) <= left else Span(span.text[:left], span.marks, span.url))
            left -= len(span.text)
        return Text(out)


def safe_url(url: str | None) -> str | None:
    """The URL if it is a plain http(s) URL without spaces or control characters, else None
    (never a javascript: or data: link from a feed)."""
    url = (url or "").strip()
    if not url.lower().startswith(("http://", "https://")) or len(url) > 2000:
        return None
    if any(c.isspace() or ord(c) < 32 for c in url):
        return None
    return url


def _merged(spans: Iterable[Span]) -> tuple[Span, ...]:
    """Neighbouring spans with the same marks and link become one; empty spans go."""
    out: list[Span] = []
    for span in spans:
        if not span.text:
            continue
        if out and out[-1].marks == span.marks and out[-1].url == span.url:
            out[-1] = Span(out[-1].text + span.text, span.marks, span.url)
        else:
            out.append(span)
    return tuple(out)


# ----------------------------------------------------------------------------- templates

_TOKEN = re.compile(
    r"(?P<mark>\*\*|__|`)"
    r"|\[(?P<label>[^\]]*)\]\((?P<url>[^)]*)\)"
    r"|\{(?P<name>\w+)\}"
    r"|(?P<brace>\{\{|\}\})"
)
_MARKS = {"**": BOLD, "__": ITALIC, "`": CODE}


class TemplateError(ValueError):
    """A catalogue text whose marks do not pair up."""


def fill(template: str, values: Mapping[str, object]) -> Text:
    """A catalogue template with its placeholders filled; a missing value shows as ``{name}``."""
    spans: list[Span] = []
    marks: set[str] = set()
    pos = 0
    for match in _TOKEN.finditer(template):
        _literal(spans, template[pos : match.start()], marks)
        pos = match.end()
        if match["mark"]:
            mark = _MARKS[match["mark"]]
            marks.symmetric_difference_update({mark})
        elif match["brace"]:
            _literal(spans, match["brace"][0], marks)
        elif match["name"]:
            spans.extend(_value(values, match["name"], marks))
        else:
            link = Text.link(fill(match["label"], values), str(fill(match["url"], values)))
            spans.extend(Span(s.text, s.marks | marks, s.url) for s in link.spans)
    _literal(spans, template[pos:], marks)
    if marks:
        raise TemplateError(f"unclosed {sorted(marks)} in {template[:60]!r}")
    return Text(spans)


def _literal(spans: list[Span], text: str, marks: set[str]) -> None:
    if text:
        spans.append(Span(text, frozenset(marks)))


def _value(values: Mapping[str, object], name: str, marks: set[str]) -> list[Span]:
    if name not in values:
        return [Span("{" + name + "}", frozenset(marks))]
    value = values[name]
    if isinstance(value, Text):
        return [Span(s.text, s.marks | marks, s.url) for s in value.spans]
    return [Span(str(value), frozenset(marks))]
