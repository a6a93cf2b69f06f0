"""A portal's whole archive on first poll — 100,000 tiny entries, a 10 MB feed — is stored while
the bot stays responsive: reads answered and the event loop on time (95th percentile within a
second), and the bot's memory back near where it was once the batch is stored.

Run in a child process (its own memory, measured from /proc), polling a FeedServer on 127.0.0.1
run by the test, with two tagging workers as `diemtin run` has.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.feedserver import FeedServer
from tests.feedserver import feed_server as feed_server_fixture  # noqa: F401 - registers it

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = 100_000
PROVINCES = ["Cà Mau", "Lâm Đồng", "Huế", "Gia Lai", "Nghệ An", "Bắc Ninh"]


def tiny_archive(entries: int) -> bytes:
    items = "".join(
        f"<item><title>Tin {n}</title><guid>{n}</guid>"
        f"<description>{PROVINCES[n % len(PROVINCES)]}: số {n}.</description></item>"
        for n in range(entries)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Lưu trữ</title>'
        f"<link>https://portal.example/</link><description>Tin cũ</description>{items}</channel></rss>"
    ).encode()


_CHILD = textwrap.dedent(
    """
    import array, asyncio, json, sys, time
    from bot import eventloop
    from bot.config import PollingConfig
    from bot.intake.ingest import Ingestor
    from bot.vietnamese.gazetteer import default_gazetteer
    from bot.vietnamese.topics import default_topics
    from storage import feeds as feed_store
    from storage import items as item_store
    from storage.db import Database

    def rss_kb():
        with open("/proc/self/status") as status:
            return int(next(line for line in status if line.startswith("VmRSS:")).split()[1])

    def p95(values):
        return sorted(values)[int(0.95 * (len(values) - 1))]

    async def main(url, path):
        db = await Database.open(path)
        feed_id = await feed_store.upsert_feed(db, url)
        ingestor = Ingestor(db, gazetteer=default_gazetteer(), topics=default_topics(),
                            polling=PollingConfig(timeout_seconds=60, tagging_workers=2))
        await ingestor.tagger.start()  # as a running bot's are
        before = rss_kb()
        # array.array: the measurements must not keep small objects of their own all over the heap
        lags, reads, done = array.array("d"), array.array("d"), asyncio.Event()

        async def loop_lag():
            while not done.is_set():
                start = time.perf_counter()
                await asyncio.sleep(0.02)
                lags.append(time.perf_counter() - start - 0.02)

        async def command():  # what /dangky, /moinhat and /nguon read
            start = time.perf_counter()
            await feed_store.get_feed(db, feed_id)
            await item_store.recent_items(db, limit=5)
            reads.append(time.perf_counter() - start)

        async def commands():  # twenty a second, answered or not: as chats send them
            sent = []
            while not done.is_set():
                sent.append(asyncio.create_task(command()))
                await asyncio.sleep(0.05)
            await asyncio.gather(*sent)

        probes = [asyncio.create_task(loop_lag()), asyncio.create_task(commands())]
        [feed] = await feed_store.due_feeds(db, time.time())
        report = await ingestor.poll_feed(feed)
        done.set()
        await asyncio.gather(*probes)
        stored = await item_store.count_items(db)
        await asyncio.sleep(0.5)
        print(json.dumps({"status": report.status, "error": report.error, "added": report.items_added,
                          "stored": stored, "lag_p95": p95(lags), "read_p95": p95(reads),
                          "reads": len(reads), "rss_before_kb": before, "rss_after_kb": rss_kb()}))
        await ingestor.close()
        await db.close()

    eventloop.run(main(sys.argv[1], sys.argv[2]))
    """
)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads memory from Linux /proc")
def test_a_100000_entry_archive_is_stored_while_the_bot_answers(feed_server: FeedServer, tmp_path):
    body = tiny_archive(ENTRIES)
    assert 9_000_000 < len(body) < 10 * 1024 * 1024  # under the default size cap
    feed_server.serve("/archive", body)
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, feed_server.url("/archive"), str(tmp_path / "d.sqlite3")],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.splitlines()[-1])
    assert report["status"] == "ok", report
    assert report["added"] == report["stored"] == ENTRIES
    assert report["reads"] > 20
    assert report["read_p95"] < 1.0 and report["lag_p95"] < 1.0, report
    grown_mb = (report["rss_after_kb"] - report["rss_before_kb"]) / 1024
    assert grown_mb < 80, report
