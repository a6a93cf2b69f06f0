"""The message catalogues: same keys in every language, every key the handlers use exists."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from bot.core import messages
from bot.core.messages import catalogue, normalize_lang, t
from handlers.admin import OUTBOX_STATES
from handlers.router import ADMIN_COMMANDS, COMMANDS

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = ROOT / "bot" / "core" / "data" / "messages"
_PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)\}(?!\})")


def test_languages_have_the_same_keys_and_placeholders():
    vi, en = catalogue("vi"), catalogue("en")
    assert vi and set(vi) == set(en)
    for key in vi:
        assert set(_PLACEHOLDER.findall(vi[key])) == set(_PLACEHOLDER.findall(en[key])), key


def test_sections_are_sorted():
    for path in CATALOGUES.glob("*.toml"):
        sections = re.findall(r"^\[([a-z_]+)\]$", path.read_text(encoding="utf-8"), re.MULTILINE)
        assert sections == sorted(sections), path.name
        tomllib.loads(path.read_text(encoding="utf-8"))


def test_every_key_used_by_handlers_exists():
    known = catalogue("vi")
    sections = {key.split(".")[0] for key in known}
    used: set[str] = set()
    for path in (ROOT / "handlers").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        used |= {
            key
            for key in re.findall(r'"([a-z_]+\.[a-z_]+)"', source)
            if key.split(".")[0] in sections and not key.endswith("_")
        }
        for name in re.findall(r'f"\{kind\}\.([a-z_]+)"', source):
            used |= {f"province.{name}", f"topic.{name}"}
        if re.search(r'f"commands\.\{', source):
            used |= {f"commands.{c.name}" for c in COMMANDS + ADMIN_COMMANDS}
    used |= {"menu.mode_switch_tucthi", "menu.mode_switch_hangtuan"}
    used |= {f"stats.state_{state}" for state in OUTBOX_STATES}
    assert len(used) > 100
    assert sorted(k for k in used if k not in known) == []


def test_lookup_falls_back_to_vietnamese_then_key():
    assert str(t("en", "common.error")) == "Something went wrong, please try again."
    assert str(t("fr", "common.error")) == "Đã có lỗi, vui lòng thử lại."
    assert str(t("vi", "no.such_key")) == "no.such_key"
    assert str(t("vi", "remove.cleared", n=3)) == "✅ Đã bỏ tất cả (3 đăng ký)."
    assert "{n}" in str(t("vi", "remove.cleared"))  # a missing value stays visible, no error


def test_missing_english_key_uses_vietnamese(monkeypatch):
    monkeypatch.setitem(messages.catalogue("en"), "only.vi", "x")
    monkeypatch.delitem(messages.catalogue("en"), "common.none")
    assert t("en", "common.none") == t("vi", "common.none")


def test_normalize_lang():
    assert normalize_lang("en-US") == "en"
    assert normalize_lang("EN") == "en"
    assert normalize_lang("vi") == "vi"
    assert normalize_lang(None) == "vi"
    assert normalize_lang("ru") == "vi"
