"""Ingestion throughput: feedparser alone vs. the whole pipeline on the same bytes.

    python bench/ingest.py [--entries 1000] [--repeat 3]

Builds a synthetic RSS feed of N digest entries from the real sample digest (bullets reshuffled,
the lead province swapped for another real one so every item is distinct), then times, in one run:
  1. feedparser.parse(bytes) alone;
  2. the pipeline: parse + split + classify + store into a fresh SQLite file (WAL).
Prints both and their ratio (target: pipeline within 2x of feedparser's parse time), by the wall
clock and in CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.feeds import parse_feed_bytes  # noqa: E402
from bot.gazetteer import default_gazetteer  # noqa: E402
from bot.ingest import tag_entries  # noqa: E402
from bot.topics import default_topics  # noqa: E402
from storage import items as item_store  # noqa: E402
from storage.db import Database  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "diem-tin-2022-tuan-19.txt"


def synthetic_feed(entries: int, seed: int = 19) -> bytes:
    """An RSS feed of `entries` digests made from the sample's real paragraphs."""
    rng = random.Random(seed)
    lines = [ln.strip() for ln in SAMPLE.read_text(encoding="utf-8").split("\n") if ln.strip()]
    head, bullets = lines[1:4], lines[4:]
    names = [u.name for u in default_gazetteer().current_units()]
    originals = ["Sóc Trăng", "Lâm Đồng", "Thanh Hóa", "Quảng Trị", "Lạng Sơn", "Bà Rịa - Vũng Tàu"]
    out = []
    for n in range(entries):
        chosen = rng.sample(bullets, k=len(bullets))
        body = []
        for b in chosen:
            for name in originals:
                if name in b[:40]:
                    b = b.replace(name, rng.choice(names))
            body.append(f"<p>{html.escape(b)} (số {n})</p>")
        week = n % 52 + 1
        content = "".join(f"<p>{html.escape(h)}</p>" for h in head) + "".join(body)
        content = content.replace("tuần 19", f"tuần {week}")
        out.append(
            f"<item><title>Điểm tin địa phương tuần {week} số {n}</title>"
            f"<link>https://mic.gov.vn/diem-tin/{n}.htm</link><guid>dt-{n}</guid>"
            f"<pubDate>Fri, 13 May 2022 09:00:00 +0700</pubDate>"
            f"<description>{html.escape(content)}</description></item>"
        )
    doc = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
           "<title>Điểm tin</title><link>https://mic.gov.vn</link><description>bench</description>"
           + "".join(out) + "</channel></rss>")
    return doc.encode("utf-8")


async def pipeline(data: bytes, db_path: Path) -> tuple[int, dict[str, float]]:
    gazetteer, topics = default_gazetteer(), default_topics()
    stages: dict[str, float] = {}
    cpu0 = time.process_time()  # every thread of the process: SQLite runs in aiosqlite's
    t0 = time.perf_counter()
    entries, _title, _warning = parse_feed_bytes(data)
    t1 = time.perf_counter()
    items, _periods = tag_entries(entries, feed_key="bench", gazetteer=gazetteer, topics=topics)
    t2 = time.perf_counter()
    db = await Database.open(db_path)
    current = {u.slug: gazetteer.current_of(u.slug).slug for u in gazetteer.units}
    added = await item_store.insert_items(db, items, feed_id=None, current_of=current.__getitem__)
    await db.close()
    t3 = time.perf_counter()
    stages.update(parse=t1 - t0, split_classify=t2 - t1, store=t3 - t2, total=t3 - t0,
                  cpu=time.process_time() - cpu0)
    return len(added), stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    default_gazetteer(), default_topics()  # load data files outside the timings
    data = synthetic_feed(args.entries)
    print(f"feed: {args.entries} entries, {len(data) / 1e6:.1f} MB")
    fp_times, fp_cpu, runs = [], [], []
    for r in range(args.repeat):
        cpu0, t0 = time.process_time(), time.perf_counter()
        parsed = feedparser.parse(data)
        fp_times.append(time.perf_counter() - t0)
        fp_cpu.append(time.process_time() - cpu0)
        with tempfile.TemporaryDirectory() as tmp:
            added, stages = asyncio.run(pipeline(data, Path(tmp) / f"bench{r}.sqlite3"))
        runs.append(stages)
    fp = statistics.median(fp_times)
    med = {k: statistics.median(s[k] for s in runs) for k in runs[0]}
    print(f"feedparser.parse alone          {fp:8.3f} s  ({len(parsed.entries)} entries)")
    print(f"pipeline total                  {med['total']:8.3f} s  ({added} items stored)")
    print(f"  parse (feedparser + entries)  {med['parse']:8.3f} s")
    print(f"  split + classify              {med['split_classify']:8.3f} s"
          f"  ({med['split_classify'] / max(added, 1) * 1e6:.0f} µs/item)")
    print(f"  store (SQLite, 1 transaction) {med['store']:8.3f} s")
    print(f"ratio pipeline / feedparser     {med['total'] / fp:8.2f}x  (target ≤ 2x)")
    # The same comparison in CPU seconds, steadier than the wall clock on a busy machine.
    cpu = statistics.median(fp_cpu)
    print(f"ratio in CPU time               {med['cpu'] / cpu:8.2f}x  "
          f"({med['cpu']:.3f} s / {cpu:.3f} s)")
    # Each repeat measures feedparser and the pipeline back to back; the median of those paired
    # ratios is the figure least moved by a neighbour's load drifting during the run.
    paired = sorted(s["cpu"] / c for s, c in zip(runs, fp_cpu, strict=True))
    print(f"paired CPU ratios (median)      {statistics.median(paired):8.2f}x  "
          f"(each repeat: {', '.join(f'{r:.2f}' for r in paired)})")


if __name__ == "__main__":
    main()
