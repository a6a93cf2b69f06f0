"""Splitting and tagging alone (what a tagging worker does with a part), for steady comparisons.

    python bench/tagging.py [--entries 1000] [--repeat 5]

Tags the synthetic feed of ``bench/ingest.py`` into storage's rows, in this process, ``repeat``
times after one warm-up run, and prints each run's CPU time. Timings on a shared machine drift by
tens of percent; instruction counts do not. Under valgrind, the difference between two repeat
counts is the instructions of the runs in between, the same on every machine and every run:

    valgrind --tool=cachegrind --cache-sim=no python bench/tagging.py --entries 100 --repeat 3
    valgrind --tool=cachegrind --cache-sim=no python bench/tagging.py --entries 100 --repeat 1

("I refs" of the first minus the second, halved: one run over 100 digests). Set PYTHONHASHSEED=0
for the same figure twice.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest import synthetic_feed  # noqa: E402  (bench/ingest.py, beside this file)

from bot.intake.feeds import parse_feed_bytes  # noqa: E402
from bot.intake.tagging import tag_rows  # noqa: E402
from bot.vietnamese.gazetteer import default_gazetteer  # noqa: E402
from bot.vietnamese.topics import default_topics  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    gazetteer, topics = default_gazetteer(), default_topics()
    entries, _title, _warning = parse_feed_bytes(synthetic_feed(args.entries))
    tag_rows(entries, gazetteer=gazetteer, topics=topics)  # warm-up: name and token caches fill
    for n in range(args.repeat):
        cpu0 = time.process_time()
        rows, _periods = tag_rows(entries, gazetteer=gazetteer, topics=topics)
        cpu = time.process_time() - cpu0
        print(f"run {n + 1}: {cpu:.3f} s CPU, {len(rows.ids)} items"
              f" ({cpu / max(len(rows.ids), 1) * 1e6:.0f} µs/item)")


if __name__ == "__main__":
    main()
