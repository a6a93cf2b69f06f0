"""One messenger as the delivery worker sees it, and the command replies waiting for it.

A ``Channel`` is a messenger's sender with its own pacer (its profile's limits), so a 429 from
one messenger never pauses another. Command replies wait in memory (``ReplyQueue``), one
first-in-first-out line per chat, and go out ahead of queued pushes on the same pacer and with
the same error handling; a reply that keeps failing is retried for ``REPLY_RETRY_SECONDS``.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bot.delivery.pacing import Pacer
from bot.delivery.profile import Profile
from bot.delivery.senders import Sender

REPLY_RETRY_SECONDS = 3600  # a reply to a command is worth sending for an hour, not longer
REPLY_BACKOFF_MAX_SECONDS = 30  # retried often: a person is waiting for it


@dataclass
class Channel:
    """A messenger the worker sends to."""

    profile: Profile
    sender: Sender
    pacer: Pacer = field(init=False)

    def __post_init__(self) -> None:
        self.pacer = Pacer(self.profile.limits, time.monotonic)

    @property
    def name(self) -> str:
        return self.profile.name


@dataclass
class ReplyJob:
    """One message of a command reply."""

    messenger: str
    chat_id: str
    chat_kind: str
    payload: dict[str, Any]
    deadline: float  # Unix time after which it is dropped
    attempts: int = 0
    not_before: float = 0.0  # monotonic time of its next try

    @property
    def key(self) -> tuple[str, str]:
        return (self.messenger, self.chat_id)


class ReplyQueue:
    """Waiting replies, per chat in order, chats in arrival order."""

    def __init__(self) -> None:
        self._chats: OrderedDict[tuple[str, str], deque[ReplyJob]] = OrderedDict()

    def __len__(self) -> int:
        return sum(len(jobs) for jobs in self._chats.values())

    def __bool__(self) -> bool:
        return bool(self._chats)

    def add(self, job: ReplyJob, *, first: bool = False) -> None:
        jobs = self._chats.setdefault(job.key, deque())
        if first:
            jobs.appendleft(job)
            self._chats.move_to_end(job.key, last=False)
        else:
            jobs.append(job)

    def heads(self) -> Iterator[ReplyJob]:
        """The next reply of each chat (a snapshot: safe to pop while iterating)."""
        return iter([jobs[0] for jobs in self._chats.values()])

    def pop(self, job: ReplyJob) -> None:
        """Take a chat's head reply out; the chat moves to the back of the line."""
        jobs = self._chats[job.key]
        jobs.popleft()
        if jobs:
            self._chats.move_to_end(job.key)
        else:
            del self._chats[job.key]

    def drop_chat(self, key: tuple[str, str]) -> int:
        return len(self._chats.pop(key, ()))

    def move_chat(self, key: tuple[str, str], new_chat_id: str) -> None:
        """A group became a supergroup: its waiting replies follow it."""
        for job in self._chats.pop(key, ()):
            job.chat_id = new_chat_id
            self.add(job)

    def clear(self) -> int:
        count = len(self)
        self._chats.clear()
        return count
