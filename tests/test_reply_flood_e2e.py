"""Every command is answered and every queued message delivered, exactly once — under Telegram's
limits with hundreds of users at once, and through a three-minute outage of the Bot API.
Replies leave through the delivery worker, paced like every other message; both kinds are
retried with capped backoff for a span of time (not a number of tries) until the API is back."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from bot.config import DeliveryConfig, RateLimits
from bot.messengers.telegram.profile import telegram_profile
from storage import chats, outbox
from storage.outbox import NewMessage
from tests.fakes.telegram import TELEGRAM_LIMITS
from tests.telegram_harness import harness

USERS = 200
COMMANDS = ("/trogiup", "/dangky", "/tinh Huế", "/lich")  # 800 in all
OUTAGE_SECONDS = 180
TELEGRAM = telegram_profile(RateLimits())  # Telegram's own limits: 30/s, 1/s a chat, 20/min a group
PATIENT = DeliveryConfig(poll_interval_seconds=0.1, backoff_base_seconds=1, backoff_max_seconds=4)


def answered(server, chat_ids) -> Counter:
    return Counter(c.chat_id for c in server.requests("sendMessage", ok=True) if c.chat_id in chat_ids)


async def test_a_flood_of_commands_under_telegrams_limits_is_answered_once_each(services):
    async with harness(services, PATIENT, TELEGRAM) as tg:
        tg.server.enforce_rate_limits(TELEGRAM_LIMITS)  # 30/s overall, ~1/s per chat
        users = [2_000_000 + n for n in range(USERS)]
        for n, user in enumerate(users):  # pushed as fast as the fake takes them
            for command in COMMANDS:
                tg.server.push_message(user, command, user_id=user)
            if n % 50 == 49:
                await asyncio.sleep(0)
        expected = dict.fromkeys(users, len(COMMANDS))
        await tg.server.wait_for(lambda: answered(tg.server, set(users)) == expected, timeout=240,
                                 what="a reply to each command in each chat")
        await asyncio.sleep(1)  # nothing more comes
        assert answered(tg.server, set(users)) == expected
        assert await tg.chat(users[-1]).subscriptions() == {("province", "hue")}


async def test_a_three_minute_outage_loses_no_reply_and_no_push(services):
    async with harness(services, PATIENT, TELEGRAM) as tg:
        before = [3_000_000 + n for n in range(50)]  # fetched just before: replies fail, then retry
        during = [3_100_000 + n for n in range(50)]  # sent while nothing answers at all
        queued = [3_200_000 + n for n in range(89)]  # pushes already in the outbox
        now = time.time()
        messages = []
        for user in queued:
            row = await chats.ensure_chat(services.db, "telegram", str(user), "private", "", "vi", now)
            messages.append(NewMessage(row.id, "items", f"outage:{user}", {"text": f"tin {user}", "format": "html"}))
        tg.server.outage(OUTAGE_SECONDS, methods=["sendMessage"])
        async with services.db.transaction() as conn:
            await outbox.enqueue_in(conn, messages, now=now)
        tg.worker.wake()
        for user in before:
            tg.server.push_message(user, "/trogiup", user_id=user)
        await tg.server.wait_for(lambda: tg.server.requests("sendMessage", ok=False), timeout=30,
                                 what="the first refused reply")
        tg.server.clear_rules()
        tg.server.outage(OUTAGE_SECONDS)  # now every method: polling fails too
        for user in during:
            tg.server.push_message(user, "/dangky", user_id=user)
        everyone = set(before) | set(during) | set(queued)
        expected = dict.fromkeys(everyone, 1)
        await tg.server.wait_for(lambda: answered(tg.server, everyone) == expected,
                                 timeout=OUTAGE_SECONDS + 90, what="one reply in each of the chats")
        await asyncio.sleep(1)
        assert answered(tg.server, everyone) == expected
        assert tg.worker.stats["replies_dropped"] == 0 and tg.worker.stats["dead"] == 0
        assert await outbox.counts(services.db) == {"sent": len(queued)}
