"""The command line as an operator runs it: real subprocesses, real files, exit codes."""

from __future__ import annotations

import json
import os
import pty
import subprocess

import pytest

from tests.command import diemtin, diemtin_command
from tests.samples import SAMPLE_TXT, rss, sample_rss


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


def test_token_from_environment_never_printed(tmp_path):
    from bot.config import load_config

    config = tmp_path / "config.toml"
    config.write_text("[telegram]\nadmins = [1]\n", encoding="utf-8")
    loaded = load_config(config, env={"TELEGRAM_BOT_TOKEN": "123456789:AAsecretsecretsecretsecretsecret"})
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


# ----------------------------------------------------------------------------- ingest, as an operator meets it


def test_ingest_without_a_config_says_where_and_leaves_the_folder_alone(tmp_path):
    out = diemtin("ingest", str(SAMPLE_TXT), cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr == ("diemtin: ingest: where should the items go? give --db PATH or --config PATH "
                          "(there is no ./config.toml here)\n")
    assert list(tmp_path.iterdir()) == []
    out = diemtin("ingest", str(SAMPLE_TXT), "--db", "items.sqlite3", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("1 entry, 9 items, 9 new → items.sqlite3\n")
    assert not (tmp_path / "data").exists() and (tmp_path / "items.sqlite3").is_file()


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("nothere.txt", "nothere.txt: file not found"),
        ("ftp://example.org/feed.xml",
         "ftp://example.org/feed.xml: unsupported URL scheme ftp:// (use http, https, file or a local path)"),
    ],
)
def test_an_unreadable_source_is_named_once_and_creates_no_database(tmp_path, source, line):
    out = diemtin("ingest", source, "--db", "db/items.sqlite3", cwd=tmp_path)
    assert (out.returncode, out.stderr, out.stdout) == (1, f"diemtin: {line}\n", "")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_fetch_creates_no_database(tmp_path, feed_server):
    feed_server.fail("/down", 503)
    out = diemtin("ingest", feed_server.url("/down"), "--db", "items.sqlite3", cwd=tmp_path)
    assert out.returncode == 1 and "503" in out.stderr and len(out.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_counts_agree_with_their_nouns(tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("Sở Thông tin và Truyền thông tỉnh Lâm Đồng khai trương trung tâm dữ liệu.\n",
                    encoding="utf-8")
    out = diemtin("ingest", str(note), "--db", "items.sqlite3", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("1 entry, 1 item, 1 new → items.sqlite3\n")
    assert diemtin("classify", str(note)).stdout.startswith("1 item\n")


def test_weekly_claims_nothing_when_nothing_was_queued(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[storage]\npath = "d.sqlite3"\n', encoding="utf-8")
    due = diemtin("weekly", "--config", str(config))
    assert (due.returncode, due.stdout) == (0, "no summary queued: none is due yet "
                                               "(--now queues one for every active chat)\n")
    forced = diemtin("weekly", "--now", "--config", str(config))
    assert (forced.returncode, forced.stdout) == (0, "no summary queued\n")


def _many_entries(tmp_path, n: int):
    path = tmp_path / "many.xml"
    path.write_bytes(rss([{"guid": f"tin-{i}", "title": f"Tin số {i}", "link": f"https://example.org/{i}",
                           "html": f"<p>Tỉnh Lâm Đồng ra mắt ứng dụng số {i}.</p>"} for i in range(n)]))
    return path


def test_a_large_ingest_shows_progress_on_a_terminal_only(tmp_path):
    feed = _many_entries(tmp_path, 320)
    piped = diemtin("ingest", str(feed), "--db", "piped.sqlite3", cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr
    assert "tagging" not in piped.stdout + piped.stderr
    assert piped.stdout.startswith("320 entries, 320 items, 320 new")

    main, child = pty.openpty()
    proc = subprocess.Popen([diemtin_command(), "ingest", str(feed), "--db", "tty.sqlite3"],
                            stdout=child, stderr=subprocess.PIPE, cwd=tmp_path)
    os.close(child)
    screen = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    os.close(main)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    proc.stderr.close()
    text = screen.decode("utf-8", "replace")
    assert "tagging 320 entries" in text and "320 entries, 320 items, 320 new" in text
