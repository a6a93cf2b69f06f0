"""Neutral text as Telegram HTML, and its length as Telegram counts it.

Telegram parses the HTML into text plus entities and limits a message to 4,096 UTF-16 code
units of that text: marks and links cost nothing, "&amp;" counts as one character.
"""

from __future__ import annotations

import html
import re

from bot.core.text import BOLD, CODE, ITALIC, Text

_TAGS = ((CODE, "code"), (ITALIC, "i"), (BOLD, "b"))  # innermost first
_TAG = re.compile(r"<[^>]*>")
_ANCHOR = re.compile(r'<a\s+href="([^"]*)"\s*>(.*?)</a>', re.DOTALL)


def utf16_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


class TelegramHTML:
    """The ``Formatter`` of Telegram messages (parse_mode HTML)."""

    name = "html"

    def render(self, text: Text) -> str:
        out = []
        for span in text.spans:
            piece = html.escape(span.text, quote=False)
            for mark, tag in _TAGS:
                if mark in span.marks:
                    piece = f"<{tag}>{piece}</{tag}>"
            if span.url:
                piece = f'<a href="{html.escape(span.url, quote=True)}">{piece}</a>'
            out.append(piece)
        return "".join(out)

    def measure(self, text: Text) -> int:
        return utf16_len(str(text))


def to_terminal(markup: str) -> str:
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
