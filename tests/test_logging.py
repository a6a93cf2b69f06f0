"""Log lines: one per event, key=value or JSON, with no token, no secret and no traceback.

The whole-run test starts `diemtin run` as an operator does (webhook mode, [server].listen)
against the fake Bot API, scripted to answer a 429, a 403 and a proxy's HTML 502, with one feed
that fails; then reads everything the process wrote.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bot.logsetup import LineFormatter, Scrubber, event
from tests.fakes.telegram import FakeTelegram
from tests.ops_support import SECRET, TOKEN, free_port, private_message
from tests.samples import rss, sample_rss

ROOT = Path(__file__).resolve().parents[1]


def _record(msg: str, *args, exc: BaseException | None = None, **fields) -> logging.LogRecord:
    record = logging.LogRecord("bot.test", logging.WARNING, __file__, 1, msg, args,
                               (type(exc), exc, exc.__traceback__) if exc else None)
    if fields:
        record.diemtin_fields = fields
    return record


def test_text_lines_are_key_value_and_json_lines_are_objects():
    text, js = LineFormatter("text"), LineFormatter("json")
    record = _record("feed polled", feed="https://a.example/rss", status="error", items_added=0,
                     error='HTTP 502 "Bad Gateway"')
    line = text.format(record)
    assert line.startswith("ts=") and " level=WARNING logger=bot.test " in line
    assert 'msg="feed polled" feed=https://a.example/rss status=error items_added=0' in line
    assert 'error="HTTP 502 \\"Bad Gateway\\""' in line
    data = json.loads(js.format(record))
    assert data["msg"] == "feed polled" and data["items_added"] == 0 and data["level"] == "WARNING"


def test_an_exception_is_one_line_and_a_traceback_only_at_debug():
    try:
        raise ValueError("bad\nthing")
    except ValueError as exc:
        record = _record("it failed: %s", "x", exc=exc)
    line = LineFormatter("text").format(record)
    assert "\n" not in line and 'error="ValueError: bad\\nthing"' in line and "Traceback" not in line
    debug = LineFormatter("text", tracebacks=True).format(record)
    assert "\n" not in debug and "Traceback" in debug


def test_secrets_are_scrubbed_as_written_encoded_and_by_shape():
    scrub = Scrubber(["s3cret-value_123", TOKEN])
    seen = scrub(f"POST https://api.telegram.org/bot{TOKEN}/getMe token={TOKEN.replace(':', '%3A')} "
                 "X-Secret: s3cret-value_123 other 987654321:AAanotherTokenShapedThing12345")
    assert TOKEN not in seen and "AAFake" not in seen and "s3cret" not in seen
    assert "AAanother" not in seen and seen.count("***") == 4


def test_event_fields_reach_the_line(caplog):
    with caplog.at_level(logging.INFO, logger="bot.test.event"):
        event(logging.getLogger("bot.test.event"), logging.INFO, "retention", items_pruned=3)
    assert "items_pruned=3" in LineFormatter("text").format(caplog.records[-1])


def _config(tmp_path: Path, fake: FakeTelegram, good: str, bad: str, port: int, server_port: int) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"""
[storage]
path = "diemtin.sqlite3"

[[feeds]]
url = "{good}"
interval_seconds = 1

[[feeds]]
url = "{bad}"
interval_seconds = 1

[telegram]
base_url = "{fake.base_url}"
admins = [42]
mode = "webhook"
webhook_url = "https://127.0.0.1/tg/{SECRET[:6]}"
webhook_listen = "127.0.0.1:{port}"

[server]
listen = "127.0.0.1:{server_port}"

[delivery]
poll_interval_seconds = 0.2
backoff_base_seconds = 0.1
backoff_max_seconds = 0.5

[logging]
format = "text"
""", encoding="utf-8")
    return path


async def test_a_whole_run_with_429_403_502_and_a_failing_feed_logs_no_secret_and_no_traceback(tmp_path, feed_server):
    feed_server.serve("/rss", rss([]))
    feed_server.serve("/broken", "<html>500</html>", content_type="text/html")
    port, server_port = free_port(), free_port()
    async with FakeTelegram(token=TOKEN) as fake:
        config = _config(tmp_path, fake, feed_server.url("/rss"), feed_server.url("/missing.rss"), port, server_port)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": TOKEN,
               "TELEGRAM_WEBHOOK_SECRET": SECRET}
        log_path = tmp_path / "run.log"
        with log_path.open("w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--config", str(config)],
                                    stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
        try:
            await fake.wait_for(lambda: fake.requests("setWebhook"), timeout=30)
            hook = f"http://127.0.0.1:{port}/tg/{SECRET[:6]}"
            assert (await fake.post_update(private_message(601, "/start"), url=hook, secret_token="guess")).status == 403
            for chat in (601, 602):
                for text in ("/start", "/tinh lam dong"):
                    answer = await fake.post_update(private_message(chat, text), url=hook, secret_token=SECRET)
                    assert answer.status == 200
                await fake.wait_sent(chat, count=2, timeout=20)
            fake.fail("flood", retry_after=1, chat_id=601)  # the push to 601 meets a 429,
            fake.fail("bad_gateway", chat_id=601)           # then a proxy's HTML 502, then goes
            fake.block(602)                                 # 602 blocked the bot: 403
            feed_server.serve("/rss", sample_rss())
            await fake.wait_sent(601, count=3, timeout=30)
            await _logged(log_path, 'msg="delivery batch"')  # once the burst is over
            await _logged(log_path, "status=error")
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=30)
        output = log_path.read_text()
    assert code == 0, output
    assert [c.status for c in fake.requests("sendMessage", chat_id=601)].count(429) == 1
    assert 502 in [c.status for c in fake.requests("sendMessage", chat_id=601)]
    assert 403 in [c.status for c in fake.requests("sendMessage", chat_id=602)]
    with sqlite3.connect(tmp_path / "diemtin.sqlite3") as db:
        assert db.execute("SELECT active FROM chats WHERE chat_id = '602'").fetchone()[0] == 0
    for secret in (TOKEN, TOKEN.split(":")[1], SECRET, SECRET[:12]):
        assert secret not in output
    assert "Traceback" not in output
    lines = output.splitlines()
    assert lines and all(line.startswith("ts=") for line in lines), [x for x in lines if not x.startswith("ts=")][:3]
    polled = [line for line in lines if 'msg="feed polled"' in line]
    assert any("status=ok" in line and "items_added=" in line and "duration_s=" in line for line in polled)
    assert any("status=error" in line and "/missing.rss" in line for line in polled)
    batch = next(line for line in lines if 'msg="delivery batch"' in line)
    for key in ("sent=", "retried=", "dead=", "rate_limited=", "rate_per_s="):
        assert key in batch
    assert any("webhook refused" in line for line in lines)


async def _logged(path: Path, text: str, timeout: float = 30) -> None:
    """Wait until the log has a line with ``text`` (the reporter writes after a quiet tick)."""
    deadline = time.monotonic() + timeout
    while text not in path.read_text():
        assert time.monotonic() < deadline, f"no {text!r} in the log within {timeout:g} s"
        await asyncio.sleep(0.1)
