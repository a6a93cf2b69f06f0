"""Neutral documents → messages that fit a messenger, split only between blocks.

A push, a weekly summary, a broadcast and a long command reply are each a ``Document``: an
optional header (first message only) and blocks. ``pack`` lays the blocks into as few messages
as the profile's length limit allows; headings a block sits under (its ``context``) are
repeated at the top of a continuation; a block too long for a message of its own is cut with
"…" and keeps its tail (the link). Everything here counts length with the profile's own
formatter, so the same code serves Telegram's 4,096 UTF-16 units and Zalo's 2,000 characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.messages import t
from bot.core.reply import Reply
from bot.core.text import Text
from bot.delivery.profile import Profile

ELLIPSIS = "…"
PARAGRAPH, LINE = "\n\n", "\n"
MIN_WORD_CUT = 20  # cut at a space when one is this close to the limit, else mid-word


@dataclass(frozen=True)
class Block:
    """A self-contained piece of a message."""

    body: Text  # cut with "…" when it cannot fit a message of its own
    tail: Text | None = None  # kept whole after a cut (e.g. the item's link), on its own line
    context: tuple[Text, ...] = ()  # headings shown above it, repeated atop a continuation
    gap: str = PARAGRAPH  # what separates it from what comes before


@dataclass(frozen=True)
class Document:
    blocks: tuple[Block, ...]
    header: Text | None = None  # on the first message only


def _whole(block: Block) -> Text:
    return block.body + LINE + block.tail if block.tail else block.body


def cut(text: Text, budget: int, profile: Profile) -> Text:
    """The longest prefix of ``text`` that fits ``budget`` with a trailing "…", cut at a word
    where one is near."""
    measure = profile.formatter.measure
    if measure(text) <= budget:
        return text
    visible = str(text)
    low, high = 0, len(visible)
    while low < high:  # the longest prefix whose cut form fits
        mid = (low + high + 1) // 2
        if measure(text.prefix(mid) + ELLIPSIS) <= budget:
            low = mid
        else:
            high = mid - 1
    space = visible.rfind(" ", 0, low)
    if space > 0 and low - space <= MIN_WORD_CUT:
        low = space
    return text.prefix(low).rstrip(" ,;:.-–") + ELLIPSIS if low else Text.of(ELLIPSIS)


def pack(document: Document, profile: Profile) -> list[Text]:
    """The document as messages, each within the profile's limit."""
    measure, limit = profile.formatter.measure, profile.max_length
    messages: list[Text] = []
    parts: list[Text] = []
    size = 0
    shown: tuple[Text, ...] = ()

    def begin() -> None:
        nonlocal parts, size, shown
        parts, size, shown = [], 0, ()
        if document.header and not messages:
            parts, size = [document.header], measure(document.header)

    def pieces_for(block: Block, text: Text) -> tuple[list[Text], int]:
        common = 0
        while common < min(len(shown), len(block.context)) and shown[common] == block.context[common]:
            common += 1
        pieces = [*block.context[common:], text]
        gaps = [block.gap] * len(pieces) if parts else [block.gap] * (len(pieces) - 1)
        cost = sum(measure(p) for p in pieces) + sum(measure(Text.of(g)) for g in gaps)
        return pieces, cost

    def add(block: Block, pieces: list[Text], cost: int) -> None:
        nonlocal size, shown
        for piece in pieces:
            if parts:
                parts.append(Text.of(block.gap))
            parts.append(piece)
        size += cost
        shown = block.context

    begin()
    has_block = False
    for block in document.blocks:
        text = _whole(block)
        if not text and not parts:
            continue  # a blank line never opens a message
        pieces, cost = pieces_for(block, text)
        if size + cost > limit and has_block:
            messages.append(Text().join(parts))
            begin()
            pieces, cost = pieces_for(block, text)
        if size + cost > limit:  # too long even alone: cut its body, keep its tail
            room = limit - size - (cost - measure(text))
            tail = (LINE + block.tail) if block.tail else Text()
            body = cut(block.body, max(room - measure(Text.of(tail)), 1), profile)
            pieces[-1] = body + tail
            cost = cost - measure(text) + measure(pieces[-1])
        add(block, pieces, cost)
        has_block = True
    if parts:
        messages.append(Text().join(parts))
    return messages


def payloads(messages: Sequence[Text], profile: Profile) -> list[dict[str, Any]]:
    """Messages as outbox payloads: {"text", "format"}."""
    fmt = profile.formatter
    return [{"text": fmt.render(m), "format": fmt.name} for m in messages]


def render_document(document: Document, profile: Profile) -> list[dict[str, Any]]:
    """The one builder: a neutral document as this messenger's payloads."""
    return payloads(pack(document, profile), profile)


def render_reply(reply: Reply, profile: Profile, lang: str) -> list[dict[str, Any]]:
    """A command reply as this messenger's payloads; its buttons ride on the last message
    (inline), or follow as a numbered list whose numbers map back to the buttons' data."""
    blocks = [Block(line, gap=LINE) for line in reply.text.splitlines()]
    buttons = [b for row in reply.buttons for b in row]
    if buttons and profile.numbered_buttons:
        blocks.append(Block(Text(), gap=LINE))
        blocks += [Block(Text.of(f"{n}. {b.text}"), gap=LINE) for n, b in enumerate(buttons, 1)]
        blocks.append(Block(t(lang, "common.choose_by_number"), gap=LINE))
    out = render_document(Document(tuple(blocks)), profile) or [
        {"text": profile.formatter.render(Text.of(ELLIPSIS)), "format": profile.formatter.name}
    ]
    if buttons and profile.numbered_buttons:
        out[-1]["choices"] = [b.data for b in buttons]
        out[-1]["choice_labels"] = [b.text for b in buttons]
    elif buttons:
        out[-1]["buttons"] = [[{"text": b.text, "data": b.data} for b in row] for row in reply.buttons]
    return out
