"""`diemtin run` as an operator starts it: a real process, a fake Bot API and a feed on 127.0.0.1.

An official subscribes by chat, a digest appears in the feed, and the official receives the
Lâm Đồng bullet and nothing else; `diemtin weekly --now` from another process reaches the chat
through the running bot; SIGTERM stops it cleanly; the token never shows in its output.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.samples import archive_rss, rss, sample_rss

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456789:AAFakeTokenForTestsOnlyDoNotLogThis"
OFFICIAL = 555001


def _config(tmp_path: Path, fake, feed_url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[storage]
path = "diemtin.sqlite3"

[[feeds]]
url = "{feed_url}"
interval_seconds = 1

[telegram]
base_url = "{fake.base_url}"
admins = [42]
poll_timeout = 1

[schedule]
timezone = "Asia/Ho_Chi_Minh"
weekly = "mon 08:00"

[delivery]
poll_interval_seconds = 0.5
""",
        encoding="utf-8",
    )
    return path


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": TOKEN}


def _start(config: Path, log_path: Path) -> subprocess.Popen:
    with log_path.open("w") as log:  # the child writes to its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--config", str(config)],
            stdout=log, stderr=subprocess.STDOUT, env=_env(), cwd=config.parent,
        )


def _subscribe(fake, command: str) -> str:
    """The official sends ``command``; return the bot's reply."""
    fake.push_message(OFFICIAL, command, user_id=OFFICIAL, language_code="vi")
    fake.wait_for_blocking(lambda: fake.sent(OFFICIAL), timeout=30)
    return fake.sent(OFFICIAL)[0]


def _stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("diemtin run did not stop within 30 s of SIGTERM")
    return proc.returncode


def test_subscribe_then_a_digest_arrives_then_weekly_then_stop(tmp_path, fake_telegram, feed_server):
    fake = fake_telegram
    empty = rss([])
    feed_server.serve("/rss", empty)
    config = _config(tmp_path, fake, feed_server.url("/rss"))
    log_path = tmp_path / "run.log"
    proc = _start(config, log_path)
    try:
        assert "Lâm Đồng" in _subscribe(fake, "/tinh lam dong")

        feed_server.serve("/rss", sample_rss())
        fake.wait_for_blocking(lambda: len(fake.sent(OFFICIAL)) >= 2, timeout=30)
        push = fake.sent(OFFICIAL)[1]
        assert "Lâm Đồng: Hỗ trợ nông dân chuyển đổi số" in push
        for other in ("Sóc Trăng", "Thanh Hóa", "Bà Rịa", "an toàn thông tin"):
            assert other not in push

        weekly = subprocess.run(
            [sys.executable, "-m", "bot.cli", "weekly", "--config", str(config), "--now"],
            capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=60,
        )
        assert weekly.returncode == 0, weekly.stderr
        fake.wait_for_blocking(lambda: len(fake.sent(OFFICIAL)) >= 3, timeout=30)
        summary = fake.sent(OFFICIAL)[2]
        assert "tuần 19" in summary and "Lâm Đồng" in summary
    finally:
        code = _stop(proc)
    output = log_path.read_text()
    assert code == 0, output
    assert "AAFakeToken" not in output
    assert "Traceback" not in output
    # Exactly once each: the reply, the push, the summary.
    assert len(fake.sent(OFFICIAL)) == 3


def test_run_without_a_token_says_so(tmp_path, fake_telegram, feed_server):
    feed_server.serve("/rss", rss([]))
    config = _config(tmp_path, fake_telegram, feed_server.url("/rss"))
    env = {k: v for k, v in _env().items() if k != "TELEGRAM_BOT_TOKEN"}
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--config", str(config)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )
    assert out.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in out.stderr and "Traceback" not in out.stderr


def test_unreachable_bot_api_or_wrong_token_is_one_line_and_an_exit(tmp_path, feed_server):
    from tests.fakes.telegram import FakeTelegram

    feed_server.serve("/rss", rss([]))
    strict = FakeTelegram(token="987654321:AAtheOnlyTokenThisServerAcceptsXX").start()
    try:
        config = _config(tmp_path, strict, feed_server.url("/rss"))
        wrong = subprocess.run(
            [sys.executable, "-m", "bot.cli", "run", "--config", str(config)],
            capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=60,
        )
    finally:
        strict.stop()
    assert wrong.returncode == 2 and "rejected the token" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    assert "AAFakeToken" not in wrong.stderr + wrong.stdout

    text = config.read_text().replace(strict.base_url, "http://127.0.0.1:9/bot")
    config.write_text(text, encoding="utf-8")
    down = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--config", str(config)],
        capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=60,
    )
    assert down.returncode == 2 and "cannot reach the Bot API" in down.stderr
    assert "Traceback" not in down.stderr and down.stderr.strip().splitlines()[-1].startswith("diemtin: [telegram]")
    assert "AAFakeToken" not in down.stderr + down.stdout


def test_a_large_archive_is_tagged_by_workers_and_sigterm_leaves_nothing_behind(tmp_path, fake_telegram, feed_server):
    """A portal's archive on first poll goes to the tagging workers; the official subscribed to
    a province gets its items; SIGTERM stops the bot and its workers, and what was stored is whole."""
    entries = 120
    feed_server.serve("/archive", rss([]))
    config = _config(tmp_path, fake_telegram, feed_server.url("/archive"))
    log_path = tmp_path / "run.log"
    proc = _start(config, log_path)
    try:
        assert "Cà Mau" in _subscribe(fake_telegram, "/tinh ca mau")
        feed_server.serve("/archive", archive_rss(entries))
        fake_telegram.wait_for_blocking(lambda: len(fake_telegram.sent(OFFICIAL)) >= 2, timeout=60)
        pushes = "\n".join(fake_telegram.sent(OFFICIAL)[1:])
        assert "Cà Mau:" in pushes and "Tin mới" in pushes
        workers = _children(proc.pid)
        assert len(workers) >= 2  # the tagging pool (and multiprocessing's resource tracker)
    finally:
        code = _stop(proc)
    assert code == 0, log_path.read_text()
    # Children notice their parent is gone a moment after it exits.
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if _alive(pid)], "processes outlived diemtin run"
    with sqlite3.connect(tmp_path / "diemtin.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 9 * entries


def test_sigkill_during_a_large_first_poll_leaves_no_process_behind(tmp_path, fake_telegram, feed_server):
    """kill -9 while the tagging workers are at a portal's archive: within 5 s no process of the
    bot is left (workers, multiprocessing's resource tracker), and what was stored is whole."""
    feed_server.serve("/archive", archive_rss(400))
    config = _config(tmp_path, fake_telegram, feed_server.url("/archive"))
    proc = _start(config, tmp_path / "run.log")
    try:
        deadline = time.monotonic() + 60
        while len(_children(proc.pid)) < 3 and time.monotonic() < deadline:  # 2 workers, 1 tracker
            time.sleep(0.02)
        children = _children(proc.pid)
        assert len(children) >= 3, (tmp_path / "run.log").read_text()
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in children if _alive(pid)]
    for pid in left:  # do not leave them to the next test
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert not left, "processes outlived a SIGKILL of diemtin run by 5 s"
    with sqlite3.connect(tmp_path / "diemtin.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM items").fetchone()[0] in (0, 9 * 400)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
