"""Short-lived "are you sure?" questions, one per chat, kept in memory (lost on restart)."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.types import Incoming, Services

CONFIRM_SECONDS = 300
_STORE_KEY = "pending_confirmations"


@dataclass(frozen=True)
class Pending:
    action: str  # e.g. "clear_all"
    user_id: str | None  # who asked: only they may answer by typing
    expires_at: float


def _store(services: Services) -> dict[tuple[str, str], Pending]:
    return services.extra.setdefault(_STORE_KEY, {})


def ask(services: Services, incoming: Incoming, action: str, now: float) -> None:
    _store(services)[(incoming.messenger, incoming.chat_id)] = Pending(
        action, incoming.user_id, now + CONFIRM_SECONDS
    )


def peek(services: Services, incoming: Incoming, now: float) -> Pending | None:
    """The chat's open question, if any and not expired (expired ones are dropped)."""
    key = (incoming.messenger, incoming.chat_id)
    pending = _store(services).get(key)
    if pending is not None and pending.expires_at <= now:
        del _store(services)[key]
        return None
    return pending


def take(services: Services, incoming: Incoming, action: str, now: float) -> Pending | None:
    """Remove and return the chat's open question if it is ``action`` and not expired."""
    pending = peek(services, incoming, now)
    if pending is None or pending.action != action:
        return None
    del _store(services)[(incoming.messenger, incoming.chat_id)]
    return pending


def drop(services: Services, incoming: Incoming) -> bool:
    return _store(services).pop((incoming.messenger, incoming.chat_id), None) is not None
