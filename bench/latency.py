"""Latency of the first push: a new digest reaches N chats through the real `diemtin run`.

    python bench/latency.py --chats 100000 [--runs 3] [--index-chats 1000000]

A database is filled with N chats with random subscriptions (bench/fanout.py's mix), then
`diemtin run` is started on it against a fake Bot API (tests/fakes/telegram, in its own
process) and a feed server, both on 127.0.0.1, with the delivery limits raised so that only the
bot's own work counts. Once the bot is idle the feed starts serving a new digest that most chats
match. Measured per run (a fresh copy of the database each time):
  - first_push_s: from the poller's GET of the digest (stamped at the feed server) to the first
    sendMessage reaching the fake; thousandth_s: to the 1,000th;
  - peak_rss_mb: the bot process's peak resident memory (VmHWM) once the digest is queued.
Also, in this process: the weekly check (one `queue_due_summaries` call) with nobody due, and,
with --index-chats, the time and memory of indexing and matching the digest at that many chats.
The last line is `chats=N queued=Q first_push_s=X thousandth_s=Y peak_rss_mb=Z`, medians of the
runs.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fanout import ORIGINALS, SAMPLE, FakeProcess, populate_chats  # noqa: E402

from bot import eventloop  # noqa: E402
from bot.config import Config, parse_config  # noqa: E402
from bot.core.models import FeedEntry  # noqa: E402
from bot.delivery.matching import RecipientIndex, item_keys, make_keyword  # noqa: E402
from bot.delivery.recipient_cache import RecipientCache  # noqa: E402
from bot.delivery.weekly import queue_due_summaries  # noqa: E402
from bot.intake.tagging import tag_entries  # noqa: E402
from bot.messengers.registry import profiles  # noqa: E402
from bot.vietnamese.gazetteer import default_gazetteer  # noqa: E402
from bot.vietnamese.topics import default_topics  # noqa: E402
from storage import subscriptions as subscription_store  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.subscribers import instant_subscriptions  # noqa: E402
from tests.feedserver import FeedServer, Response  # noqa: E402
from tests.samples import digest_html, rss  # noqa: E402

TOKEN = "123456789:AAFakeTokenForTheLatencyBenchmark_0123"
RSS_HEADERS = {"Content-Type": "application/rss+xml; charset=utf-8"}
WAIT_SECONDS = 300.0


# ----------------------------------------------------------------------------- the fake Bot API, in its own process


def serve_fake() -> None:
    """--serve-fake: a FakeTelegram that stamps every sendMessage; one-line JSON commands on stdin."""
    from tests.fakes.telegram import FakeTelegram

    stamps: list[float] = []

    def send_message(params: dict) -> dict:
        stamps.append(time.monotonic())
        return {"message_id": len(stamps), "date": int(time.time()),
                "chat": {"id": params["chat_id"], "type": "private"}, "text": ""}

    server = FakeTelegram(token=TOKEN, record=False).start()
    server.on("sendMessage", send_message)
    print(json.dumps({"base_url": server.base_url}), flush=True)
    for line in sys.stdin:
        if json.loads(line)["op"] != "stats":
            break
        print(json.dumps({"sent": len(stamps), "first": stamps[:1], "thousandth": stamps[999:1000]}), flush=True)
    server.stop()


# ----------------------------------------------------------------------------- the feed


class DigestFeed:
    """The feed route: an empty feed until ``arm()``, then the digest; stamps the first GET of it."""

    def __init__(self, digest: FeedEntry) -> None:
        self.empty = rss([])
        self.full = rss([{"guid": digest.guid, "title": digest.title, "link": digest.link,
                          "html": digest_html(f"{digest.title}\n{digest.content}")}])
        self.polls = 0
        self.fetched_at: float | None = None
        self._armed = False
        self._fetched = threading.Event()

    def __call__(self, _request) -> Response:
        self.polls += 1
        if not self._armed:
            return Response(200, RSS_HEADERS, self.empty)
        if self.fetched_at is None:
            self.fetched_at = time.monotonic()
            self._fetched.set()
        return Response(200, RSS_HEADERS, self.full)

    def arm(self) -> None:
        self._armed = True

    def wait_fetched(self, timeout: float) -> float:
        if not self._fetched.wait(timeout):
            raise SystemExit("the bot never fetched the digest")
        return self.fetched_at


# ----------------------------------------------------------------------------- one run of `diemtin run`


def write_config(folder: Path, feed_url: str, base_url: str) -> Path:
    path = folder / "config.toml"
    path.write_text(f"""
[storage]
path = "diemtin.sqlite3"

[[feeds]]
url = "{feed_url}"
interval_seconds = 1

[telegram]
base_url = "{base_url}"
admins = [42]
poll_timeout = 1

[telegram.limits]
global_per_second = 1000000
private_per_second = 1000000
private_burst = 1000000
group_per_minute = 1000000

[schedule]
timezone = "Asia/Ho_Chi_Minh"
weekly = "mon 08:00"

[delivery]
poll_interval_seconds = 0.5

[logging]
level = "WARNING"
""", encoding="utf-8")
    return path


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.01)
    raise SystemExit(f"timed out waiting for {what}")


def queued_when_done(db_path: Path) -> int:
    """Outbox rows of instant pushes once every stored item's fan-out is done (0 until then)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        # matched: 0 not yet, 2 while its fan-out is under way, 1 done
        stored, unmatched = conn.execute("SELECT COUNT(*), SUM(matched != 1) FROM items").fetchone()
        if not stored or unmatched:
            return 0
        return conn.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'items'").fetchone()[0]
    finally:
        conn.close()


def one_run(base_db: Path, folder: Path, digest: FeedEntry) -> dict:
    folder.mkdir()
    shutil.copyfile(base_db, folder / "diemtin.sqlite3")
    feed = DigestFeed(digest)
    fake = FakeProcess(__file__)
    with FeedServer() as server, contextlib.closing(fake):
        server.route("/rss", feed)
        config = write_config(folder, server.url("/rss"), fake.base_url)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": TOKEN}
        with (folder / "run.log").open("w") as log:
            bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--config", str(config)],
                                   stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
        try:
            # started and caught up (or gone: then its log says why)
            wait_for(lambda: feed.polls >= 2 or bot.poll() is not None, 120, "the bot's first polls")
            if bot.poll() is not None:
                raise SystemExit(f"`diemtin run` exited:\n{(folder / 'run.log').read_text()[-2000:]}")
            time.sleep(2.0)  # the start's weekly catch-up runs off the poller's path
            sent_before = fake.stats()["sent"]
            feed.arm()
            fetched = feed.wait_fetched(60)
            stats = wait_for(lambda: (s := fake.stats())["sent"] >= sent_before + 1000 and s,
                             WAIT_SECONDS, "1,000 messages")
            queued = wait_for(lambda: queued_when_done(folder / "diemtin.sqlite3"), WAIT_SECONDS,
                              "the digest to be queued")
            rss_mb = peak_rss_mb(bot.pid)
        finally:
            bot.send_signal(signal.SIGTERM)
            try:
                bot.wait(60)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.wait()
    if sent_before:
        raise SystemExit(f"{sent_before} messages went out before the digest: see {folder / 'run.log'}")
    return {"queued": queued, "first_push_s": stats["first"][0] - fetched,
            "thousandth_s": stats["thousandth"][0] - fetched, "peak_rss_mb": rss_mb}


# ----------------------------------------------------------------------------- in-process figures


def nationwide_digest() -> FeedEntry:
    """A digest with one bullet for each of the 34 units (the sample's provincial bullets, their
    province renamed) and the sample's national bullet: 35 items, most chats get something."""
    lines = [ln.strip() for ln in SAMPLE.read_text(encoding="utf-8").split("\n") if ln.strip()]
    bullets = [b for b in lines if b.startswith("- ")]
    provincial = [(b, name) for b in bullets for name in ORIGINALS if b[2:].startswith(name)]
    national = [b for b in bullets if not any(name in b for name in ORIGINALS)][-1]
    body = [
        provincial[k % len(provincial)][0].replace(provincial[k % len(provincial)][1], unit.name)
        for k, unit in enumerate(default_gazetteer().current_units())
    ]
    content = "\n\n".join([*lines[1:4], *body, national]).replace("tuần 19", "tuần 20")
    return FeedEntry(guid="latency-digest", title="Điểm tin địa phương (bench)", content=content,
                     link="https://mic.gov.vn/diem-tin/latency.htm")


def bench_config(db_path: Path) -> Config:
    """The schedule every run's config.toml has, for the checks run in this process."""
    return parse_config({"storage": {"path": str(db_path)},
                         "schedule": {"timezone": "Asia/Ho_Chi_Minh", "weekly": "mon 08:00"}})


async def fill(db_path: Path, chats: int, seed: int) -> None:
    """A database of ``chats`` chats with random subscriptions, made a minute ago, as a bot that
    has been running finds it: one weekly check has looked at every chat."""
    db = await Database.open(db_path)
    try:
        await populate_chats(db, chats, random.Random(seed), time.time() - 60)
        config = bench_config(db_path)
        await queue_due_summaries(db, now=time.time(), config=config, gazetteer=default_gazetteer(),
                                  topics=default_topics(), profiles=profiles(config))
    finally:
        await db.close()


async def weekly_check_ms(db_path: Path, calls: int = 3) -> list[float]:
    """Milliseconds of each of ``calls`` weekly checks in a row, with nobody due."""
    config = bench_config(db_path)
    gazetteer, topics = default_gazetteer(), default_topics()
    db = await Database.open(db_path)
    try:
        out = []
        for _ in range(calls):
            t0 = time.perf_counter()
            queued = await queue_due_summaries(db, now=time.time(), config=config, gazetteer=gazetteer,
                                               topics=topics, profiles=profiles(config))
            out.append((time.perf_counter() - t0) * 1000)
            assert queued == 0, f"{queued} summaries queued: somebody was due"
        return out
    finally:
        await db.close()


def match_digest(index: RecipientIndex | RecipientCache, items: list) -> dict[int, list]:
    """Each chat's items, gathered as the instant path gathers them."""
    per_chat: dict[int, list] = {}
    for item in items:
        keys = item_keys(item) if index.has_keywords else None
        for chat in index.recipients(item, keys):
            per_chat.setdefault(chat, []).append(item)
    return per_chat


async def settle(db: Database) -> None:
    """Free what the last build left: aiosqlite's thread holds the last result it fetched until
    the next statement, and cycles wait for the collector."""
    await db.scalar("SELECT 1")
    gc.collect()


async def measure(db: Database, build, items: list) -> tuple[dict[int, int], str]:
    """Build an index with ``await build()`` and match the digest with it: once for the times,
    once under tracemalloc for the memory. Returns each chat's number of items and a report."""
    t0 = time.perf_counter()
    index = await build()
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    answer = {chat: len(chat_items) for chat, chat_items in match_digest(index, items).items()}
    match_s = time.perf_counter() - t0
    del index
    await settle(db)
    tracemalloc.start()
    index = await build()
    await settle(db)
    resident, build_peak = tracemalloc.get_traced_memory()
    per_chat = match_digest(index, items)
    match_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del index, per_chat
    await settle(db)
    return answer, (f"read + index {build_s:.2f} s, matching {match_s:.2f} s; memory: index "
                    f"{resident / 1e6:.0f} MB, peak while reading {build_peak / 1e6:.0f} MB, "
                    f"peak with matching {match_peak / 1e6:.0f} MB")


async def matching_memory(db_path: Path, digest: FeedEntry) -> list[str]:
    """Time and memory of reading the subscriptions into an index and matching the digest:
    rebuilt from every subscription (as instant.py does for each batch today), and kept in a
    RecipientCache (read once, then refreshed)."""
    gazetteer, topics = default_gazetteer(), default_topics()
    items, _ = tag_entries([digest], gazetteer=gazetteer, topics=topics)
    db = await Database.open(db_path)
    now = time.time()

    async def rebuild() -> RecipientIndex:
        return RecipientIndex(await instant_subscriptions(db, now=now))

    async def cached() -> RecipientCache:
        cache = RecipientCache()
        await cache.refresh(db, now=now)
        return cache

    try:
        rebuilt, rebuilt_report = await measure(db, rebuild, items)
        answer, cached_report = await measure(db, cached, items)
        assert answer == rebuilt, "the cache and the rebuilt index disagree"
        cache = await cached()
        same, one = [], []
        for n in range(5):
            t0 = time.perf_counter()
            await cache.refresh(db, now=now)
            same.append((time.perf_counter() - t0) * 1000)
            await subscription_store.add_subscriptions(db, 1, "keyword", [make_keyword(f"bench {n}")], now)
            t0 = time.perf_counter()
            await cache.refresh(db, now=now)
            one.append((time.perf_counter() - t0) * 1000)
    finally:
        await db.close()
    return [
        f"{len(items)} items → {len(rebuilt):,} chats, {sum(rebuilt.values()):,} chat×item pairs",
        f"rebuilt for the batch: {rebuilt_report}",
        f"RecipientCache: {cached_report}; refresh with nothing changed "
        f"{statistics.median(same):.2f} ms, after one change {statistics.median(one):.2f} ms (medians of 5)",
    ]


# ----------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--index-chats", type=int, default=0,
                        help="also measure matching memory at this many chats (in this process)")
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake:
        serve_fake()
        return

    digest = nationwide_digest()
    with tempfile.TemporaryDirectory(prefix="diemtin-latency-") as tmp:
        tmp_path = Path(tmp)
        if args.index_chats:
            path = tmp_path / "million.sqlite3"
            t0 = time.perf_counter()
            eventloop.run(fill(path, args.index_chats, args.seed))
            print(f"filled {args.index_chats:,} chats in {time.perf_counter() - t0:.1f} s", flush=True)
            for line in eventloop.run(matching_memory(path, digest)):
                print(f"matching at {args.index_chats:,} chats, {line}", flush=True)
            path.unlink()

        base = tmp_path / "base.sqlite3"
        t0 = time.perf_counter()
        eventloop.run(fill(base, args.chats, args.seed))
        print(f"filled {args.chats:,} chats in {time.perf_counter() - t0:.1f} s", flush=True)

        runs = []
        for n in range(args.runs):
            run = one_run(base, tmp_path / f"run{n}", digest)
            runs.append(run)
            print(f"run {n + 1}: queued={run['queued']} first_push_s={run['first_push_s']:.3f} "
                  f"thousandth_s={run['thousandth_s']:.3f} peak_rss_mb={run['peak_rss_mb']:.0f}", flush=True)
            if n + 1 < args.runs:
                shutil.rmtree(tmp_path / f"run{n}")

        weekly = eventloop.run(weekly_check_ms(tmp_path / f"run{args.runs - 1}" / "diemtin.sqlite3"))
        print("weekly check, nobody due: " + ", ".join(f"{ms:.1f} ms" for ms in weekly), flush=True)

    def median(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    print(f"chats={args.chats} queued={int(median('queued'))} first_push_s={median('first_push_s'):.3f} "
          f"thousandth_s={median('thousandth_s'):.3f} peak_rss_mb={median('peak_rss_mb'):.0f}")


if __name__ == "__main__":
    main()
