"""The command line as an operator runs it: real subprocesses, real files, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.samples import SAMPLE_TXT, sample_rss

ROOT = Path(__file__).resolve().parents[1]


def diemtin(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True, text=True, timeout=120, cwd=cwd or ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def test_classify_json_on_the_sample_is_the_stable_interface():
    out = diemtin("classify", str(SAMPLE_TXT), "--json")
    assert out.returncode == 0, out.stderr
    items = json.loads(out.stdout)
    assert len(items) == 9
    assert [i["provinces"]["primary"] for i in items] == [
        ["Thái Nguyên"], ["Sóc Trăng"], ["Lâm Đồng"], ["TP Đà Nẵng"], ["Thanh Hóa"],
        ["Quảng Trị"], ["Lạng Sơn"], ["Bà Rịa – Vũng Tàu"], [],
    ]
    assert items[1]["current_units"] == ["TP Cần Thơ"]
    assert items[7]["current_units"] == ["TP Hồ Chí Minh"]
    assert items[8]["national"] is True and items[8]["topics"][0] == "an-toan-thong-tin"
    assert "Sơn La" in items[3]["provinces"]["mentioned"]
    for item in items:
        assert {"title", "body", "provinces", "current_units", "national", "topics", "period"} <= set(item)
        assert item["period"] == {"week": 19, "start": "2022-05-07", "end": "2022-05-13", "year": 2022}


@pytest.mark.parametrize("kind", ["rss", "html"])
def test_classify_reads_feeds_and_html(tmp_path, kind):
    if kind == "rss":
        path = tmp_path / "feed.xml"
        path.write_bytes(sample_rss())
    else:
        from tests.samples import digest_html

        path = tmp_path / "page.html"
        path.write_text(f"<html><body><h1>Điểm tin</h1>{digest_html()}</body></html>", encoding="utf-8")
    out = diemtin("classify", str(path), "--json")
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)) == 9


def test_classify_plain_listing_and_bad_input():
    out = diemtin("classify", str(SAMPLE_TXT))
    assert out.returncode == 0 and out.stdout.startswith("9 items")
    assert "Sóc Trăng (nay TP Cần Thơ)" in out.stdout
    missing = diemtin("classify", "/nonexistent/digest.txt")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "cannot read" in missing.stderr


def test_ingest_a_file_twice_adds_nothing_the_second_time(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[storage]\npath = "db/diemtin.sqlite3"\n', encoding="utf-8")
    first = diemtin("ingest", str(SAMPLE_TXT), "--config", str(config))
    assert first.returncode == 0, first.stderr
    assert "9 new" in first.stdout and "Cần Thơ" in first.stdout and "Toàn quốc" in first.stdout
    second = diemtin("ingest", str(SAMPLE_TXT), "--config", str(config))
    assert "0 new" in second.stdout
    assert (tmp_path / "db" / "diemtin.sqlite3").exists()


def test_ingest_a_feed_url(tmp_path, feed_server):
    feed_server.serve("/rss", sample_rss())
    config = tmp_path / "config.toml"
    config.write_text('[storage]\npath = "x.sqlite3"\n', encoding="utf-8")
    out = diemtin("ingest", feed_server.url("/rss"), "--config", str(config))
    assert out.returncode == 0, out.stderr
    assert "9 new" in out.stdout
    feed_server.fail("/down", 503)
    down = diemtin("ingest", feed_server.url("/down"), "--config", str(config))
    assert down.returncode == 1 and "503" in down.stderr and "Traceback" not in down.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "config file not found"),
        ("[storage\npath=1", "not valid TOML"),
        ("[telegram]\nadmins = 5\n", "[telegram].admins"),
        ('[schedule]\nweekly = "someday"\n', "[schedule].weekly"),
        ('[schedule]\ntimezone = "Mars/Olympus"\n', "[schedule].timezone"),
        ('[[feeds]]\nurl = "x.xml"\nprovince = "Atlantis"\n', "province"),
        ("[delivery]\nglobal_per_second = -1\n", "[delivery].global_per_second"),
        ('[topics]\ndisable = ["khong-co"]\n', "[topics]"),
        ("[polling]\ntagging_workers = -1\n", "[polling].tagging_workers: must be 0 or more"),
        ('[polling]\ntagging_workers = "two"\n', "[polling].tagging_workers: must be an int"),
    ],
)
def test_bad_config_is_one_line_and_exit_2(tmp_path, content, expected):
    config = tmp_path / "config.toml"
    if content is not None:
        config.write_text(content, encoding="utf-8")
    out = diemtin("weekly", "--config", str(config))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert expected in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_token_from_environment_never_printed(tmp_path):
    from bot.config import load_config

    config = tmp_path / "config.toml"
    config.write_text("[telegram]\nadmins = [1]\n", encoding="utf-8")
    os.environ["TELEGRAM_BOT_TOKEN"] = "123456789:AAsecretsecretsecretsecretsecret"
    try:
        loaded = load_config(config)
    finally:
        del os.environ["TELEGRAM_BOT_TOKEN"]
    assert loaded.telegram.token.startswith("123456789:")
    assert "secret" not in repr(loaded) and "secret" not in repr(loaded.telegram)


def test_config_topic_overrides_reach_the_tagger(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        '[storage]\npath = "t.sqlite3"\n[topics.nong-nghiep-so]\nvi = "Nông nghiệp số"\n'
        'en = "Digital agriculture"\nphrases = { "nông dân" = 3, "nông sản" = 3 }\n',
        encoding="utf-8",
    )
    out = diemtin("ingest", str(SAMPLE_TXT), "--config", str(config))
    assert out.returncode == 0, out.stderr
    assert "Nông nghiệp số" in out.stdout
