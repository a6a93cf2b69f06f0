"""The operator's data commands through the installed `diemtin`: backup while a fan-out is
sending, export → import into an empty database → export the same file, import that checks
everything before it writes anything."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.delivery.instant import match_new_items
from bot.delivery.matching import make_keyword
from storage import chats, subscriptions
from tests.command import diemtin, diemtin_command
from tests.conftest import make_item
from tests.telegram_harness import harness


def _config_file(tmp_path: Path, db: Path, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'[storage]\npath = "{db}"\n[telegram]\nadmins = [42]\n', encoding="utf-8")
    return path


async def _subscribers(services, n: int) -> None:
    db, now = services.db, services.clock()
    for i in range(n):
        chat = await chats.ensure_chat(db, "telegram", str(700_000 + i), "private", "", "vi", now)
        await subscriptions.add_subscriptions(db, chat.id, "province", ["lam-dong"], now)
        await subscriptions.add_subscriptions(db, chat.id, "keyword", [make_keyword("bưu chính")], now)


async def test_a_backup_taken_during_a_fan_out_is_whole(services, store_items, clock, tmp_path):
    chats_n = 400
    await _subscribers(services, chats_n)
    clock.advance(60)
    await store_items(make_item("Lâm Đồng số hóa", "Lâm Đồng đưa nông sản lên sàn.", provinces=["lam-dong"]))
    queued = await match_new_items(services.db, gazetteer=services.gazetteer, profiles=services.profiles, now=clock())
    assert queued == chats_n
    config = _config_file(tmp_path, Path(services.db.path))
    out = tmp_path / "backups" / "copy.sqlite3"
    out.parent.mkdir()
    async with harness(services) as tg:
        tg.worker.wake()
        await tg.server.wait_for(lambda: len(tg.server.requests("sendMessage")) >= 20, timeout=30)
        proc = await asyncio.create_subprocess_exec(
            diemtin_command(), "backup", "--config", str(config), str(out),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        stdout, stderr = await asyncio.wait_for(proc.communicate(), 60)  # the loop goes on sending
        sent_meanwhile = len(tg.server.requests("sendMessage"))
    assert proc.returncode == 0, stderr.decode()
    assert "integrity ok" in stdout.decode() and f"{chats_n} chats, {2 * chats_n} subscriptions" in stdout.decode()
    assert sent_meanwhile < chats_n, "the fan-out was over before the backup ended"
    with sqlite3.connect(out) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT COUNT(*) FROM subscriptions").fetchone()[0] == 2 * chats_n
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert not list(out.parent.glob(".*partial*"))
    again = diemtin("backup", "--config", str(config), str(out))
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr


async def _varied_chats(talk) -> None:
    """Chats set up the way people do it, through the commands."""
    lan = talk("801")
    for command in ("/tinh lam dong, can tho", "/chude chuyển đổi số", "/tukhoa Bưu điện",
                    "/tukhoa postmart", "/lich thứ 3 9h", "/ngonngu en"):
        await lan.send(command)
    group = talk("-1002003", kind="supergroup", manage=True)
    for command in ("/tinh toan quoc", "/chedo hangtuan", "/tamdung 7"):
        await group.send(command)
    await talk("802").send("/start")  # no subscription at all


@pytest.mark.parametrize("fmt", ["json", "csv"])
async def test_export_import_export_is_the_same_file(services, talk, tmp_path, fmt):
    await _varied_chats(talk)
    source = _config_file(tmp_path, Path(services.db.path))
    first = diemtin("export", "--config", str(source), "--format", fmt)
    assert first.returncode == 0, first.stderr
    assert "exported 3 chats, 6 subscriptions" in first.stderr
    dump = tmp_path / f"chats.{fmt}"
    dump.write_text(first.stdout, encoding="utf-8")

    empty = _config_file(tmp_path, tmp_path / "restored.sqlite3", "restored.toml")
    imported = diemtin("import", str(dump), "--config", str(empty))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("imported 3 chats (3 new, 0 updated), 6 subscriptions")
    second = diemtin("export", "--config", str(empty), "--format", fmt, "--output", str(tmp_path / "again"))
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "again").read_text(encoding="utf-8") == first.stdout
    with sqlite3.connect(tmp_path / "restored.sqlite3") as db:
        keyword = db.execute("SELECT folded, accented FROM subscriptions WHERE value = 'Bưu điện'").fetchone()
    assert keyword == ("buu dien", 1)  # stored as a typed keyword is
    twice = diemtin("import", str(dump), "--config", str(empty))
    assert "(0 new, 3 updated), 6 subscriptions" in twice.stdout


def test_import_checks_everything_before_writing_anything(tmp_path):
    bad = tmp_path / "chats.json"
    good_chat = {"messenger": "telegram", "chat_id": "5", "kind": "private", "title": "", "lang": "vi",
                 "lang_explicit": False, "mode": "instant", "weekly_day": None, "weekly_time": None,
                 "weekly_empty": True, "active": True, "inactive_reason": None, "paused_until": None,
                 "paused_at": None, "last_summary_at": None, "last_summary_key": None,
                 "created_at": 1.0, "updated_at": 1.0,
                 "subscriptions": [{"kind": "province", "value": "lam-dong", "created_at": 1.0}]}
    broken = [
        good_chat,
        {**good_chat, "chat_id": "6", "lang": "fr", "weekly_day": 9,
         "subscriptions": [{"kind": "province", "value": "atlantis", "created_at": 1.0},
                           {"kind": "topic", "value": "chuyen-doi-so", "created_at": "yesterday"}]},
        {**good_chat, "chat_id": "5"},
    ]
    import json
    bad.write_text(json.dumps({"diemtin": "chats", "version": 1, "chats": broken}), encoding="utf-8")
    config = _config_file(tmp_path, tmp_path / "db.sqlite3")
    run = diemtin("import", str(bad), "--config", str(config))
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert any("chat 2: lang:" in line for line in lines)
    assert any("chat 2: weekly_day:" in line for line in lines)
    assert any("unknown province 'atlantis'" in line for line in lines)
    assert any("subscription 2: created_at" in line for line in lines)
    assert any("chat 3: telegram chat 5 appears twice" in line for line in lines)
    assert lines[-1].endswith("nothing imported (5 problems)")
    assert not (tmp_path / "db.sqlite3").exists()  # not even a database was created
    assert "Traceback" not in run.stderr
