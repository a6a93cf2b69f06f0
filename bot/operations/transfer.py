"""Chats and subscriptions as a file, JSON or CSV: written by `diemtin export`, read and checked
by `diemtin import`.

JSON is ``{"diemtin": "chats", "version": 1, "chats": [...]}``, each chat with its settings
and a list of ``subscriptions``. CSV is one row per subscription, the chat's settings repeated
on each (a chat without subscriptions has one row with the ``sub_`` columns empty); an empty
cell is "not set". ``parse`` checks everything — every field's type and range, provinces and
topics known, no chat twice — and reports every problem, one line each, before anything is
written.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from typing import Any

from bot.core.messages import LANGS
from bot.core.subscriptions import KEYWORD, KINDS, NATIONAL, PROVINCE, TOPIC
from bot.delivery.matching import make_keyword
from bot.vietnamese.gazetteer import Gazetteer
from bot.vietnamese.topics import Topics
from storage.transfer import BOOL_COLUMNS, CHAT_COLUMNS, SUBSCRIPTION_COLUMNS

FORMAT_NAME, FORMAT_VERSION = "chats", 1
MESSENGERS = ("telegram", "zalo")
CHAT_KINDS = ("private", "group", "supergroup", "channel")
SUB_PREFIX = "sub_"
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_FLOATS = ("paused_until", "paused_at", "last_summary_at", "created_at", "updated_at")
_REQUIRED = ("messenger", "chat_id", "created_at", "updated_at")


class ImportProblems(Exception):
    """What is wrong with an import file, one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# ----------------------------------------------------------------------------- writing


def to_json(chats: list[dict[str, Any]]) -> str:
    doc = {"diemtin": FORMAT_NAME, "version": FORMAT_VERSION, "chats": chats}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def to_csv(chats: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CHAT_COLUMNS, *(SUB_PREFIX + c for c in SUBSCRIPTION_COLUMNS)])
    for chat in chats:
        cells = [_cell(chat[c]) for c in CHAT_COLUMNS]
        for sub in chat["subscriptions"] or [None]:
            writer.writerow(cells + [_cell(sub[c]) if sub else "" for c in SUBSCRIPTION_COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return repr(value) if isinstance(value, float) else str(value)


# ----------------------------------------------------------------------------- reading


def parse(text: str, fmt: str, *, gazetteer: Gazetteer, topics: Topics) -> list[dict[str, Any]]:
    """The chats of an export file, checked; raises ImportProblems with every problem."""
    problems: list[str] = []
    raw = _json_chats(text, problems) if fmt == "json" else _csv_chats(text, problems)
    provinces = {u.slug for u in gazetteer.current_units()} | {NATIONAL}
    known = {PROVINCE: provinces.__contains__, TOPIC: topics.__contains__,
             KEYWORD: lambda v: bool(make_keyword(v).text) and make_keyword(v).text == v}
    chats, seen = [], set()
    for n, item in enumerate(raw, 1):
        where = f"chat {n}"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object")
            continue
        chat = _chat(item, where, problems)
        key = (chat.get("messenger"), chat.get("chat_id"))
        if key in seen:
            problems.append(f"{where}: {key[0]} chat {key[1]} appears twice")
        seen.add(key)
        chat["subscriptions"] = _subscriptions(item.get("subscriptions"), f"{where} ({key[0]} {key[1]})", known, problems)
        chats.append(chat)
    if problems:
        raise ImportProblems(problems)
    return chats


def _json_chats(text: str, problems: list[str]) -> list[Any]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        problems.append(f"not JSON: {exc}")
        return []
    if not isinstance(doc, dict) or doc.get("diemtin") != FORMAT_NAME or not isinstance(doc.get("chats"), list):
        problems.append('not a diemtin export: expected {"diemtin": "chats", "version": 1, "chats": [...]}')
        return []
    if doc.get("version") != FORMAT_VERSION:
        problems.append(f"version {doc.get('version')!r}: this diemtin reads version {FORMAT_VERSION}")
    return doc["chats"]


def _csv_chats(text: str, problems: list[str]) -> list[dict[str, Any]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = [*CHAT_COLUMNS, *(SUB_PREFIX + c for c in SUBSCRIPTION_COLUMNS)]
    header = list(rows[0]) if rows else next(csv.reader(io.StringIO(text)), [])
    if header != expected:
        problems.append(f"CSV header must be: {','.join(expected)}")
        return []
    chats: dict[tuple[str, str], dict[str, Any]] = {}
    for line, row in enumerate(rows, 2):
        chat = {c: _from_cell(c, row[c]) for c in CHAT_COLUMNS}
        key = (row["messenger"], row["chat_id"])
        first = chats.setdefault(key, {**chat, "subscriptions": []})
        if {c: first[c] for c in CHAT_COLUMNS} != chat:
            problems.append(f"line {line}: {key[0]} chat {key[1]}: settings differ from its first row")
        sub = {c: row[SUB_PREFIX + c] for c in SUBSCRIPTION_COLUMNS}
        if any(sub.values()):
            first["subscriptions"].append({**sub, "created_at": _from_cell("created_at", sub["created_at"])})
    return list(chats.values())


def _from_cell(column: str, cell: str) -> Any:
    """A CSV cell as the JSON value it stands for (left as text when it is not one: checked later)."""
    if cell == "":
        return "" if column == "title" else None
    try:
        if column in BOOL_COLUMNS:
            return {"1": True, "0": False}[cell]
        if column == "weekly_day":
            return int(cell)
        if column in _FLOATS:
            return float(cell)
    except (KeyError, ValueError):
        return cell  # not a value of this column: the checks that follow name the cell
    return cell


def _chat(item: dict[str, Any], where: str, problems: list[str]) -> dict[str, Any]:
    chat: dict[str, Any] = {}
    unknown = set(item) - set(CHAT_COLUMNS) - {"subscriptions"}
    if unknown:
        problems.append(f"{where}: unknown fields {', '.join(sorted(unknown))}")
    for column in CHAT_COLUMNS:
        value = item.get(column)
        problem = _chat_field_problem(column, value)
        if problem:
            problems.append(f"{where}: {column}: {problem}, got {value!r}")
        chat[column] = float(value) if column in _FLOATS and isinstance(value, int | float) else value
    return chat


_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "messenger": (lambda v: v in MESSENGERS, f"must be one of {', '.join(MESSENGERS)}"),
    "chat_id": (lambda v: isinstance(v, str) and v.strip() == v and v != "", "must be a chat id (text)"),
    "kind": (lambda v: v in CHAT_KINDS, f"must be one of {', '.join(CHAT_KINDS)}"),
    "title": (lambda v: isinstance(v, str), "must be text"),
    "lang": (lambda v: v in LANGS, f"must be one of {', '.join(LANGS)}"),
    "mode": (lambda v: v in ("instant", "weekly"), "must be instant or weekly"),
    "weekly_day": (lambda v: v is None or (type(v) is int and 0 <= v <= 6), "must be 0 (Monday) to 6, or empty"),
    "weekly_time": (lambda v: v is None or (isinstance(v, str) and bool(_HHMM.fullmatch(v))), "must be HH:MM, or empty"),
    "inactive_reason": (lambda v: v is None or isinstance(v, str), "must be text, or empty"),
    "last_summary_key": (lambda v: v is None or isinstance(v, str), "must be text, or empty"),
}


def _chat_field_problem(column: str, value: Any) -> str | None:
    if column in BOOL_COLUMNS:
        return None if isinstance(value, bool) else "must be true or false"
    if column in _FLOATS:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if value is None and column not in _REQUIRED:
            return None
        return None if number and value >= 0 else "must be a Unix time (seconds)"
    check, wording = _CHECKS[column]
    return None if check(value) else wording


def _subscriptions(subs: Any, where: str, known: dict[str, Callable[[str], bool]],
                   problems: list[str]) -> list[dict[str, Any]]:
    if not isinstance(subs, list):
        problems.append(f"{where}: subscriptions must be a list")
        return []
    out, seen = [], set()
    for n, sub in enumerate(subs, 1):
        here = f"{where}: subscription {n}"
        if not isinstance(sub, dict) or set(sub) != set(SUBSCRIPTION_COLUMNS):
            problems.append(f"{here}: must have exactly {', '.join(SUBSCRIPTION_COLUMNS)}")
            continue
        kind, value, at = sub["kind"], sub["value"], sub["created_at"]
        if kind not in KINDS:
            problems.append(f"{here}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        elif not isinstance(value, str) or not known[kind](value):
            problems.append(f"{here}: unknown {kind} {value!r}")
        if not isinstance(at, int | float) or isinstance(at, bool) or at < 0:
            problems.append(f"{here}: created_at must be a Unix time (seconds), got {at!r}")
        if isinstance(value, str) and (kind, value) in seen:
            problems.append(f"{here}: {kind} {value!r} appears twice")
        seen.add((kind, str(value)))
        out.append({"kind": kind, "value": value, "created_at": float(at) if isinstance(at, int | float) else at})
    return out


def keyword_form(text: str) -> tuple[str, bool]:
    """A keyword's stored (folded, accented), as the bot stores a typed one."""
    keyword = make_keyword(text)
    return keyword.folded, keyword.accented
