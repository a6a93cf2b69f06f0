"""`diemtin run` with a Zalo token, as an operator starts it: a real process against the fake Zalo
Bot API (and the fake Telegram one) and a feed on 127.0.0.1.

A Zalo user subscribes by typing, a digest appears in the feed and reaches them as plain text
through Zalo's 403s, `diemtin weekly --now` from another process reaches them too, SIGTERM stops
the bot cleanly and the token never shows. With both tokens one process serves both messengers:
a Telegram chat and a Zalo chat subscribed to the same province get the same item.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from tests.command import ROOT, SECRET_VARS, diemtin_command
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo
from tests.samples import rss, sample_rss
from tests.test_run_e2e import _stop  # SIGTERM, then the exit code
from tests.zalo_harness import TOKEN, ZALO_ADMIN, assert_plain

TELEGRAM_TOKEN = "123456789:AAFakeTokenForTestsOnlyDoNotLogThis"
OFFICIAL = "zalo-user-7f3a"
LAM_DONG_ITEM = "Lâm Đồng: Hỗ trợ nông dân chuyển đổi số"


def _config(tmp_path: Path, zalo: FakeZalo, feed_url: str, telegram: FakeTelegram | None = None) -> Path:
    telegram_table = f'[telegram]\nbase_url = "{telegram.base_url}"\npoll_timeout = 1\n' if telegram else ""
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[storage]
path = "diemtin.sqlite3"

[[feeds]]
url = "{feed_url}"
interval_seconds = 1

[zalo]
base_url = "{zalo.base_url}"
admins = ["{ZALO_ADMIN}"]
poll_timeout = 1

{telegram_table}
[schedule]
timezone = "Asia/Ho_Chi_Minh"
weekly = "mon 08:00"

[delivery]
poll_interval_seconds = 0.5
backoff_base_seconds = 0.2
""",
        encoding="utf-8",
    )
    return path


def _env(**tokens: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in SECRET_VARS}
    return {**clean, "PYTHONPATH": str(ROOT), **tokens}


def _run(config: Path, env: dict, log_path: Path) -> subprocess.Popen:
    with log_path.open("w") as log:
        return subprocess.Popen([diemtin_command(), "run", "--config", str(config)], stdout=log,
                                stderr=subprocess.STDOUT, env=env, cwd=config.parent)


def _say(zalo: FakeZalo, chat: str, text: str) -> str:
    """A Zalo user writes; the bot's answer."""
    before = len(zalo.sent(chat))
    zalo.push(chat, text=text)
    return "\n".join(zalo.wait_sent_blocking(chat, before + 1)[before:])


def test_zalo_alone_subscribe_digest_weekly_and_stop(tmp_path, feed_server):
    feed_server.serve("/rss", rss([]))
    with FakeZalo(token=TOKEN) as zalo:
        config = _config(tmp_path, zalo, feed_server.url("/rss"))
        log_path = tmp_path / "run.log"
        proc = _run(config, _env(ZALO_BOT_TOKEN=TOKEN), log_path)
        try:
            assert "Lâm Đồng" in _say(zalo, OFFICIAL, "tinh lam dong")
            zalo.fail(403, times=2)  # Zalo's server error on the push: retried
            feed_server.serve("/rss", sample_rss())
            push = zalo.wait_sent_blocking(OFFICIAL, 2)[1]
            assert LAM_DONG_ITEM in push
            for other in ("Sóc Trăng", "Thanh Hóa", "Bà Rịa"):
                assert other not in push

            weekly = subprocess.run([diemtin_command(), "weekly", "--config", str(config), "--now", "--chat", OFFICIAL],
                                    capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=60)
            assert weekly.returncode == 0, weekly.stderr
            summary = zalo.wait_sent_blocking(OFFICIAL, 3)[2]
            assert "tuần 19" in summary and "Lâm Đồng" in summary
        finally:
            code = _stop(proc)
        sent = zalo.sent(OFFICIAL)
    output = log_path.read_text()
    assert code == 0, output
    assert "zalo: polling as" in output and "Traceback" not in output
    assert TOKEN.split(":")[1] not in output
    assert len(sent) == 3  # the reply, the push, the summary: each once
    for text in sent:
        assert_plain(text)
    with sqlite3.connect(tmp_path / "diemtin.sqlite3") as db:
        assert db.execute("SELECT active FROM chats WHERE messenger = 'zalo'").fetchall() == [(1,)]


def test_both_tokens_one_process_the_same_item_on_telegram_and_zalo(tmp_path, feed_server, fake_telegram):
    feed_server.serve("/rss", rss([]))
    with FakeZalo(token=TOKEN) as zalo:
        config = _config(tmp_path, zalo, feed_server.url("/rss"), telegram=fake_telegram)
        log_path = tmp_path / "run.log"
        proc = _run(config, _env(ZALO_BOT_TOKEN=TOKEN, TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN), log_path)
        try:
            fake_telegram.push_message(555001, "/tinh lam dong", user_id=555001, language_code="vi")
            assert "Lâm Đồng" in _say(zalo, OFFICIAL, "tinh lam dong")
            fake_telegram.wait_for_blocking(lambda: fake_telegram.sent(555001), timeout=30)
            feed_server.serve("/rss", sample_rss())
            fake_telegram.wait_for_blocking(lambda: len(fake_telegram.sent(555001)) >= 2, timeout=30)
            zalo_push = zalo.wait_sent_blocking(OFFICIAL, 2)[1]
            stats = _say(zalo, ZALO_ADMIN, "thongke")
        finally:
            code = _stop(proc)
    output = log_path.read_text()
    assert code == 0, output
    assert "diemtin running: telegram, zalo" in output
    telegram_push = fake_telegram.sent(555001)[1]
    assert LAM_DONG_ITEM in telegram_push and LAM_DONG_ITEM in zalo_push
    assert "telegram" in stats and "zalo" in stats
    assert "AAFakeToken" not in output and TOKEN.split(":")[1] not in output


def test_a_refused_or_unreachable_zalo_api_is_one_line_and_exit_2(tmp_path, feed_server):
    feed_server.serve("/rss", rss([]))
    with FakeZalo(token="1459232241454765289:TheOnlyTokenThisServerTakes_012345") as strict:
        config = _config(tmp_path, strict, feed_server.url("/rss"))
        wrong = subprocess.run([diemtin_command(), "run", "--config", str(config)], capture_output=True,
                               text=True, env=_env(ZALO_BOT_TOKEN=TOKEN), cwd=tmp_path, timeout=60)
        base_url = strict.base_url
    assert wrong.returncode == 2
    assert wrong.stderr.strip().splitlines()[-1] == "diemtin: [zalo]: the Bot API rejected the token (ZALO_BOT_TOKEN)"
    config.write_text(config.read_text().replace(base_url, "http://127.0.0.1:9/bot"), encoding="utf-8")
    down = subprocess.run([diemtin_command(), "run", "--config", str(config)], capture_output=True,
                          text=True, env=_env(ZALO_BOT_TOKEN=TOKEN), cwd=tmp_path, timeout=60)
    assert down.returncode == 2
    assert down.stderr.strip().splitlines()[-1].startswith("diemtin: [zalo]: cannot reach the Bot API at http://127.0.0.1:9/bot")
    for run in (wrong, down):
        assert "Traceback" not in run.stderr
        assert TOKEN.split(":")[1] not in run.stderr + run.stdout


def test_the_demo_shows_what_a_zalo_chat_receives():
    from tests.command import diemtin

    demo = diemtin("demo", timeout=120)
    assert demo.returncode == 0, demo.stderr
    zalo_part = demo.stdout.split("(zalo)\n", 1)[1].split("\nXong.", 1)[0]
    assert LAM_DONG_ITEM in zalo_part
    assert "Xem chi tiết: https://mic.gov.vn/" in zalo_part  # the link written out, no markup
    assert "🗞 Điểm tin tuần 19" in zalo_part
    assert "<a href" not in zalo_part and "&amp;" not in zalo_part
