"""Broken configs and unusable databases, as an operator meets them: one line each, exit 2."""

from __future__ import annotations

import pytest

from tests.command import diemtin
from tests.samples import SAMPLE_TXT

TOKEN = "123456789:AAsecretsecretsecretsecretsecret"

BROKEN = [
    ('[schedul]\nweekly = "mon 08:00"\n', "[schedul]: unknown section — did you mean [schedule]?"),
    ("[polling]\ntagging_worker = 4\n",
     "[polling].tagging_worker: unknown key — did you mean tagging_workers?"),
    ('[logging]\nlevel = "LOUD"\n',
     '[logging].level: must be "DEBUG", "INFO", "WARNING", "ERROR" or "CRITICAL", got "LOUD"'),
    ("[telegram]\nadmin = [1]\n", "[telegram].admin: unknown key — did you mean admins?"),
    ("[polling]\nmax_redirects = -3\n", "[polling].max_redirects: must be 0 or more, got -3"),
    ("[telegram.limits]\nprivate_burst = 2.9\n",
     "[telegram.limits].private_burst: must be a whole number, got 2.9"),
    ("[delivry]\nconcurrency = 4\n", "[delivry]: unknown section — did you mean [delivery]?"),
    ("[delivery]\nglobal_per_second = 30\n",
     "[delivery].global_per_second: unknown key here; it belongs in [telegram.limits] or [zalo.limits]"),
    ('[telegram]\nadmins = ["ops"]\n',
     "[telegram].admins: must be a list of Telegram user ids (whole numbers), not 'ops'"),
    ('[[feeds]]\nurl = "ftp://example.org/feed.xml"\n',
     "[[feeds]] #1.url: unsupported URL scheme ftp:// (use http, https, file or a local path)"),
    ('[[feeds]]\nurl = "feed.xml"\nprovince = "Atlantis"\n', "[[feeds]] #1.province: unknown province 'Atlantis'"),
    ('[telegram]\nmode = "webhook"\nwebhook_url = "http://bot.example.org/hook"\n',
     "[telegram].webhook_url: must be an https URL, got 'http://bot.example.org/hook' "
     '(mode = "webhook" needs a public HTTPS URL)'),
    ('[zalo]\nmode = "hook"\n', '[zalo].mode: must be "polling" or "webhook", got "hook"'),
    ('[schedule]\ntimezone = "Mars/Olympus"\n',
     "[schedule].timezone: unknown time zone 'Mars/Olympus'; use e.g. \"Asia/Ho_Chi_Minh\""),
    ('[schedule]\nweekly = "someday"\n',
     "[schedule].weekly: cannot read 'someday'; use e.g. \"mon 08:00\" or \"thứ 2 8h\""),
    (f'[telegram]\ntoken = "{TOKEN}"\n',
     "[telegram].token: secrets are never read from the file; set TELEGRAM_BOT_TOKEN in the environment"),
    ('[topics]\ndisable = ["khong-co"]\n', "[topics].disable: no topic 'khong-co' to disable"),
    ("[storage\npath = 1\n", None),  # not TOML at all
]


@pytest.mark.parametrize(("content", "line"), BROKEN, ids=[c.split("\n")[0] for c, _ in BROKEN])
def test_a_broken_config_is_one_line_and_exit_2(tmp_path, content, line):
    config = tmp_path / "config.toml"
    config.write_text(content, encoding="utf-8")
    out = diemtin("check-config", "--config", str(config), timeout=30)
    assert (out.returncode, out.stdout) == (2, "")
    if line is None:
        assert out.stderr.startswith(f"diemtin: {config}: not valid TOML: ")
        assert len(out.stderr.splitlines()) == 1
    else:
        assert out.stderr == f"diemtin: {config}: {line}\n"
    assert TOKEN.split(":")[1] not in out.stderr


def test_every_problem_is_reported_at_once_by_every_command(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[schedul]\n[polling]\ntagging_worker = 4\nmax_redirects = -3\n'
                      '[logging]\nlevel = "LOUD"\n[telegram]\nadmin = [1]\n', encoding="utf-8")
    outs = [diemtin(*cmd, "--config", str(config), env={"TELEGRAM_BOT_TOKEN": TOKEN}, timeout=30)
            for cmd in (["check-config"], ["run"], ["weekly"], ["ingest", str(SAMPLE_TXT)])]
    for out in outs:
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert len(out.stderr.splitlines()) == 5, out.stderr
    assert len({out.stderr for out in outs}) == 1


def test_a_missing_config_file_is_named(tmp_path):
    out = diemtin("run", "--config", str(tmp_path / "nope.toml"), timeout=30)
    assert out.returncode == 2
    assert out.stderr == f"diemtin: {tmp_path / 'nope.toml'}: config file not found (copy config.example.toml)\n"


# ----------------------------------------------------------------------------- the database


def _impossible(tmp_path):
    return "/etc/passwd/x.sqlite3", "/etc/passwd/x.sqlite3: cannot be created: /etc/passwd is a file, not a folder"


def _not_sqlite(tmp_path):
    path = tmp_path / "notes.sqlite3"
    path.write_text("meeting notes, not a database\n" * 10, encoding="utf-8")
    return str(path), f"{path}: is not a SQLite database"


def _corrupt(tmp_path):
    path = tmp_path / "broken.sqlite3"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)  # the right header, nothing after it
    return str(path), f"{path}: cannot be opened: not a SQLite database"


@pytest.mark.parametrize("case", [_impossible, _not_sqlite, _corrupt])
@pytest.mark.parametrize("command", [["run"], ["weekly", "--now"], ["ingest", str(SAMPLE_TXT)]])
def test_an_unusable_database_is_one_line_exit_2_and_no_hang(tmp_path, case, command):
    db, message = case(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{db}"\n', encoding="utf-8")
    # The timeout is the hang check: before, the process never exited (aiosqlite's thread).
    out = diemtin(*command, "--config", str(config), env={"TELEGRAM_BOT_TOKEN": TOKEN}, timeout=30)
    assert (out.returncode, out.stderr) == (2, f"diemtin: storage: {message}\n")


def test_check_config_looks_at_the_database_without_creating_it(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[storage]\npath = "notes.sqlite3"\n', encoding="utf-8")
    (tmp_path / "notes.sqlite3").write_text("not a database", encoding="utf-8")
    out = diemtin("check-config", "--config", str(config), timeout=30)
    assert out.returncode == 2
    assert out.stderr == f"diemtin: {config}: [storage].path: {tmp_path / 'notes.sqlite3'}: is not a SQLite database\n"
    (tmp_path / "notes.sqlite3").unlink()
    assert diemtin("check-config", "--config", str(config), timeout=30).returncode == 0
    assert not (tmp_path / "notes.sqlite3").exists()


def test_check_config_says_what_would_run(tmp_path):
    (tmp_path / "feed.xml").write_text("<rss/>", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        '[storage]\npath = "db/diemtin.sqlite3"\n'
        '[[feeds]]\nurl = "feed.xml"\n[[feeds]]\nurl = "missing.xml"\n'
        '[[feeds]]\nurl = "https://example.org/rss"\n'
        '[telegram]\nadmins = [42]\n[schedule]\nweekly = "thứ 6 16h30"\n', encoding="utf-8")
    out = diemtin("check-config", "--config", str(config), env={"TELEGRAM_BOT_TOKEN": TOKEN}, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout == (
        f"{config}: OK — storage {tmp_path / 'db' / 'diemtin.sqlite3'} (created at first start), "
        "3 feeds, weekly Friday 16:30 Asia/Ho_Chi_Minh; runs telegram (polling, 1 admin); "
        "off: zalo (no ZALO_BOT_TOKEN)\n"
    )
    assert out.stderr == (f"warning: [[feeds]] #2.url: {tmp_path / 'missing.xml'}: file not found; "
                          "it is polled anyway and counts as a failing feed until it appears\n")
    assert TOKEN not in out.stdout + out.stderr


def test_check_config_warns_when_a_running_messenger_has_no_admin(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[zalo]\nadmins = []\n", encoding="utf-8")
    out = diemtin("check-config", "--config", str(config), env={"ZALO_BOT_TOKEN": "77:zz"}, timeout=30)
    assert out.returncode == 0 and "runs zalo (polling, 0 admins)" in out.stdout
    assert out.stderr == "warning: [zalo].admins: empty: nobody may use /thongke, /guitin or /nguon on zalo\n"
