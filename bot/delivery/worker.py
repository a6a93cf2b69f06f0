"""Delivery: the one worker draining the outbox.

The worker claims due rows, sends them with bounded concurrency through a ``Sender``, paces
itself (bot.delivery.pacing) and records every outcome in the outbox. A slow or rate-limited chat never
holds up the others: only chats whose own limit allows a message now get rows claimed.

Senders (bot.delivery.senders) raise small error types, so the worker knows nothing of any messenger.

    python -m bot.delivery.worker --db data/diemtin.sqlite3 --base-url http://127.0.0.1:8081/bot
runs the worker alone (token in TELEGRAM_BOT_TOKEN) until SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence

from bot import eventloop
from bot.config import DeliveryConfig, RateLimits
from bot.delivery.senders import (
    ChatGone,
    ChatMoved,
    RateLimited,
    Rejected,
    Sender,
    TelegramSender,
    Transient,
)
from storage import outbox
from storage.db import Database
from storage.outbox import Claimed

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- the worker


class DeliveryWorker:
    """The one outbox worker. ``await start()`` (recovers rows a crash left claimed),
    ``wake()`` after queueing, ``await stop()`` to finish in-flight sends and release the rest.

    ``sender``: one Sender for every chat, or {messenger: Sender}. ``clock``: Unix time, for
    the outbox's timestamps and retry times; pacing uses the event loop's monotonic clock.
    """

    def __init__(
        self,
        sender: Sender | Mapping[str, Sender],
        db: Database,
        config: DeliveryConfig,
        clock: Callable[[], float] = time.time,
        *,
        limits: RateLimits,
        rng: random.Random | None = None,
    ) -> None:
        from bot.delivery.pacing import Pacer

        self.senders: dict[str, Sender] = (
            dict(sender) if isinstance(sender, Mapping) else {"telegram": sender}
        )
        self.db = db
        self.config = config
        self.clock = clock
        self.rng = rng or random.Random()
        self.limits = limits
        self.pacer = Pacer(limits, time.monotonic)
        self.prefetch = max(4 * config.concurrency, 64)
        self._held: OrderedDict[int, deque[Claimed]] = OrderedDict()  # claimed, not yet sent
        self._held_count = 0
        self._busy_chats: set[int] = set()  # a send to the chat is in flight
        self._tasks: set[asyncio.Task] = set()
        self._sent: list[tuple[int, str]] = []  # accepted, not yet recorded
        self._event = asyncio.Event()  # something changed: new rows, a send finished, stop
        self._poll_now = True
        self._sent_ready = asyncio.Event()
        self._stopping = False
        self._runner: asyncio.Task | None = None
        self._recorder: asyncio.Task | None = None
        self._last_poll = float("-inf")
        self._logged_rejections: set[str] = set()
        self.stats = {"sent": 0, "retried": 0, "dead": 0, "cancelled": 0, "rate_limited": 0}

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        recovered = await outbox.recover(self.db)
        if recovered:
            log.warning("delivery: %d messages were in flight at the last stop; sending again", recovered)
        self._stopping = False
        self._runner = asyncio.create_task(self._run(), name="delivery-worker")
        self._recorder = asyncio.create_task(self._record_loop(), name="delivery-recorder")

    def wake(self) -> None:
        """New rows were queued: look at the outbox now rather than at the next poll."""
        self._poll_now = True
        self._event.set()

    @property
    def running(self) -> bool:
        return self._runner is not None and not self._runner.done()

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; let in-flight sends finish (up to ``timeout``); unsent rows go back."""
        if self._runner is None:
            return
        self._stopping = True
        self._event.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self._runner
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:  # their rows stay 'sending': recovered (maybe resent) at start
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._sent_ready.set()
        if self._recorder is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._recorder
        await self._flush_sent()
        held = [row.id for rows in self._held.values() for row in rows]
        self._held.clear()
        self._held_count = 0
        await outbox.release(self.db, held)
        self._runner = self._recorder = None

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until nothing is due and nothing is in flight (tests, the CLI)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._tasks and not self._held_count and not self._sent:
                due = await outbox.due_candidates(
                    self.db, now=self.clock(), messengers=list(self.senders), exclude_chats=(), limit=1
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
                try:
                    await self._refill()
                    delay = self._dispatch()
                except Exception:  # noqa: BLE001 - the worker must outlive a database hiccup
                    log.exception("delivery: dispatch failed; retrying shortly")
                    delay = 1.0
                if delay > 0 and not self._stopping:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._event.wait(), delay)
        finally:
            self._stopping = True

    def _poll_due(self, now: float) -> float:
        """Seconds until the outbox should be looked at again (0: now)."""
        if self._held_count >= self.prefetch // 2:
            return float("inf")
        if self._poll_now:
            return 0.0
        return max(0.0, self._last_poll + self.config.poll_interval_seconds - now)

    async def _refill(self) -> None:
        """Claim due rows, for chats that may receive a message now, up to the prefetch."""
        now = time.monotonic()
        if self._poll_due(now) > 0:
            return
        self._poll_now = False
        self._last_poll = now
        exclude = set(self._held) | self._busy_chats | set(self.pacer.throttled(now))
        want = self.prefetch - self._held_count
        limit = want * 2
        candidates = await outbox.due_candidates(
            self.db, now=self.clock(), messengers=list(self.senders), exclude_chats=exclude, limit=limit
        )
        picked: list[int] = []
        inactive: list[int] = []
        per_chat: dict[int, int] = {}
        burst = max(1, self.limits.private_burst - 1)
        for row_id, chat_ref, active in candidates:
            if not active:
                inactive.append(row_id)
            elif per_chat.get(chat_ref, 0) < burst and len(picked) < want:
                per_chat[chat_ref] = per_chat.get(chat_ref, 0) + 1
                picked.append(row_id)
        if inactive:
            await outbox.cancel(self.db, inactive, "chat inactive")
        for row in await outbox.claim(self.db, picked, now=self.clock()):
            self._held.setdefault(row.chat_ref, deque()).append(row)
            self._held_count += 1
        if len(candidates) >= limit:
            self._poll_now = True  # more are waiting: look again as soon as there is room

    def _dispatch(self) -> float:
        """Start sends for chats that may receive one now; return how long to wait."""
        now = time.monotonic()
        wait = min(self._poll_due(now), self.config.poll_interval_seconds)
        for chat_ref in list(self._held):
            if len(self._tasks) >= self.config.concurrency:
                return wait  # a finishing send wakes the loop
            if chat_ref in self._busy_chats:
                continue
            global_at = self.pacer.global_ready_at(now)
            if global_at > now:
                return min(wait, global_at - now)
            rows = self._held[chat_ref]
            row = rows[0]
            chat_at = self.pacer.chat_ready_at(chat_ref, row.chat_kind, now)
            if chat_at > now:
                wait = min(wait, chat_at - now)
                continue
            rows.popleft()
            self._held_count -= 1
            if rows:
                self._held.move_to_end(chat_ref)  # round robin between chats
            else:
                del self._held[chat_ref]
            self.pacer.take(chat_ref, row.chat_kind, now)
            self._busy_chats.add(chat_ref)
            task = asyncio.create_task(self._send(row))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return wait

    # ---------------------------------------------------------------- one send

    async def _send(self, row: Claimed) -> None:
        sender = self.senders.get(row.messenger)
        try:
            if sender is None:
                raise Rejected(f"no sender for {row.messenger}")
            message_id = await sender.send(row.chat_id, row.payload)
        except RateLimited as exc:
            self.stats["rate_limited"] += 1
            log.warning("delivery: 429 from %s, pausing all sending for %.0f s", row.messenger, exc.retry_after)
            self.pacer.pause(exc.retry_after)
            self._hold_again(row)
        except ChatMoved as exc:
            await self._chat_moved(row, exc.new_chat_id)
        except ChatGone as exc:
            await self._chat_gone(row, exc.reason, str(exc))
        except Rejected as exc:
            reason = str(exc)
            if reason not in self._logged_rejections:
                self._logged_rejections.add(reason)
                log.error("delivery: message %d to chat %d rejected: %s", row.id, row.chat_ref, reason)
            self.stats["dead"] += 1
            await outbox.mark_dead(self.db, row.id, attempts=row.attempts + 1, error=reason)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - Transient, or a bug in a sender: retry, bounded
            await self._retry(row, exc)
        else:
            self._sent.append((row.id, message_id))
            self._sent_ready.set()
        finally:
            self._busy_chats.discard(row.chat_ref)
            self._event.set()

    def _hold_again(self, row: Claimed) -> None:
        rows = self._held.setdefault(row.chat_ref, deque())
        rows.appendleft(row)
        self._held.move_to_end(row.chat_ref, last=False)
        self._held_count += 1

    async def _retry(self, row: Claimed, exc: Exception) -> None:
        attempts = row.attempts + 1
        reason = str(exc) if isinstance(exc, Transient) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, Transient):
            log.exception("delivery: unexpected error sending message %d", row.id, exc_info=exc)
        if attempts >= self.config.max_attempts:
            self.stats["dead"] += 1
            log.error("delivery: message %d to chat %d dead after %d attempts: %s", row.id, row.chat_ref, attempts, reason)
            await outbox.mark_dead(self.db, row.id, attempts=attempts, error=reason)
            return
        delay = min(self.config.backoff_max_seconds, self.config.backoff_base_seconds * 2 ** (attempts - 1))
        delay *= 0.5 + self.rng.random() / 2  # jitter: retries of many chats spread out
        self.stats["retried"] += 1
        log.info("delivery: message %d failed (%s); retry %d in %.1f s", row.id, reason, attempts, delay)
        await outbox.retry_later(self.db, row.id, attempts=attempts, next_attempt_at=self.clock() + delay, error=reason)

    async def _chat_gone(self, row: Claimed, reason: str, detail: str) -> None:
        from storage.chats import deactivate_chat

        log.info("delivery: chat %d (%s) is gone: %s", row.chat_ref, row.messenger, detail)
        dropped = self._held.pop(row.chat_ref, deque())
        self._held_count -= len(dropped)
        await deactivate_chat(self.db, row.messenger, row.chat_id, reason, self.clock())
        cancelled = await outbox.cancel_chat(self.db, row.chat_ref, detail)
        self.stats["cancelled"] += cancelled

    async def _chat_moved(self, row: Claimed, new_chat_id: str) -> None:
        from storage.chats import migrate_chat
        from storage.subscribers import chat_ref_of

        log.info("delivery: chat %s moved to %s", row.chat_id, new_chat_id)
        dropped = self._held.pop(row.chat_ref, deque())
        self._held_count -= len(dropped)
        if row.attempts + 1 >= self.config.max_attempts:  # a chat that keeps moving: give up
            await outbox.mark_dead(self.db, row.id, attempts=row.attempts + 1, error=f"chat moved to {new_chat_id} again")
            await outbox.release(self.db, [r.id for r in dropped])
            return
        # The chat stays busy (no claims for it) until this returns. Sent again with the new id
        # at a later claim; the attempt counts, so a chat bouncing between ids cannot loop.
        await outbox.release(self.db, [row.id, *(r.id for r in dropped)], attempted=[row.id])
        existing = await chat_ref_of(self.db, row.messenger, new_chat_id)
        if existing is not None and existing != row.chat_ref:
            await outbox.move_chat(self.db, row.chat_ref, existing)  # before the merge cancels them
        await migrate_chat(self.db, row.messenger, row.chat_id, new_chat_id, self.clock())

    # ---------------------------------------------------------------- recording

    async def _record_loop(self) -> None:
        """Record accepted messages in batches: whatever arrived while the last write ran."""
        while True:
            await self._sent_ready.wait()
            self._sent_ready.clear()
            try:
                await self._flush_sent()
            except Exception:  # noqa: BLE001 - keep them for the next flush
                log.exception("delivery: recording sent messages failed")
                await asyncio.sleep(0.5)
                self._sent_ready.set()
            if self._stopping and not self._tasks:
                return

    async def _flush_sent(self) -> None:
        if not self._sent:
            return
        batch, self._sent = self._sent, []
        try:
            await outbox.mark_sent(self.db, batch, now=self.clock())
        except BaseException:
            self._sent = batch + self._sent
            raise
        self.stats["sent"] += len(batch)


# ----------------------------------------------------------------------------- running it alone


def _main(argv: Sequence[str] | None = None) -> int:
    """``python -m bot.delivery.worker``: the worker alone against a database (tests, operations)."""
    import argparse
    import os
    import signal

    parser = argparse.ArgumentParser(prog="python -m bot.delivery.worker")
    parser.add_argument("--db", required=True)
    parser.add_argument("--base-url", default="https://api.telegram.org/bot")
    parser.add_argument("--concurrency", type=int, default=DeliveryConfig().concurrency)
    parser.add_argument("--global-per-second", type=float, default=RateLimits().global_per_second)
    parser.add_argument("--private-per-second", type=float, default=RateLimits().private_per_second)
    parser.add_argument("--poll-interval", type=float, default=0.2)
    args = parser.parse_args(argv)
    token = os.environ.get("TELEGRAM_BOT_TOKEN")
    if not token:
        parser.error("TELEGRAM_BOT_TOKEN is not set")
    config = DeliveryConfig(concurrency=args.concurrency, poll_interval_seconds=args.poll_interval)
    limits = RateLimits(global_per_second=args.global_per_second, private_per_second=args.private_per_second)

    async def run() -> None:
        from telegram import Bot
        from telegram.request import HTTPXRequest

        logging.getLogger("httpx").setLevel(logging.WARNING)
        db = await Database.open(args.db)
        bot = Bot(token, base_url=args.base_url, request=HTTPXRequest(connection_pool_size=max(8, config.concurrency * 2)))
        await bot.initialize()
        worker = DeliveryWorker(TelegramSender(bot), db, config, limits=limits)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await worker.start()
        print("delivery: running", flush=True)
        await stop.wait()
        await worker.stop()
        await bot.shutdown()
        await db.close()

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    eventloop.run(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())

