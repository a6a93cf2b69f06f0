"""`diemtin demo`: the whole pipeline offline, on the bundled sample digest, printed for a person.

No token and no network: the bundled feed is read from the package, the database lives in a
temporary folder, and "sending" means printing what each chat would read.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TextIO

from bot.config import parse_config
from bot.delivery.instant import match_new_items
from bot.delivery.weekly import queue_due_summaries
from bot.intake.ingest import Ingestor
from bot.intake.itemjson import describe_item
from bot.messengers.registry import profiles
from bot.messengers.telegram.html import to_terminal
from bot.vietnamese.gazetteer import default_gazetteer
from bot.vietnamese.topics import default_topics
from storage import chats as chat_store
from storage import items as item_store
from storage import outbox, subscriptions
from storage.db import Database

SAMPLE_FEED = "data/sample-digest.xml"
RULE = "─" * 64


@dataclass(frozen=True)
class DemoChat:
    messenger: str
    chat_id: str
    title: str
    provinces: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()


DEMO_CHATS = (
    DemoChat("telegram", "1001", "Sở KH&CN Lâm Đồng — Lâm Đồng + chuyển đổi số", ("lam-dong",), ("chuyen-doi-so",)),
    DemoChat("telegram", "1002", "UBND TP Cần Thơ — TP Cần Thơ (nhận cả tin Sóc Trăng cũ)", ("can-tho",)),
    DemoChat("telegram", "1003", "Cục An toàn thông tin — chủ đề an toàn thông tin", (), ("an-toan-thong-tin",)),
    DemoChat("zalo", "demo-zalo-1", "Sở KH&CN Lâm Đồng trên Zalo — Lâm Đồng (chữ thuần)", ("lam-dong",)),
)


async def run_demo(out: TextIO) -> int:
    """Run every stage and print it; returns the exit code."""
    say = lambda text="": print(text, file=out, flush=True)  # noqa: E731
    gazetteer, topics = default_gazetteer(), default_topics()
    config = parse_config({})
    known = profiles(config)
    with tempfile.TemporaryDirectory(prefix="diemtin-demo-") as tmp:
        db = await Database.open(Path(tmp) / "demo.sqlite3")
        try:
            now = time.time()
            say(f"[1/5] Tạo {len(DEMO_CHATS)} chat mẫu trong cơ sở dữ liệu tạm {tmp}")
            refs = {}
            for chat in DEMO_CHATS:
                row = await chat_store.ensure_chat(db, chat.messenger, chat.chat_id, "private", chat.title, "vi", now)
                await subscriptions.add_subscriptions(db, row.id, "province", chat.provinces, now)
                await subscriptions.add_subscriptions(db, row.id, "topic", chat.topics, now)
                refs[chat] = row.id
                say(f"      • {chat.title}")

            sample = resources.files("bot").joinpath(SAMPLE_FEED)
            with resources.as_file(sample) as feed_path:
                say(f"[2/5] Đọc feed mẫu đi kèm ({SAMPLE_FEED}), tách và gắn nhãn từng tin")
                ingestor = Ingestor(db, gazetteer=gazetteer, topics=topics, clock=lambda: now + 1)
                report = await ingestor.ingest_source(str(feed_path))
                await ingestor.close()
            if report.status == "error":
                say(f"      lỗi: {report.error}")
                return 1
            period = report.periods[0].label() if report.periods else "?"
            say(f"      {report.entries} bài điểm tin → {report.items_added} tin, tuần {period}")
            for n, item in enumerate(await item_store.get_items(db, report.new_seqs), 1):
                say(f"      {n}. {describe_item(item, gazetteer)[:110]}")

            say("[3/5] Đối chiếu với đăng ký của từng chat, xếp tin vào hàng đợi gửi")
            queued = await match_new_items(db, gazetteer=gazetteer, profiles=known, now=now + 2)
            say(f"      {queued} tin nhắn tức thì đã xếp hàng")

            say("[4/5] Tạo bản tóm tắt hàng tuần cho từng chat")
            summaries = await queue_due_summaries(
                db, now=now + 3, config=config, gazetteer=gazetteer, topics=topics, profiles=known,
                force=True,
            )
            say(f"      {summaries} tin nhắn tóm tắt đã xếp hàng")

            say("[5/5] Mỗi chat sẽ đọc được:")
            for chat, ref in refs.items():
                say()
                say(RULE)
                say(f"💬 {chat.title} ({chat.messenger})")
                say(RULE)
                for kind, label in (("items", "Tin tức thì"), ("summary", "Tóm tắt hàng tuần")):
                    rows = [r for r in await outbox.rows(db, chat_ref=ref) if r.kind == kind]
                    say(f"── {label} ({len(rows)} tin nhắn) ──")
                    for row in rows:
                        say(_for_terminal(row.payload))
                        say()
                    if not rows:
                        say("(không có)")
                        say()
        finally:
            await db.close()
    say("Xong. Chạy bot thật: cp config.example.toml config.toml; export TELEGRAM_BOT_TOKEN=… "
        "(và/hoặc ZALO_BOT_TOKEN=…); diemtin run --config config.toml")
    return 0


def _for_terminal(payload: dict) -> str:
    """A queued message as the chat's app would show it, in a terminal."""
    return to_terminal(payload["text"]) if payload.get("format") == "html" else payload["text"]
