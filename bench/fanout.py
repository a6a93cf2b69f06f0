"""Fan-out: matching, queueing and sending a week of items to many chats.

    python bench/fanout.py [--chats 10000 100000] [--send 5000] [--paced-seconds 20]

For each size: N chats with random subscriptions (provinces, topics, keywords; 10 % groups)
in a fresh SQLite file, and a week of digests (~100 items from the real sample, provinces
swapped) stored in it. Reports the index build, the matching, the queueing (render + outbox
insert, one transaction per digest) and the peak memory of matching.

Then, on the largest size's outbox, the sending side against the fake Bot API server on
127.0.0.1 (run in a subprocess so it has its own core):
  (a) no limits: the DeliveryWorker through PTB's HTTP stack, and through an in-process
      recording BaseRequest (no HTTP at all) — target ≥ 1,000 msg/s;
  (b) the fake enforcing 30 msg/s overall, 1/s per chat, 20/min per group, for a bounded time:
      our worker (target ≥ 95 % of 30/s, zero 429s) versus the naive way, a loop of
      bot.send_message behind PTB's AIORateLimiter (which sleeps out a 429 and retries).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import eventloop  # noqa: E402
from bot.config import DeliveryConfig, RateLimits  # noqa: E402
from bot.core.models import FeedEntry  # noqa: E402
from bot.core.subscriptions import subscriptions_of  # noqa: E402
from bot.delivery.channels import Channel  # noqa: E402
from bot.delivery.instant import fan_out  # noqa: E402
from bot.delivery.matching import RecipientIndex, item_keys, item_matches  # noqa: E402
from bot.delivery.recipient_cache import RecipientCache  # noqa: E402
from bot.delivery.worker import DeliveryWorker  # noqa: E402
from bot.intake.tagging import tag_entries  # noqa: E402
from bot.messengers.telegram.profile import telegram_profile  # noqa: E402
from bot.messengers.telegram.sender import TelegramSender  # noqa: E402
from bot.vietnamese.gazetteer import NATIONAL, default_gazetteer  # noqa: E402
from bot.vietnamese.textnorm import fold  # noqa: E402
from bot.vietnamese.topics import default_topics  # noqa: E402
from storage import items as item_store  # noqa: E402
from storage import outbox  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.subscribers import instant_subscriptions  # noqa: E402

SAMPLE = ROOT / "tests" / "data" / "diem-tin-2022-tuan-19.txt"
TOKEN = "123456789:AAFakeTokenForTheFanoutBenchmark_01234"
KEYWORDS = [
    "Postmart", "IOC", "5G", "chữ ký số", "VNeID", "dịch vụ công trực tuyến", "bưu tá",
    "an toàn thông tin", "thanh toán không dùng tiền mặt", "Viettel", "VNPT", "camera",
    "nền tảng số", "mã QR", "tổ công nghệ số cộng đồng", "ai", "du lich", "nong san",
]
ORIGINALS = ["Sóc Trăng", "Lâm Đồng", "Thanh Hóa", "Quảng Trị", "Lạng Sơn", "Bà Rịa - Vũng Tàu"]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----------------------------------------------------------------------------- data


def week_of_digests(rng: random.Random, digests: int, rounds: int) -> list[FeedEntry]:
    """Digests made from the sample's real bullets (each used ``rounds`` times per digest), the
    lead province swapped for another."""
    lines = [ln.strip() for ln in SAMPLE.read_text(encoding="utf-8").split("\n") if ln.strip()]
    head, bullets = lines[1:4], lines[4:]
    names = [u.name for u in default_gazetteer().current_units()]
    entries = []
    for n in range(digests):
        body = []
        for r in range(rounds):
            for b in rng.sample(bullets, k=len(bullets)):
                for name in ORIGINALS:
                    if name in b[:40]:
                        b = b.replace(name, rng.choice(names))
                body.append(f"{b} (số {n}.{r})")
        content = "\n\n".join(head + body).replace("tuần 19", "tuần 20")
        entries.append(FeedEntry(guid=f"d{n}", title=f"Điểm tin địa phương số {n}", content=content,
                                 link=f"https://mic.gov.vn/diem-tin/{n}.htm"))
    return entries


async def populate_chats(db: Database, n: int, rng: random.Random, now: float) -> None:
    """N chats with random subscriptions, written in bulk (the bench's shortcut past storage.chats)."""
    units = [u.slug for u in default_gazetteer().current_units()] + [NATIONAL]
    topics = list(default_topics().slugs)
    chat_rows, subs = [], []
    for ref in range(1, n + 1):
        group = rng.random() < 0.1
        chat_id = f"-100{ref}" if group else str(ref)
        chat_rows.append((ref, "telegram", chat_id, "supergroup" if group else "private",
                          rng.choice(["vi"] * 9 + ["en"]), now, now))
        r = rng.random()
        if r < 0.55:  # provinces only
            for p in rng.sample(units, k=rng.choice([1, 1, 2, 3])):
                subs.append((ref, "province", p, p, 0, now))
        elif r < 0.75:  # topics only
            for t in rng.sample(topics, k=rng.choice([1, 2])):
                subs.append((ref, "topic", t, t, 0, now))
        elif r < 0.9:  # both
            for p in rng.sample(units, k=rng.choice([1, 2])):
                subs.append((ref, "province", p, p, 0, now))
            subs.append((ref, "topic", rng.choice(topics), "", 0, now))
        if rng.random() < 0.2:
            for k in rng.sample(KEYWORDS, k=rng.choice([1, 2])):
                subs.append((ref, "keyword", k, k.lower(), 0, now))
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO chats (id, messenger, chat_id, kind, lang, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            chat_rows,
        )
        await conn.executemany(
            "INSERT OR IGNORE INTO subscriptions (chat_ref, kind, value, folded, accented, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            subs,
        )


# ----------------------------------------------------------------------------- matching + queueing


async def fanout(n_chats: int, db_path: Path, digests: int, rounds: int, seed: int) -> dict:
    gazetteer, topics = default_gazetteer(), default_topics()
    rng = random.Random(seed)
    db = await Database.open(db_path)
    now = time.time() - 3600
    await populate_chats(db, n_chats, rng, now - 60)
    entries = week_of_digests(rng, digests, rounds)
    batches = []
    for entry in entries:
        items, _ = tag_entries([entry], gazetteer=gazetteer, topics=topics)
        batches.append(items)
    current = {u.slug: gazetteer.current_of(u.slug).slug for u in gazetteer.units}
    for items in batches:
        await item_store.insert_items(db, items, feed_id=None, current_of=current.__getitem__, fold=fold, now=now)
    stored = await item_store.unmatched_items(db, limit=100_000)
    out = {"chats": n_chats, "items": len(stored)}

    t0 = time.perf_counter()
    rows = await instant_subscriptions(db, now=now)
    t1 = time.perf_counter()
    index = RecipientIndex(rows)
    t2 = time.perf_counter()
    pairs = sum(len(index.recipients(it)) for it in stored)
    t3 = time.perf_counter()
    out.update(subs=len(rows), load_s=t1 - t0, index_s=t2 - t1, match_s=t3 - t2, pairs=pairs)

    # Memory of loading + indexing + matching, measured on a second pass (tracemalloc is slow).
    del index
    tracemalloc.start()
    index = RecipientIndex(await instant_subscriptions(db, now=now))
    for it in stored:
        index.recipients(it)
    out["match_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()

    # The naive way, on a sample of chats: every chat tested against every item.
    by_chat: dict[int, list] = {}
    for r in rows:
        by_chat.setdefault(r.chat_ref, []).append(r)
    sample = list(by_chat.values())[:1000]
    keyed = [(it, item_keys(it)) for it in stored]
    t4 = time.perf_counter()
    for chat_rows in sample:
        subs = subscriptions_of(chat_rows)
        for it, keys in keyed:
            item_matches(subs, it, keys)
    out["brute_est_s"] = (time.perf_counter() - t4) * len(by_chat) / max(1, len(sample))

    # Queueing: one digest at a time, as they arrive, through the bot's kept recipient cache.
    by_seq = {it.seq: it for it in stored}
    cache = RecipientCache()
    await cache.refresh(db, now=now)
    t5 = time.perf_counter()
    queued = 0
    offset = 0
    for items in batches:
        chunk = [by_seq[s] for s in sorted(by_seq)[offset : offset + len(items)]]
        offset += len(items)
        queued += await fan_out(db, cache, chunk, gazetteer=gazetteer, profiles=PROFILES, now=now)
    out["enqueue_s"] = time.perf_counter() - t5
    out["queued"] = queued
    out["rss_mb"] = rss_mb()
    await db.close()  # the last close checkpoints the WAL into the file
    out["db_mb"] = db_path.stat().st_size / 1e6
    return out


# ----------------------------------------------------------------------------- the fake server, in its own process


def serve_fake() -> None:
    """--serve-fake: run FakeTelegram, answer one-line JSON commands on stdin."""
    from tests.fakes.telegram import FakeTelegram, RateLimits

    server = FakeTelegram(token=TOKEN, record=False).start()
    print(json.dumps({"base_url": server.base_url}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["op"] == "limits":
            server.enforce_rate_limits(RateLimits(**cmd["limits"]) if cmd["limits"] else None)
            reply = {}
        elif cmd["op"] == "stats":
            reply = {"sent": len(server.sent_messages()), "flood": server.flood_count}
        else:
            break
        print(json.dumps(reply), flush=True)
    server.stop()


class FakeProcess:
    """The fake Bot API served by ``script --serve-fake`` in a process of its own (JSON lines
    on stdin/stdout: its address first, then an answer to each ``call``)."""

    def __init__(self, script: str = __file__) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, script, "--serve-fake"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, cwd=ROOT,
        )
        self.base_url = json.loads(self.proc.stdout.readline())["base_url"]

    def call(self, **cmd) -> dict:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def stats(self) -> dict:
        return self.call(op="stats")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.proc.stdin.flush()
        self.proc.wait(10)


# ----------------------------------------------------------------------------- sending


def copy_outbox(db_path: Path, name: str) -> Path:
    """A copy of the outbox database, written out to disk before any timing starts: the kernel
    flushing a 1 GB copy in the background would otherwise share the CPU with the sender."""
    target = db_path.with_name(name)
    shutil.copyfile(db_path, target)
    os.sync()
    return target


PROFILES = {"telegram": telegram_profile(RateLimits())}
QUICK_POLL = DeliveryConfig(concurrency=32, poll_interval_seconds=0.1)
UNLIMITED = RateLimits(global_per_second=1e9, private_per_second=1e9, private_burst=1000, group_per_minute=1e12)


class RecordingRequest:
    """A BaseRequest answering every call at once, in process: PTB without HTTP."""

    @staticmethod
    def make():
        from telegram.request import BaseRequest

        class Recording(BaseRequest):
            def __init__(self) -> None:
                self.count = 0

            @property
            def read_timeout(self) -> float:
                return 5.0

            async def initialize(self) -> None:
                """No connection to open."""

            async def shutdown(self) -> None:
                """No connection to close."""

            async def do_request(self, url, method, request_data=None, **kw):
                self.count += 1
                if url.endswith("/getMe"):
                    result = {"id": 1, "is_bot": True, "first_name": "b", "username": "b"}
                else:
                    chat = request_data.parameters["chat_id"]
                    result = {"message_id": self.count, "date": 0, "text": "x",
                              "chat": {"id": chat, "type": "private" if chat > 0 else "supergroup", "first_name": "u"}}
                return 200, json.dumps({"ok": True, "result": result}).encode()

        return Recording()


async def send_for(db_path: Path, bot, config: DeliveryConfig, limits: RateLimits, *, stop_after: int | None, seconds: float | None, fake: FakeProcess | None):
    """Run the worker until ``stop_after`` messages were recorded or ``seconds`` passed."""
    db = await Database.open(db_path)
    worker = DeliveryWorker({"telegram": Channel(telegram_profile(limits), TelegramSender(bot))}, db, config)
    await worker.start()
    t0 = time.perf_counter()
    cpu0 = time.process_time()  # this process only: worker, PTB, HTTP client, SQLite thread
    before = fake.stats() if fake else None
    try:
        while True:
            await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - t0
            if stop_after is not None and worker.stats["sent"] >= stop_after:
                break
            if seconds is not None and elapsed >= seconds:
                break
    finally:
        elapsed = time.perf_counter() - t0
        cpu_s = time.process_time() - cpu0
        sent = worker.stats["sent"]
        await worker.stop()
        await db.close()
    after = fake.stats() if fake else None
    flood = after["flood"] - before["flood"] if fake else 0
    return sent, elapsed, flood, {**worker.stats, "cpu_s": cpu_s}


async def naive_for(db_path: Path, fake: FakeProcess, seconds: float) -> tuple[int, float, int]:
    """A loop of bot.send_message behind AIORateLimiter over the pending rows, for ``seconds``."""
    from telegram.error import RetryAfter
    from telegram.ext import AIORateLimiter, ExtBot
    from telegram.request import HTTPXRequest

    db = await Database.open(db_path)
    rows = await db.fetchall(
        """SELECT c.chat_id, o.payload FROM outbox o JOIN chats c ON c.id = o.chat_ref
           WHERE o.state = 'pending' ORDER BY o.id LIMIT 5000"""
    )
    await db.close()
    bot = ExtBot(TOKEN, base_url=fake.base_url, request=HTTPXRequest(connection_pool_size=8), rate_limiter=AIORateLimiter())
    await bot.initialize()
    before = fake.stats()
    sent = 0
    t0 = time.perf_counter()
    deadline = t0 + seconds
    try:
        for chat_id, payload in rows:
            if time.perf_counter() >= deadline:
                break
            text = json.loads(payload)["text"]
            while True:
                try:
                    await bot.send_message(int(chat_id), text, parse_mode="HTML")
                    sent += 1
                    break
                except RetryAfter as exc:
                    wait = exc.retry_after
                    await asyncio.sleep(wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait))
    finally:
        elapsed = time.perf_counter() - t0
        await bot.shutdown()
    return sent, elapsed, fake.stats()["flood"] - before["flood"]


async def summary_day(db_path: Path, chats: int, parts: int) -> None:
    """An outbox where each private chat has ``parts`` messages back to back (a push and a
    multi-part summary), as on a Monday morning."""
    from storage.outbox import NewMessage

    db = await Database.open(db_path)
    now = time.time()
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO chats (id, messenger, chat_id, kind, created_at, updated_at) VALUES (?, 'telegram', ?, 'private', ?, ?)",
            [(ref, str(500_000 + ref), now, now) for ref in range(1, chats + 1)],
        )
    text = "🗞 <b>Điểm tin tuần 20</b>\n" + "• Lâm Đồng: hỗ trợ nông dân chuyển đổi số trên sàn Postmart.vn\n" * 20
    async with db.transaction() as conn:
        await outbox.enqueue_in(
            conn,
            [NewMessage(ref, "summary", f"s:{ref}:{p}", {"text": f"{text}({p + 1}/{parts})", "format": "html"})
             for ref in range(1, chats + 1) for p in range(parts)],
            now=now,
        )
    await db.close()


async def paced_pair(db_path: Path, fake: FakeProcess, seconds: float, label: str) -> list[tuple[str, str]]:
    from telegram import Bot
    from telegram.request import HTTPXRequest

    limits = {"global_per_second": 30.0, "per_chat_per_second": 1.0, "per_chat_burst": 3, "group_per_minute": 20.0}
    naive_path = copy_outbox(db_path, db_path.stem + "-naive.sqlite3")  # both start from the same outbox
    fake.call(op="limits", limits=limits)
    bot = Bot(TOKEN, base_url=fake.base_url, request=HTTPXRequest(connection_pool_size=64))
    await bot.initialize()
    ours, elapsed, flood, _ = await send_for(db_path, bot, DeliveryConfig(), RateLimits(), stop_after=None, seconds=seconds, fake=fake)
    await bot.shutdown()
    ours_rate = ours / elapsed
    fake.call(op="limits", limits=limits)  # fresh buckets for the naive run
    await asyncio.sleep(1.0)
    naive, n_elapsed, n_flood = await naive_for(naive_path, fake, seconds)
    naive_rate = naive / n_elapsed
    fake.call(op="limits", limits=None)
    return [
        (f"{label}: worker", f"{ours_rate:8.1f} msg/s  ({100 * ours_rate / 30:.0f} % of 30/s, {flood} × 429, {ours} in {elapsed:.1f} s)"),
        (f"{label}: naive loop + AIORateLimiter", f"{naive_rate:8.1f} msg/s  ({100 * naive_rate / 30:.0f} % of 30/s, {n_flood} × 429, {naive} in {n_elapsed:.1f} s)"),
        (f"{label}: ratio worker / naive", f"{ours_rate / max(naive_rate, 1e-9):8.2f}x"),
    ]


async def sending(db_path: Path, args) -> list[tuple[str, str]]:
    import warnings

    from telegram import Bot
    from telegram.request import HTTPXRequest
    from telegram.warnings import PTBDeprecationWarning

    from bot.messengers.telegram.aiohttp_request import AiohttpRequest

    warnings.simplefilter("ignore", PTBDeprecationWarning)
    lines: list[tuple[str, str]] = []
    fake = FakeProcess()
    try:
        # (a) no limits, through HTTP: PTB's default backend, then the one `diemtin run` uses.
        # Each starts from the same outbox. The fake (another process, validating every
        # message's HTML) shares the 2 cores, so the sender's own ceiling on one core is its
        # messages per CPU-second.
        for label, request in (("httpx", HTTPXRequest), ("aiohttp", AiohttpRequest)):
            outbox_copy = copy_outbox(db_path, f"{db_path.stem}-{label}.sqlite3")
            bot = Bot(TOKEN, base_url=fake.base_url, request=request(connection_pool_size=64))
            await bot.initialize()
            sent, elapsed, _, stats = await send_for(outbox_copy, bot, QUICK_POLL, UNLIMITED, stop_after=args.send, seconds=120, fake=fake)
            await bot.shutdown()
            lines.append((f"(a) worker → PTB ({label}) → HTTP fake", f"{sent / elapsed:8.0f} msg/s  ({sent} in {elapsed:.1f} s)"))
            lines.append((f"(a) sender's own ceiling, one core ({label})", f"{sent / stats['cpu_s']:8.0f} msg/s  ({1000 * stats['cpu_s'] / sent:.2f} ms CPU per message)"))
        # (a') no limits, no HTTP: the worker and PTB alone.
        recording = RecordingRequest.make()
        bot = Bot(TOKEN, request=recording)
        await bot.initialize()
        sent, elapsed, _, _ = await send_for(db_path, bot, QUICK_POLL, UNLIMITED, stop_after=args.send, seconds=120, fake=None)
        await bot.shutdown()
        lines.append(("(a) worker → PTB → recording BaseRequest", f"{sent / elapsed:8.0f} msg/s  ({sent} in {elapsed:.1f} s)"))

        # (b) Telegram's limits, enforced by the fake: the digest fan-out, then a summary morning.
        lines += await paced_pair(db_path, fake, args.paced_seconds, "(b) fan-out")
        burst_path = db_path.with_name("summary-day.sqlite3")
        await summary_day(burst_path, chats=2000, parts=4)
        lines += await paced_pair(burst_path, fake, args.paced_seconds, "(c) 4 msgs/chat back to back")
    finally:
        fake.close()
    return lines


# ----------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--digests", type=int, default=3, help="digests in the week")
    parser.add_argument("--rounds", type=int, default=4, help="the sample's 9 bullets, this many times per digest")
    parser.add_argument("--send", type=int, default=10_000, help="messages for each unlimited send run")
    parser.add_argument("--paced-seconds", type=float, default=20.0)
    parser.add_argument("--no-send", action="store_true")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake:
        serve_fake()
        return

    default_gazetteer(), default_topics()  # load outside the timings
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)  # one traceback per 429
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for n in args.chats:
            path = Path(tmp) / f"fanout-{n}.sqlite3"
            results.append((path, eventloop.run(fanout(n, path, args.digests, args.rounds, args.seed))))
        print(f"\n{'chats':>8} {'subs':>8} {'items':>6} {'load':>7} {'index':>7} {'match':>7} {'brute*':>8} "
              f"{'pairs':>9} {'enqueue':>8} {'queued':>8} {'msg/s q':>8} {'peak MB':>8} {'db MB':>7}")
        for _, r in results:
            print(f"{r['chats']:>8} {r['subs']:>8} {r['items']:>6} {r['load_s']:>6.2f}s {r['index_s']:>6.2f}s "
                  f"{r['match_s']:>6.2f}s {r['brute_est_s']:>7.1f}s {r['pairs']:>9} {r['enqueue_s']:>7.2f}s "
                  f"{r['queued']:>8} {r['queued'] / r['enqueue_s']:>8.0f} {r['match_peak_mb']:>8.1f} {r['db_mb']:>7.0f}")
        print("  load: subscriptions from SQLite; match: recipients of every item; brute*: every chat × item,"
              " estimated from 1,000 chats;\n  enqueue: render + outbox insert + mark matched, one transaction"
              f" per digest; peak MB: tracemalloc peak of load+index+match; process max RSS {rss_mb():.0f} MB")
        if not args.no_send:
            path = results[-1][0]
            print(f"\nsending from the {results[-1][1]['chats']:,}-chat outbox:")
            for label, value in eventloop.run(sending(path, args)):
                print(f"  {label:<48} {value}")


if __name__ == "__main__":
    main()

