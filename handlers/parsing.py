"""Reading what people type: the command word, its arguments, lists, numbers, yes/no."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.vietnamese.textnorm import clean, fold

MAX_INPUT_CHARS = 1000  # longer messages are refused politely
MAX_LIST_ENTRIES = 40  # names in one /tinh, /chude, /tukhoa or /xoa

# "/tinh@ThisBot lam dong": command word (any letters, so a typed "/tỉnh" works too), optional
# bot username, then the arguments after the first space or newline.
_COMMAND = re.compile(r"^/(?P<name>[^\s@/]*)(?:@(?P<bot>[^\s]*))?(?:\s+(?P<args>.*))?$", re.DOTALL)
_LIST_SEPARATORS = re.compile(r"[,;\n\uff0c\u3001]+")
_NUMBER = re.compile(r"^\s*(\d{1,6})\s*(?:ngay|day|days|d|n)?\s*$")

# Folded answers to "are you sure?" ("có" → "co").
YES = frozenset({"co", "yes", "y", "ok", "dong y", "co xoa", "chac chan", "u"})
NO = frozenset({"khong", "no", "n", "huy", "cancel", "thoi"})


@dataclass(frozen=True)
class ParsedCommand:
    name: str  # lower case, accents folded: "/Tỉnh" → "tinh"
    bot: str | None  # "ThisBot" from "/tinh@ThisBot", else None
    args: str  # the rest, cleaned (NFC, single spaces, lines kept)


def parse_command(text: str) -> ParsedCommand | None:
    """The command in a message, or None when the message is not a command."""
    text = (text or "").lstrip()
    if not text.startswith("/"):
        return None
    match = _COMMAND.match(text)
    if match is None:  # e.g. "//x": a slash, then something that is no command word
        return ParsedCommand(name="", bot=None, args=clean(text[1:]))
    return ParsedCommand(
        name=fold(match.group("name") or ""),
        bot=match.group("bot") or None,
        args=clean(match.group("args") or ""),
    )


def split_list(args: str) -> list[str]:
    """Comma-, semicolon- or line-separated entries, trimmed, empties and repeats dropped."""
    seen: set[str] = set()
    entries: list[str] = []
    for part in _LIST_SEPARATORS.split(args or ""):
        entry = clean(part).strip(" .\"'“”‘’«»")
        key = fold(entry)
        if entry and key not in seen:
            seen.add(key)
            entries.append(entry)
    return entries


def parse_count(text: str) -> int | None:
    """"7", "7 ngày", "7 days" → 7; None when there is no plain number."""
    match = _NUMBER.match(fold(text or ""))
    return int(match.group(1)) if match else None


def folded_words(text: str) -> str:
    """Lower case, no accents, single spaces: for matching fixed words like "tức thì"."""
    return " ".join(re.findall(r"\w+", fold(text or "")))


def is_yes(text: str) -> bool:
    return folded_words(text) in YES


def is_no(text: str) -> bool:
    return folded_words(text) in NO
