"""Every command is answered exactly once — under Telegram's limits with hundreds of users at
once, and through a 60-second outage of the Bot API. Replies leave through the delivery worker,
paced like every other message, retried until the API is back."""

from __future__ import annotations

import asyncio
from collections import Counter

from bot.config import DeliveryConfig
from tests.fakes.telegram import TELEGRAM_LIMITS
from tests.telegram_harness import harness

USERS = 200
COMMANDS = ("/trogiup", "/dangky", "/tinh Huế", "/lich")  # 800 in all
OUTAGE_SECONDS = 60
PATIENT = DeliveryConfig(poll_interval_seconds=0.1, backoff_base_seconds=1, backoff_max_seconds=4)


def answered(server, chat_ids) -> Counter:
    return Counter(c.chat_id for c in server.requests("sendMessage", ok=True) if c.chat_id in chat_ids)


async def test_a_flood_of_commands_under_telegrams_limits_is_answered_once_each(services):
    async with harness(services, PATIENT) as tg:
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


async def test_commands_during_a_long_outage_are_answered_once_after_it(services):
    async with harness(services, PATIENT) as tg:
        before = [3_000_000 + n for n in range(50)]  # fetched just before: replies fail, then retry
        during = [3_100_000 + n for n in range(50)]  # sent while nothing answers at all
        tg.server.outage(OUTAGE_SECONDS, methods=["sendMessage"])
        for user in before:
            tg.server.push_message(user, "/trogiup", user_id=user)
        await tg.server.wait_for(lambda: tg.server.requests("sendMessage", ok=False), timeout=30,
                                 what="the first refused reply")
        tg.server.clear_rules()
        tg.server.outage(OUTAGE_SECONDS)  # now every method: polling fails too
        for user in during:
            tg.server.push_message(user, "/dangky", user_id=user)
        everyone = set(before) | set(during)
        expected = dict.fromkeys(everyone, 1)
        await tg.server.wait_for(lambda: answered(tg.server, everyone) == expected,
                                 timeout=OUTAGE_SECONDS + 90, what="one reply in each of the chats")
        await asyncio.sleep(1)
        assert answered(tg.server, everyone) == expected
        assert tg.worker.stats["replies_dropped"] == 0
