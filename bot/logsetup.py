"""Logging for the CLI and the running bot: one line per event, secrets scrubbed from every line.

``[logging] format`` chooses the line: "text" is key=value (``ts=… level=INFO logger=…
msg="feed polled" feed=… status=ok``), "json" one JSON object. ``event(log, level, msg,
**fields)`` logs an event with fields of its own; any other record is its message. Whatever
the source (our code, python-telegram-bot, httpx, aiohttp), the finished line is scrubbed of
every known token and webhook secret (also percent-encoded, as they appear in request URLs) and
of anything shaped like a bot token. A traceback never spreads over lines: an exception is
its type and message, and only at level DEBUG its traceback too, escaped into the one line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime
from typing import Any
from urllib.parse import quote

# Telegram tokens look like 123456789:AA…; Zalo's are similar. Scrub them even when unknown.
_TOKEN_SHAPE = re.compile(r"\b\d{5,}(?::|%3A)[A-Za-z0-9_-]{20,}\b")
_BARE = re.compile(r"[^\s\"=\\]+")
_FIELDS = "diemtin_fields"  # the LogRecord attribute event() puts its fields in
QUIET_LIBRARIES = ("httpx", "httpcore", "apscheduler", "telegram.ext.Updater", "aiohttp.access")


def event(logger: logging.Logger, level: int, msg: str, **fields: Any) -> None:
    """Log ``msg`` with ``fields`` as keys of their own (key=value in text, keys in JSON)."""
    logger.log(level, msg, extra={_FIELDS: fields})


class Scrubber:
    """Replaces known secrets (as written and percent-encoded) and token-shaped text by ***."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        forms = {form for s in secrets or [] if s for form in (s, quote(s, safe=""))}
        self.forms = sorted(forms, key=len, reverse=True)  # a longer form first: no half-scrub

    def __call__(self, text: str) -> str:
        for form in self.forms:
            text = text.replace(form, "***")
        return _TOKEN_SHAPE.sub("***", text)


class LineFormatter(logging.Formatter):
    """One line per record, "text" (key=value) or "json", scrubbed."""

    def __init__(self, style: str = "text", scrub: Scrubber | None = None, tracebacks: bool = False) -> None:
        super().__init__()
        self.style = style
        self.scrub = scrub or Scrubber()
        self.tracebacks = tracebacks

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        stamp = datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")
        out: dict[str, Any] = {"ts": stamp, "level": record.levelname, "logger": record.name,
                               "msg": record.getMessage()}
        for key, value in getattr(record, _FIELDS, {}).items():
            out[key if key not in out else f"field_{key}"] = value
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            out["error"] = f"{type(exc).__name__}: {exc}"
            if self.tracebacks:
                out["traceback"] = self.formatException(record.exc_info)
        return out

    def format(self, record: logging.LogRecord) -> str:
        fields = self.fields(record)
        if self.style == "json":
            line = json.dumps(fields, ensure_ascii=False, default=str)
        else:
            line = " ".join(f"{key}={_value(value)}" for key, value in fields.items())
        return self.scrub(line)


def _value(value: Any) -> str:
    text = "" if value is None else str(value)
    if _BARE.fullmatch(text):
        return text
    return json.dumps(text, ensure_ascii=False)  # quoted, with newlines and quotes escaped


def setup_logging(level: str = "INFO", secrets: list[str] | None = None, style: str = "text") -> None:
    """Log to stderr, one line per record; quieten libraries that log every request."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LineFormatter(style, Scrubber(secrets), tracebacks=level.upper() == "DEBUG"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    logging.captureWarnings(True)  # a library's warning is a line too, not a stderr paragraph
    for noisy in QUIET_LIBRARIES:
        logging.getLogger(noisy).setLevel(logging.WARNING)
