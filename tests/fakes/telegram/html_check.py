"""Message text the way Telegram checks it: HTML parse mode, entities, the 4,096-unit limit.

Telegram accepts a handful of tags and four named entities; anything else in HTML mode is a
400 "can't parse entities" naming the byte offset. The length limit counts UTF-16 code units
of the text the user reads, after the markup is parsed away.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from tests.fakes.telegram.errors import ApiError

MAX_TEXT_UTF16 = 4096

_ALLOWED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span",
        "tg-spoiler", "tg-emoji", "blockquote",
    }
)
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class _EntityError(Exception):
    pass


class _TelegramHTML(HTMLParser):
    """Telegram's HTML parse mode: a few tags, four named entities; anything else is an error."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self.source = source
        self.stack: list[str] = []
        self.parts: list[str] = []

    def _offset(self) -> int:
        line, col = self.getpos()
        lines = self.source.split("\n")
        chars = sum(len(x) + 1 for x in lines[: line - 1]) + col
        return len(self.source[:chars].encode())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            raise _EntityError(f'Unsupported start tag "{tag}" at byte offset {self._offset()}')
        if tag == "span" and dict(attrs).get("class") != "tg-spoiler":
            raise _EntityError(f'Tag "span" must have class "tg-spoiler" at byte offset {self._offset()}')
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise _EntityError(f'Unsupported start tag "{tag}" at byte offset {self._offset()}')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise _EntityError(f"Unexpected end tag at byte offset {self._offset()}")
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_entityref(self, name: str) -> None:
        self.parts.append(_NAMED_ENTITIES.get(name, f"&{name};"))

    def handle_charref(self, name: str) -> None:
        try:
            self.parts.append(chr(int(name[1:], 16) if name[:1] in "xX" else int(name)))
        except (ValueError, OverflowError):
            self.parts.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        raise _EntityError(f"Unsupported start tag at byte offset {self._offset()}")

    handle_decl = handle_pi = unknown_decl = handle_comment


def html_to_text(source: str) -> str:
    """The plain text a user sees for Telegram HTML; raises ApiError like Telegram on bad markup."""
    if "<" not in source and "&" not in source:
        return source
    parser = _TelegramHTML(source)
    try:
        parser.feed(source)
        parser.close()
    except _EntityError as exc:
        raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
    if parser.stack:
        raise ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{parser.stack[-1]}"',
        )
    return "".join(parser.parts)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts (an emoji outside the BMP is two)."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def message_text(params: dict[str, Any]) -> tuple[str, str, str | None]:
    """(text as sent, text the user reads, parse_mode) of a sendMessage/editMessageText call;
    raises ApiError for empty, over-long or badly marked-up text."""
    sent = params.get("text")
    if not isinstance(sent, str) or not sent.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    mode = params.get("parse_mode")
    shown = html_to_text(sent) if isinstance(mode, str) and mode.lower() == "html" else sent
    shown = shown.strip()
    if not shown:
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_len(shown) > MAX_TEXT_UTF16:
        raise ApiError(400, "Bad Request: message is too long")
    return sent, shown, mode
