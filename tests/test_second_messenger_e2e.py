"""The proof that a messenger is one adapter away: a plain-text messenger with no buttons and a
2,000-character limit (tests/plain_messenger.py over tests/fakes/plainchat) runs subscribe —
the province keyboard by typing numbers —, an instant push and a weekly summary through the same
handlers, storage, outbox and delivery worker as Telegram."""

from __future__ import annotations

import re

from bot.app import App, open_services
from bot.config import parse_config
from bot.delivery.weekly import queue_due_summaries
from storage import chats, subscriptions
from tests.fakes.plainchat import FakePlainChat
from tests.plain_messenger import NAME, PROFILE, PlainMessenger
from tests.samples import rss, sample_rss

TOKEN = "plain-test-token"
USER = "u-501"


def number_of(message: str, label: str) -> str:
    """The number a numbered list gives the choice whose label contains ``label``."""
    for line in message.splitlines():
        match = re.match(r"(\d+)\. (.*)", line)
        if match and label in match.group(2):
            return match.group(1)
    raise AssertionError(f"no choice {label!r} in {message!r}")


async def test_subscribe_by_numbers_then_push_and_summary_in_plain_text(tmp_path, feed_server):
    feed_server.serve("/rss", rss([]))
    config = parse_config({
        "storage": {"path": str(tmp_path / "diemtin.sqlite3")},
        "feeds": [{"url": feed_server.url("/rss"), "interval_seconds": 1}],
        "delivery": {"poll_interval_seconds": 0.05},
        "polling": {"tagging_workers": 0},
    }, env={})
    services = await open_services(config)
    services.profiles = {**services.profiles, NAME: PROFILE}
    async with FakePlainChat(token=TOKEN) as fake:
        plain = PlainMessenger(services, base_url=fake.base_url + TOKEN)
        app = App(config, services, messengers=[plain])
        await app.start()
        try:
            async def say(text: str) -> str:
                before = len(fake.sent(USER))
                await fake.push(USER, text)
                await fake.wait_for(lambda: len(fake.sent(USER)) > before)
                return fake.sent(USER)[-1]

            regions = await say("/tinh")
            assert "Trả lời bằng số" in regions and "<" not in regions
            provinces = await say(number_of(regions, "Tây Nguyên"))
            assert "Tây Nguyên" in provinces and number_of(provinces, "Lâm Đồng")
            toggled = await say(number_of(provinces, "Lâm Đồng"))
            assert "✅ Lâm Đồng" in toggled
            saved = await say(number_of(toggled, "Xong"))
            assert "Đã lưu" in saved and "Lâm Đồng" in saved
            row = await chats.get_chat(services.db, NAME, USER)
            assert {(s.kind, s.value) for s in await subscriptions.list_subscriptions(services.db, row.id)} == {
                ("province", "lam-dong")
            }

            # A digest appears: only the Lâm Đồng bullet arrives, as plain text with its link.
            count = len(fake.sent(USER))
            feed_server.serve("/rss", sample_rss())
            await fake.wait_for(lambda: len(fake.sent(USER)) > count, timeout=30)
            push = fake.sent(USER)[-1]
            assert push.startswith("🔔 Tin mới (1)\n\nLâm Đồng: Hỗ trợ nông dân chuyển đổi số")
            assert "Xem chi tiết: https://" in push and "<b>" not in push and "Sóc Trăng" not in push

            # The weekly summary, queued as `diemtin weekly --now` would, sent by the worker.
            count = len(fake.sent(USER))
            queued = await queue_due_summaries(
                services.db, now=services.clock(), config=config, gazetteer=services.gazetteer,
                topics=services.topics, profiles=services.profiles, force=True,
            )
            assert queued == 1
            app.worker.wake()
            await fake.wait_for(lambda: len(fake.sent(USER)) > count)
            summary = fake.sent(USER)[-1]
            assert summary.startswith("🗞 Điểm tin tuần 19 (07/05–13/05/2022)")
            assert "• Lâm Đồng: Hỗ trợ nông dân" in summary
            assert all(len(m) <= 2000 for m in fake.sent(USER)) and fake.refused == []
        finally:
            await app.stop()
