"""Open "are you sure?" questions, one per chat, kept in memory (lost on restart).

A question remembers the command that answers "yes" to it. That command's button, or a typed
"có"/"yes", runs it; any other command closes the question.
"""

from __future__ import annotations

from dataclasses import dataclass

CONFIRM_SECONDS = 300
CANCEL = "/huy"  # the command that answers "no" to any question
MAX_OPEN = 10_000  # questions kept at once; the oldest go first


@dataclass(frozen=True)
class Question:
    command: str  # the command that answers yes, as typed: "/xoa_xacnhan"
    user_id: str | None  # who asked: in a group only they may answer by typing
    expires_at: float

    @property
    def answers(self) -> tuple[str, str]:
        """The commands that answer it (and so do not close it): yes, and cancel."""
        return (self.command, CANCEL)


class OpenQuestions:
    """The open question of each chat, keyed by (messenger, chat id)."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, str], Question] = {}

    def ask(self, chat: tuple[str, str], command: str, user_id: str | None, now: float) -> None:
        self._open.pop(chat, None)
        if len(self._open) >= MAX_OPEN:
            self._open.pop(next(iter(self._open)))
        self._open[chat] = Question(command, user_id, now + CONFIRM_SECONDS)

    def peek(self, chat: tuple[str, str], now: float) -> Question | None:
        """The chat's open question, if any and not expired (expired ones are dropped)."""
        question = self._open.get(chat)
        if question is not None and question.expires_at <= now:
            del self._open[chat]
            return None
        return question

    def take(self, chat: tuple[str, str], command: str, now: float) -> Question | None:
        """Close and return the chat's open question if ``command`` answers it."""
        question = self.peek(chat, now)
        if question is None or question.command != command:
            return None
        del self._open[chat]
        return question

    def drop(self, chat: tuple[str, str]) -> bool:
        return self._open.pop(chat, None) is not None
