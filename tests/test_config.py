"""The Config object as the bot reads it: defaults, per-messenger tables, secrets, problems."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import (
    Config,
    ConfigError,
    DeliveryConfig,
    PollingConfig,
    RateLimits,
    load_config,
    parse_config,
)

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456789:AAsecretsecretsecretsecretsecret"
SECRET = "hook-secret_0123456789"


def problems(data: dict, env: dict | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, env=env or {})
    return caught.value.problems


def test_defaults_without_a_file():
    config = parse_config({}, env={})
    assert config.storage_path == Path.cwd() / "data" / "diemtin.sqlite3"
    assert config.timezone.key == "Asia/Ho_Chi_Minh" and config.weekly_default.hhmm == "08:00"
    assert config.log_level == "INFO" and config.logging.format == "text"
    assert config.messengers == () and not config.telegram.enabled
    assert config.telegram.limits == RateLimits(global_per_second=30, private_per_second=1,
                                                private_burst=3, group_per_minute=20)
    assert config.zalo.limits.global_per_second < config.telegram.limits.global_per_second
    assert config.delivery == DeliveryConfig() and config.polling == PollingConfig()
    assert config.topics.get("chuyen-doi-so").label("vi") == "Chuyển đổi số"


def test_messengers_are_enabled_by_their_token_only():
    only_zalo = parse_config({"zalo": {"admins": ["a1b2"]}}, env={"ZALO_BOT_TOKEN": "77:zz"})
    assert [m.name for m in only_zalo.messengers] == ["zalo"]
    both = parse_config({}, env={"ZALO_BOT_TOKEN": "77:zz", "TELEGRAM_BOT_TOKEN": TOKEN})
    assert [m.name for m in both.messengers] == ["telegram", "zalo"]
    assert both.messenger("zalo").token == "77:zz" and both.telegram.token == TOKEN
    assert only_zalo.is_admin("zalo", "a1b2") and not only_zalo.is_admin("telegram", "a1b2")
    assert not only_zalo.is_admin("signal", "a1b2")


def test_admins_are_strings_whichever_way_they_were_written():
    config = parse_config({"telegram": {"admins": [42, "043"]}, "zalo": {"admins": [" z1 "]}}, env={})
    assert config.telegram.admins == frozenset({"42", "43"}) and config.zalo.admins == frozenset({"z1"})
    assert config.is_admin("telegram", 42) and config.is_admin("telegram", "43")


def test_secrets_never_in_repr_dump_or_problems(tmp_path):
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET}
    hook = {"mode": "webhook", "webhook_url": "https://bot.example.org/tg"}
    config = parse_config({"telegram": hook}, env=env)
    assert config.telegram.webhook_secret == SECRET
    shown = repr(config) + str(config.model_dump()) + repr(config.telegram)
    assert "secret" not in shown.lower()
    assert set(config.secrets) == {TOKEN, SECRET}  # what log lines are scrubbed of
    # A wrong secret is described by its length, never shown.
    lines = problems({"telegram": hook}, env={**env, "TELEGRAM_WEBHOOK_SECRET": "ab cd"})
    assert lines == ["[telegram]: TELEGRAM_WEBHOOK_SECRET: must be 8 to 256 characters of A-Z, "
                     "a-z, 0-9, _ and - (it has 5)"]
    # A token written into the file is refused without echoing it.
    lines = problems({"telegram": {"token": TOKEN}})
    assert lines == ["[telegram].token: secrets are never read from the file; "
                     "set TELEGRAM_BOT_TOKEN in the environment"]


def test_webhook_mode_needs_an_https_url_and_a_secret_when_enabled():
    assert problems({"zalo": {"mode": "webhook"}}) == [
        '[zalo].webhook_url: required when mode = "webhook" (the public HTTPS URL)']
    hook = {"mode": "webhook", "webhook_url": "https://bot.example.org/zalo"}
    parse_config({"zalo": hook}, env={})  # not enabled: no secret needed yet
    assert problems({"zalo": hook}, env={"ZALO_BOT_TOKEN": "77:zz"}) == [
        '[zalo]: mode = "webhook" needs a secret: set ZALO_WEBHOOK_SECRET']
    parse_config({"zalo": hook}, env={"ZALO_BOT_TOKEN": "77:zz", "ZALO_WEBHOOK_SECRET": SECRET})


def test_the_config_is_frozen():
    config = parse_config({}, env={})
    with pytest.raises(ValidationError):
        config.telegram.poll_timeout = 5  # type: ignore[misc]


def test_relative_paths_follow_the_file_and_feeds_take_the_polling_interval(tmp_path):
    path = tmp_path / "conf" / "config.toml"
    path.parent.mkdir()
    path.write_text('[storage]\npath = "db/x.sqlite3"\n[polling]\ninterval_seconds = 120\n'
                    '[[feeds]]\nurl = "a.xml"\nprovince = "lam dong"\n'
                    '[[feeds]]\nurl = "https://example.org/rss"\ninterval_seconds = 60\n', encoding="utf-8")
    config = load_config(path, env={})
    assert config.storage_path == tmp_path / "conf" / "db" / "x.sqlite3"
    assert [(f.interval_seconds, f.province) for f in config.feeds] == [(120, "lam-dong"), (60, None)]
    assert config.path == path


def test_every_problem_at_once_one_line_each():
    lines = problems({
        "schedul": {}, "polling": {"tagging_worker": 4, "max_redirects": -3},
        "logging": {"level": "LOUD"}, "telegram": {"admin": [1], "limits": {"private_burst": 2.9}},
        "delivery": {"global_per_second": 30},
    })
    assert lines == [
        "[telegram.limits].private_burst: must be a whole number, got 2.9",
        "[telegram].admin: unknown key — did you mean admins?",
        "[polling].max_redirects: must be 0 or more, got -3",
        "[polling].tagging_worker: unknown key — did you mean tagging_workers?",
        "[delivery].global_per_second: unknown key here; it belongs in [telegram.limits] or [zalo.limits]",
        '[logging].level: must be "DEBUG", "INFO", "WARNING", "ERROR" or "CRITICAL", got "LOUD"',
        "[schedul]: unknown section — did you mean [schedule]?",
    ]
    assert all("\n" not in line for line in lines)


def test_no_silent_coercion():
    assert problems({"polling": {"tagging_workers": True, "timeout_seconds": "20"}}) == [
        "[polling].timeout_seconds: must be a number, got \"20\"",
        "[polling].tagging_workers: must be a whole number, got true",
    ]
    assert problems({"delivery": {"backoff_base_seconds": 60, "backoff_max_seconds": 10}}) == [
        "[delivery].backoff_max_seconds: must be at least backoff_base_seconds (60)"]


def test_the_example_config_is_valid_and_documents_every_key():
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    load_config(ROOT / "config.example.toml", env={})
    tomllib.loads(text)
    written = set(re.findall(r"^#? ?([a-z_]+) = ", text, re.M))

    def keys(model: type) -> set[str]:
        found = set()
        for name, field in model.model_fields.items():
            sub = field.annotation
            if isinstance(sub, type) and issubclass(sub, Config.__mro__[1]):
                found |= keys(sub)
            elif name not in ("feeds", "topic_settings"):
                found.add(field.alias or name)
        return found

    from bot.config import FeedConfig

    assert keys(Config) | keys(FeedConfig) <= written
