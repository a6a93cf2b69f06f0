"""Delivery: the one worker that sends everything — queued pushes and command replies, replies
first, with bounded concurrency through each messenger's ``Channel`` (its sender and pacer).

Outcomes map through bot.delivery.senders: 429 pauses that messenger, a blocked chat becomes
inactive, a migrated group moves, network errors and 5xx retry with backoff. Only chats whose
own limit allows a message now get rows claimed, so a slow chat never holds up the others."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.config import DeliveryConfig
from bot.delivery.channels import (
    REPLY_BACKOFF_MAX_SECONDS,
    REPLY_RETRY_SECONDS,
    Channel,
    ReplyJob,
    ReplyQueue,
)
from bot.delivery.chat_changes import chat_gone, chat_moved
from bot.delivery.recording import SentRecorder
from bot.delivery.senders import ChatGone, ChatMoved, RateLimited, Rejected, failure_reason
from storage import outbox
from storage.db import Database, StorageError
from storage.outbox import Claimed

log = logging.getLogger(__name__)

REPLY_DRAIN_SECONDS = 5.0  # at a stop, replies still waiting get this long to go out
MAX_CHAT_MOVES = 3  # a group "moving" again and again is refused, not followed forever
CLAIMS_PER_CHAT = 2  # rows of one chat claimed at a time: the rest wait in the outbox
MAX_KNOWN_CHATS = 100_000  # (messenger, chat id) → chat_ref remembered for claiming


class DeliveryWorker:
    """``await start()`` (recovers rows a crash left claimed), ``wake()`` after queueing,
    ``reply()`` for a command's answer, ``await stop()``. ``clock`` is Unix time (the outbox's
    timestamps); pacing uses the monotonic clock."""

    def __init__(
        self,
        channels: Mapping[str, Channel],
        db: Database,
        config: DeliveryConfig,
        clock: Callable[[], float] = time.time,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.channels, self.db, self.config, self.clock = dict(channels), db, config, clock
        self.rng = rng or random.Random()
        self.prefetch = max(4 * config.concurrency, 64)
        self.replies = ReplyQueue()
        self._held: OrderedDict[int, deque[Claimed]] = OrderedDict()  # claimed, not yet sent
        self._held_count = 0
        self._busy: set[tuple[str, str]] = set()  # (messenger, chat id) with a send in flight
        self._ref_of: dict[tuple[str, str], int] = {}  # chats of rows claimed lately
        self._tasks: set[asyncio.Task] = set()
        self.recorder = SentRecorder(db, clock)
        self._event = asyncio.Event()  # something changed: new rows, a send finished, stop
        self._poll_now, self._stopping = True, False
        self._claiming = True  # False while stopping: replies may still leave, rows not
        self._runner: asyncio.Task | None = None
        self._last_poll = float("-inf")
        self._poll_after = 0.0  # after a failed claim: no new one before this (monotonic)
        self._refilling: asyncio.Task | None = None  # the claim under way
        self._logged_rejections: set[str] = set()
        self._counts = dict.fromkeys(("retried", "dead", "cancelled", "rate_limited", "replies", "replies_dropped"), 0)

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        if recovered := await outbox.recover(self.db):
            log.warning("delivery: %d messages were in flight at the last stop; sending again", recovered)
        self._stopping, self._claiming = False, True
        self._runner = asyncio.create_task(self._run(), name="delivery-worker")
        self.recorder.start()

    def wake(self) -> None:
        """New rows were queued: look at the outbox now rather than at the next poll."""
        self._poll_now = True
        self._event.set()

    def reply(self, messenger: str, chat_id: str, chat_kind: str, payloads: Sequence[dict[str, Any]]) -> None:
        """Send a command's reply (its messages in order), ahead of queued pushes."""
        deadline = self.clock() + REPLY_RETRY_SECONDS
        for payload in payloads:
            self.replies.add(ReplyJob(messenger, str(chat_id), chat_kind, payload, deadline))
        self._event.set()

    @property
    def stats(self) -> dict[str, int]:
        """Counts since start: sent, retried, dead, cancelled, rate_limited, replies …"""
        return {**self._counts, "sent": self.recorder.recorded}

    @property
    def running(self) -> bool:
        return self._runner is not None and not self._runner.done()

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; let replies and in-flight sends finish (within ``timeout``); unsent
        rows go back to the outbox."""
        if self._runner is None:
            return
        self._claiming = False
        self._event.set()
        deadline = time.monotonic() + min(timeout, REPLY_DRAIN_SECONDS)
        while (self.replies or self._tasks) and time.monotonic() < deadline and self.running:
            await asyncio.sleep(0.02)
        self._stopping = True
        self._event.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self._runner
            if self._refilling is not None:  # its rows are held once it returns, then released
                await self._refilling
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:  # their rows stay 'sending': recovered (maybe resent) at start
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if dropped := self.replies.clear():
            log.warning("delivery: %d replies not sent before the stop", dropped)
        await self.recorder.close()
        held, self._held, self._held_count = self._held, OrderedDict(), 0
        await outbox.release(self.db, [row.id for rows in held.values() for row in rows])
        self._runner = None

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until nothing is due and nothing is in flight (the demo, tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not (self._tasks or self._held_count or self.recorder or self.replies or self._refilling):
                due = await outbox.due_candidates(
                    self.db, now=self.clock(), messengers=list(self.channels), exclude_chats=(), limit=1
                )
                if not due:
                    return
            self.wake()
            await asyncio.sleep(0.02)
        raise TimeoutError("delivery: outbox not drained in time")

    # ---------------------------------------------------------------- the dispatch loop

    async def _run(self) -> None:
        try:
            while not self._stopping:
                self._event.clear()  # anything that happens from here on wakes the wait below
                if self._poll_due(time.monotonic()) <= 0:  # beside dispatching: held rows go on
                    self._refilling = asyncio.create_task(self._refill(), name="delivery-claim")
                try:
                    delay = self._dispatch()
                except Exception:  # noqa: BLE001 - the worker must outlive a bug in one send
                    log.exception("delivery: dispatch failed; retrying shortly")
                    delay = 1.0
                if delay > 0 and not self._stopping:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._event.wait(), delay)
        finally:
            self._stopping = True

    def _poll_due(self, now: float) -> float:
        """Seconds until the outbox should be looked at again (0: now)."""
        if not self._claiming or self._refilling or self._held_count >= self.prefetch // 2:
            return float("inf")
        if self._poll_now and now >= self._poll_after:
            return 0.0
        return max(0.0, self._poll_after - now, self._last_poll + self.config.poll_interval_seconds - now)

    async def _refill(self) -> None:
        """Claim due rows up to the prefetch; after a failure, wait a little before the next."""
        try:
            now = time.monotonic()
            self._poll_now, self._last_poll = False, now
            # Chats that cannot take a message now (held, in flight, throttled) get no rows claimed.
            waiting = self._busy | {(n, c) for n, ch in self.channels.items() for c in ch.pacer.throttled(now)}
            exclude = set(self._held) | {self._ref_of[k] for k in waiting if k in self._ref_of}
            want = self.prefetch - self._held_count
            candidates = await outbox.due_candidates(self.db, now=self.clock(), messengers=list(self.channels),
                                                     exclude_chats=exclude, limit=2 * want)
            picked, inactive = _picked(candidates, want)
            if inactive:
                await outbox.cancel(self.db, inactive, "chat inactive")
            if len(self._ref_of) > MAX_KNOWN_CHATS:
                self._ref_of.clear()
            for row in await outbox.claim(self.db, picked, now=self.clock()):
                self._held.setdefault(row.chat_ref, deque()).append(row)
                self._held_count += 1
                self._ref_of[(row.messenger, row.chat_id)] = row.chat_ref
            if len(candidates) >= 2 * want:
                self._poll_now = True  # more are waiting: look again as soon as there is room
        except StorageError:  # a full disk or a held lock: storage's own line says so
            self._poll_after = time.monotonic() + 5.0
        except Exception:  # noqa: BLE001 - the worker must outlive a database hiccup
            log.exception("delivery: claiming failed; retrying shortly")
            self._poll_after = time.monotonic() + 1.0
        finally:
            self._refilling = None
            self._event.set()

    def _ready(self, channel: Channel, chat_id: str, chat_kind: str, now: float) -> float:
        """When this chat of this messenger may get its next message (≤ now: it may now)."""
        return max(channel.pacer.global_ready_at(now), channel.pacer.chat_ready_at(chat_id, chat_kind, now))

    def _start(self, channel: Channel, chat_id: str, chat_kind: str, now: float, send) -> None:
        channel.pacer.take(chat_id, chat_kind, now)
        self._busy.add((channel.name, chat_id))
        task = asyncio.create_task(send)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _dispatch(self) -> float:
        """Start sends for chats that may receive one now, replies first; return how long to wait."""
        now = time.monotonic()
        wait = min(self._poll_due(now), self.config.poll_interval_seconds)
        waiting_replies: set[tuple[str, str]] = set()
        for job in self.replies.heads():
            waiting_replies.add(job.key)
            channel = self.channels.get(job.messenger)
            if channel is None:
                self.replies.pop(job)
                log.error("delivery: a reply for %s, which is not running; dropped", job.messenger)
                continue
            if len(self._tasks) >= self.config.concurrency:
                return wait  # a finishing send wakes the loop
            if job.key in self._busy:
                continue
            at = max(job.not_before, self._ready(channel, job.chat_id, job.chat_kind, now))
            if at > now:
                wait = min(wait, at - now)
                continue
            self.replies.pop(job)
            self._start(channel, job.chat_id, job.chat_kind, now, self._send_reply(channel, job))
        for chat_ref in list(self._held):
            if len(self._tasks) >= self.config.concurrency:
                return wait
            rows = self._held[chat_ref]
            row = rows[0]
            key = (row.messenger, row.chat_id)
            if key in self._busy or key in waiting_replies:
                continue
            channel = self.channels[row.messenger]
            at = self._ready(channel, row.chat_id, row.chat_kind, now)
            if at > now:
                wait = min(wait, at - now)
                continue
            rows.popleft()
            self._held_count -= 1
            if rows:
                self._held.move_to_end(chat_ref)  # round robin between chats
            else:
                del self._held[chat_ref]
            self._start(channel, row.chat_id, row.chat_kind, now, self._send_row(channel, row))
        return wait

    # ---------------------------------------------------------------- one queued message

    async def _send_row(self, channel: Channel, row: Claimed) -> None:
        try:
            message_id = await channel.sender.send(row.chat_id, row.payload)
        except RateLimited as exc:
            self._rate_limited(channel, exc)
            self._hold_again(row)
        except ChatMoved as exc:
            await self._row_chat_moved(row, exc.new_chat_id)
        except ChatGone as exc:
            await self._chat_gone(row.messenger, row.chat_id, exc.reason, str(exc))
        except Rejected as exc:
            self._log_rejection(f"message {row.id} to chat {row.chat_ref}", str(exc))
            self._counts["dead"] += 1
            await outbox.mark_dead(self.db, row.id, attempts=row.attempts + 1, error=str(exc))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - Transient, or a bug in a sender: retry, bounded
            await self._retry_row(row, exc)
        else:
            self.recorder.add(row.id, message_id)
        finally:
            self._busy.discard((row.messenger, row.chat_id))
            self._event.set()

    def _hold_again(self, row: Claimed) -> None:
        rows = self._held.setdefault(row.chat_ref, deque())
        rows.appendleft(row)
        self._held.move_to_end(row.chat_ref, last=False)
        self._held_count += 1

    async def _retry_row(self, row: Claimed, exc: Exception) -> None:
        attempts = row.attempts + 1
        reason = failure_reason(exc)
        failing_for = self.clock() - (row.first_failed_at or self.clock())
        if failing_for >= self.config.retry_for_seconds:
            self._counts["dead"] += 1
            log.error("delivery: message %d to chat %d dead after %d attempts over %.0f s: %s",
                      row.id, row.chat_ref, attempts, failing_for, reason)
            await outbox.mark_dead(self.db, row.id, attempts=attempts, error=reason)
            return
        delay = self._backoff(attempts, self.config.backoff_max_seconds)
        self._counts["retried"] += 1
        log.info("delivery: message %d failed (%s); retry %d in %.1f s", row.id, reason, attempts, delay)
        await outbox.retry_later(
            self.db, row.id, attempts=attempts, next_attempt_at=self.clock() + delay, error=reason, now=self.clock()
        )

    async def _row_chat_moved(self, row: Claimed, new_chat_id: str) -> None:
        dropped = self._held.pop(row.chat_ref, deque())
        self._held_count -= len(dropped)
        if row.attempts + 1 >= MAX_CHAT_MOVES:  # a chat that keeps moving: give up
            await outbox.mark_dead(self.db, row.id, attempts=row.attempts + 1, error=f"chat moved to {new_chat_id} again")
            await outbox.release(self.db, [r.id for r in dropped])
            return
        # The chat stays busy (no claims for it) until this returns. Sent again with the new id
        # at a later claim; the attempt counts, so a chat bouncing between ids cannot loop.
        await outbox.release(self.db, [row.id, *(r.id for r in dropped)], attempted=[row.id])
        await self._move_chat(row.messenger, row.chat_id, new_chat_id)

    # ---------------------------------------------------------------- one reply

    async def _send_reply(self, channel: Channel, job: ReplyJob) -> None:
        try:
            await channel.sender.send(job.chat_id, job.payload)
        except RateLimited as exc:
            self._rate_limited(channel, exc)
            self.replies.add(job, first=True)
        except ChatMoved as exc:
            await self._move_chat(job.messenger, job.chat_id, exc.new_chat_id)
            job.chat_id = exc.new_chat_id
            self.replies.add(job, first=True)
        except ChatGone as exc:
            self._counts["replies_dropped"] += 1 + self.replies.drop_chat(job.key)
            await self._chat_gone(job.messenger, job.chat_id, exc.reason, str(exc))
        except Rejected as exc:
            self._counts["replies_dropped"] += 1
            self._log_rejection(f"a reply to {job.messenger} chat {job.chat_id}", str(exc))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - Transient, or a bug in a sender: retry
            self._retry_reply(job, exc)
        else:
            self._counts["replies"] += 1
        finally:
            self._busy.discard((job.messenger, job.chat_id))
            self._event.set()

    def _retry_reply(self, job: ReplyJob, exc: Exception) -> None:
        job.attempts += 1
        if self.clock() > job.deadline:
            self._counts["replies_dropped"] += 1
            log.error("delivery: a reply to %s chat %s dropped after %d tries: %s",
                      job.messenger, job.chat_id, job.attempts, failure_reason(exc))
            return
        delay = self._backoff(job.attempts, REPLY_BACKOFF_MAX_SECONDS)
        log.info("delivery: a reply to %s chat %s failed (%s); retry in %.1f s",
                 job.messenger, job.chat_id, failure_reason(exc), delay)
        job.not_before = time.monotonic() + delay
        self.replies.add(job, first=True)

    # ---------------------------------------------------------------- what outcomes share

    def _backoff(self, attempts: int, cap: float) -> float:
        delay = min(cap, self.config.backoff_base_seconds * 2 ** (attempts - 1))
        return delay * (0.5 + self.rng.random() / 2)  # jitter: retries of many chats spread out

    def _rate_limited(self, channel: Channel, exc: RateLimited) -> None:
        self._counts["rate_limited"] += 1
        log.warning("delivery: 429 from %s, pausing its sending for %.0f s", channel.name, exc.retry_after)
        channel.pacer.pause(exc.retry_after)

    def _log_rejection(self, what: str, reason: str) -> None:
        if reason not in self._logged_rejections:
            self._logged_rejections.add(reason)
            log.error("delivery: %s rejected: %s", what, reason)

    async def _chat_gone(self, messenger: str, chat_id: str, reason: str, detail: str) -> None:
        for chat_ref in [ref for ref, rows in self._held.items()
                         if rows and (rows[0].messenger, rows[0].chat_id) == (messenger, chat_id)]:
            self._held_count -= len(self._held.pop(chat_ref))
        self._counts["cancelled"] += await chat_gone(self.db, messenger, chat_id, reason, detail, self.clock())

    async def _move_chat(self, messenger: str, old_chat_id: str, new_chat_id: str) -> None:
        await chat_moved(self.db, messenger, old_chat_id, new_chat_id, self.clock())
        self.replies.move_chat((messenger, old_chat_id), new_chat_id)


def _picked(candidates: Sequence[tuple[int, int, bool]], want: int) -> tuple[list[int], list[int]]:
    """(rows to claim: at most ``want``, CLAIMS_PER_CHAT per chat; rows of inactive chats)."""
    picked, inactive, per_chat = [], [], Counter()
    for row_id, chat_ref, active in candidates:
        if not active:
            inactive.append(row_id)
        elif per_chat[chat_ref] < CLAIMS_PER_CHAT and len(picked) < want:
            per_chat[chat_ref] += 1
            picked.append(row_id)
    return picked, inactive
