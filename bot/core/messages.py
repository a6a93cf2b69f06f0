"""The message catalogues: every user-facing text, per language, looked up by "section.key".

Catalogues live in ``bot/core/data/messages/<lang>.toml``; a TOML table ``[province]`` with a key
``added`` is the text ``t(lang, "province.added")``. Placeholders use ``str.format`` syntax and
are filled as plain text (or as ``Text`` built in code): values are never markup, so nothing
needs escaping here; each messenger's formatter escapes what it must.
"""

from __future__ import annotations

import logging
import tomllib
from functools import cache
from importlib import resources
from typing import Any

from bot.core.text import TemplateError, Text, fill

log = logging.getLogger(__name__)

DEFAULT_LANG = "vi"
LANGS = ("vi", "en")


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All texts of one language as a flat {"section.key": text} mapping ({} when absent)."""
    if lang not in LANGS:
        return {}
    source = resources.files("bot.core").joinpath(f"data/messages/{lang}.toml")
    try:
        return _flatten(tomllib.loads(source.read_text(encoding="utf-8")))
    except FileNotFoundError:
        log.error("message catalogue %s.toml is missing", lang)
        return {}


def normalize_lang(lang: str | None) -> str:
    """A catalogue language for a messenger language code: "en-US" → "en", unknown → "vi"."""
    code = (lang or "").strip().lower()
    return "en" if code.startswith("en") else DEFAULT_LANG


def t(lang: str | None, key: str, **kw: Any) -> Text:
    """The text for ``key`` in ``lang`` (falling back to Vietnamese, then to the key itself)."""
    code = lang if lang in LANGS else normalize_lang(lang)
    text = catalogue(code).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANG).get(key)
    if text is None:
        log.warning("missing message %r", key)
        return Text.of(key)
    try:
        return fill(text, kw)
    except TemplateError:  # a broken catalogue entry must not break a reply
        log.warning("cannot format message %r", key)
        return Text.of(text)


def plain(lang: str | None, key: str, **kw: Any) -> str:
    """``t`` as plain text, for what shows no marks: button labels, notices, command menus."""
    return str(t(lang, key, **kw))
