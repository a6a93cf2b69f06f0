"""Compressed bodies against the size cap: the cap holds on the decoded bytes, step by step, so
a small body that inflates to hundreds of megabytes costs no more memory than the cap.

Peak memory is measured in a child process fetching from a FeedServer on 127.0.0.1 run by the
test: Linux's peak-RSS mark (VmHWM) is reset just before the fetch and read just after it.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest

from bot.intake.feeds import fetch_feed
from tests.feedserver import FeedServer
from tests.feedserver import feed_server as feed_server_fixture  # noqa: F401 - registers it
from tests.samples import sample_rss

ROOT = Path(__file__).resolve().parents[1]
CAP = 2 * 1024 * 1024
INFLATED = 128 * 1024 * 1024  # what the bombs below decode to
SLACK = 6 * 1024 * 1024  # peak memory allowed above the cap
needs_proc = pytest.mark.skipif(not os.access("/proc/self/clear_refs", os.W_OK), reason="Linux /proc")


def _gzip_of_zeros(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    parts = [packer.compress(block) for _ in range(size // len(block))]
    return b"".join(parts) + packer.flush()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _gzip_of_zeros(INFLATED)


_CHILD = textwrap.dedent(
    """
    import asyncio, json, sys
    from bot.intake.feeds import fetch_feed

    def kb(field):
        with open("/proc/self/status") as status:
            return int(next(line for line in status if line.startswith(field)).split()[1])

    async def main(warm_url, bomb_url, cap):
        warm = await fetch_feed(warm_url, max_bytes=cap)
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # the peak mark starts again from the current RSS
        before = kb("VmRSS:")
        result = await fetch_feed(bomb_url, max_bytes=cap)
        print(json.dumps({"warm": warm.status, "status": result.status, "error": result.error,
                          "bytes_read": result.bytes_read, "peak_kb": kb("VmHWM:") - before}))

    asyncio.run(main(*sys.argv[1:3], int(sys.argv[3])))
    """
)


def _peak_fetch(server: FeedServer, path: str) -> dict:
    """Fetch path with the cap in a fresh process; its result and how far its peak RSS rose."""
    server.serve("/warm", gzip.compress(sample_rss()), headers={"Content-Encoding": "gzip"})
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, server.url("/warm"), server.url(path), str(CAP)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["warm"] == "ok"
    return report


@needs_proc
def test_a_gzip_bomb_costs_no_more_than_the_cap(feed_server: FeedServer, bomb: bytes) -> None:
    feed_server.serve("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    report = _peak_fetch(feed_server, "/bomb")
    assert report["status"] == "error" and report["error"] == "body over 2 MB cap"
    assert report["peak_kb"] * 1024 < CAP + SLACK, report


@needs_proc
def test_stacked_gzip_costs_no_more_than_the_cap(feed_server: FeedServer, bomb: bytes) -> None:
    twice = gzip.compress(bomb, 9)
    assert len(twice) < 4096  # a few KB on the wire
    feed_server.serve("/bomb2", twice, headers={"Content-Encoding": "gzip, gzip"})
    report = _peak_fetch(feed_server, "/bomb2")
    assert report["status"] == "error" and report["error"] == "body over 2 MB cap"
    assert report["peak_kb"] * 1024 < CAP + SLACK, report


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b, wbits=-zlib.MAX_WBITS)),  # raw, as some servers send
        ("gzip, gzip", lambda b: gzip.compress(gzip.compress(b))),
        ("deflate, identity, gzip", lambda b: gzip.compress(zlib.compress(b))),
        ("GZIP", lambda b: gzip.compress(b[:100]) + gzip.compress(b[100:])),  # two gzip members
    ],
)
async def test_encoded_feeds_decode(feed_server: FeedServer, coding, encode) -> None:
    body = sample_rss()
    feed_server.serve("/rss", encode(body), headers={"Content-Encoding": coding})
    result = await fetch_feed(feed_server.url("/rss"))
    assert result.status == "ok", result.error
    assert result.bytes_read == len(body)
    assert "Điểm tin địa phương" in result.entries[0].title


async def test_encoded_body_over_cap_by_a_byte(feed_server: FeedServer) -> None:
    body = sample_rss()
    feed_server.serve("/rss", gzip.compress(body), headers={"Content-Encoding": "gzip"})
    exact = await fetch_feed(feed_server.url("/rss"), max_bytes=len(body))
    over = await fetch_feed(feed_server.url("/rss"), max_bytes=len(body) - 1)
    assert exact.status == "ok"
    assert over.status == "error" and over.error == f"body over {len(body) - 1} bytes cap"


@pytest.mark.parametrize(
    ("coding", "body", "error"),
    [
        ("br", b"\x1b\x00", "unsupported content coding 'br'"),
        ("gzip", b"not gzip at all", "body is not valid gzip"),
        ("gzip, gzip, gzip, gzip", gzip.compress(b"x", mtime=0), "more than 3 content codings"),
    ],
)
async def test_bad_codings_are_one_clear_error(feed_server: FeedServer, coding, body, error) -> None:
    feed_server.serve("/rss", body, headers={"Content-Encoding": coding})
    result = await fetch_feed(feed_server.url("/rss"))
    assert result.status == "error" and result.error == error
    assert result.http_status == 200


async def test_the_bot_asks_only_for_codings_it_decodes(feed_server: FeedServer) -> None:
    feed_server.serve("/rss", sample_rss())
    await fetch_feed(feed_server.url("/rss"))
    assert feed_server.requests_to("/rss")[0].headers["Accept-Encoding"] == "gzip, deflate"
