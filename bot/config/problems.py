"""Config problems as an operator reads them: one line each, naming the table and the key.

    [delivry]: unknown section — did you mean [delivery]?
    [telegram.limits].private_burst: must be a whole number, got 2.9
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError
from rapidfuzz import fuzz, process

from bot.config.messengers import MessengerConfig
from bot.config.schema import Problems, Section

_SECRET_KEYS = {"token", "bot_token", "secret", "secret_token", "webhook_secret"}
_GIVEN_TYPE = {
    "int_type": "must be a whole number", "int_from_float": "must be a whole number",
    "int_parsing": "must be a whole number", "float_type": "must be a number",
    "float_parsing": "must be a number", "string_type": "must be a string",
    "bool_type": "must be true or false", "model_type": "must be a section",
    "model_attributes_type": "must be a section", "dict_type": "must be a section",
    "tuple_type": "must be a list", "list_type": "must be a list",
}


class ConfigError(Exception):
    """Config problems, one line each ("[telegram].admins: …"), prefixed by the file when known."""

    def __init__(self, problems: str | list[str], source: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        prefix = f"{self.source}: " if self.source else ""
        return [prefix + problem for problem in self.problems]


def describe(error: ValidationError) -> list[str]:
    """Every problem in ``error``, once each, in the order of the file's tables."""
    lines: list[str] = []
    for item in error.errors(include_url=False):
        lines += _lines(item)
    return list(dict.fromkeys(lines))


def _lines(item: dict[str, Any]) -> list[str]:
    loc, kind = tuple(item["loc"]), item["type"]
    if kind == "extra_forbidden":
        return [_unknown(loc, item["input"])]
    if kind in ("value_error", "assertion_error"):
        exc = item["ctx"]["error"]
        if isinstance(exc, Problems):
            return [f"{label(loc + ((key,) if key else ()))}: {text}" for key, text in exc.problems]
        return [f"{label(loc)}: {exc}"]
    if loc == ("feeds",) and isinstance(item["input"], dict):
        return ["[[feeds]]: write each feed as a [[feeds]] block (an array of tables), not [feeds]"]
    return [f"{label(loc)}: {_wording(item)}"]


def _wording(item: dict[str, Any]) -> str:
    kind, ctx = item["type"], item.get("ctx") or {}
    if kind == "missing":
        return "required"
    if kind == "greater_than":
        text = f"must be greater than {ctx['gt']}"
    elif kind == "greater_than_equal":
        text = f"must be {ctx['ge']} or more"
    elif kind == "less_than_equal":
        text = f"must be at most {ctx['le']}"
    elif kind == "literal_error":
        text = "must be " + ctx["expected"].replace("'", '"')
    else:
        msg = item["msg"]
        text = _GIVEN_TYPE.get(kind, msg[:1].lower() + msg[1:])
    return f"{text}, got {_as_toml(item['input'])}"


def _as_toml(value: Any) -> str:
    """A value as it was written in the file, shortened."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 60 else value[:57] + "…", ensure_ascii=False)
    text = json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, list) else repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


# ----------------------------------------------------------------------------- where


def _fields(model: type[BaseModel]) -> dict[str, type[Section] | None]:
    """The keys of a table as written in the file → the table class of each sub-table (or None)."""
    out: dict[str, type[Section] | None] = {}
    for name, field in model.model_fields.items():
        sub = field.annotation
        out[field.alias or name] = sub if isinstance(sub, type) and issubclass(sub, Section) else None
    return out


def _locate(loc: tuple) -> tuple[str, type[BaseModel], list]:
    """The deepest table ``loc`` names ("[telegram.limits]", "[[feeds]] #2"), its model, the rest."""
    from bot.config.model import Config
    from bot.config.schema import FeedConfig

    head, tables, model, parts = "", [], Config, list(loc)
    while parts:
        part = parts[0]
        if model is Config and part == "feeds" and len(parts) > 1 and isinstance(parts[1], int):
            head, model, parts = f"[[feeds]] #{parts[1] + 1}", FeedConfig, parts[2:]
            continue
        sub = _fields(model).get(part) if isinstance(part, str) else None
        if sub is None or head.startswith("[["):
            break
        tables.append(part)
        head, model, parts = f"[{'.'.join(tables)}]", sub, parts[1:]
    return head, model, parts


def label(loc: tuple) -> str:
    """"[telegram].admins", "[telegram.limits]", "[[feeds]] #1.url" for a pydantic location."""
    head, _model, rest = _locate(loc)
    key = "".join(f"[{p}]" if isinstance(p, int) else ("." if i else "") + str(p) for i, p in enumerate(rest))
    if head and key:
        return f"{head}.{key}"
    return head or key or "config"


def _unknown(loc: tuple, value: Any) -> str:
    head, model, _rest = _locate(loc[:-1])
    name = str(loc[-1])
    is_table = isinstance(value, dict)
    if is_table and not head.startswith("[["):
        where = f"[{head[1:-1]}.{name}]" if head else f"[{name}]"
    else:
        where = f"{head}.{name}" if head else name
    if isinstance(model, type) and issubclass(model, MessengerConfig) and name in _SECRET_KEYS:
        env = model.token_env if "token" in name else model.secret_env
        return f"{where}: secrets are never read from the file; set {env} in the environment"
    fields = _fields(model)
    what = "section" if is_table else "key"
    homes = [] if is_table else _homes(name)
    if not head and not is_table:
        hint = f" — did you mean {homes[0]}.{name}?" if homes else " (every key belongs in a [section])"
        return f"{where}: a key outside any section{hint}"
    match = process.extractOne(name, list(fields), scorer=fuzz.ratio, score_cutoff=70)
    if match is None and homes:  # a key that lives in another table (or moved there)
        return f"{where}: unknown key here; it belongs in {' or '.join(homes)}"
    if match is None:
        known = ", ".join(k for k, sub in fields.items() if (sub is not None) == is_table)
        return f"{where}: unknown {what}" + (f" (known: {known})" if known else "")
    guess = match[0]
    if fields[guess] is not None:
        guess = f"[{head[1:-1]}.{guess}]" if head else f"[{guess}]"
    return f"{where}: unknown {what} — did you mean {guess}?"


def _homes(name: str) -> list[str]:
    """Every table that has a key of this name: ["[telegram.limits]", "[zalo.limits]"]."""
    from bot.config.model import Config

    found, tables = [], [("", Config)]
    while tables:
        prefix, model = tables.pop(0)
        for key, sub in _fields(model).items():
            if sub is not None:
                tables.append((f"{prefix}.{key}" if prefix else key, sub))
            elif key == name and prefix:
                found.append(f"[{prefix}]")
    return found
