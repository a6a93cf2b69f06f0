"""English counts for the command line: "1 entry", "2 entries", "1 item", "3 chats"."""

from __future__ import annotations


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """``n`` and the noun that agrees with it (``plural`` defaults to singular + "s")."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"
