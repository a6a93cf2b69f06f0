"""Read a local digest file — an RSS/Atom feed, an HTML page or plain text — as feed entries."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from bot.core.models import FeedEntry
from bot.intake.feeds import FeedParseError, parse_feed_bytes
from bot.vietnamese.textnorm import clean

_FEED_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(rss|feed|rdf:RDF)\b", re.S | re.I)
_HTML_HINT = re.compile(r"<(p|div|li|ul|ol|br|html|body|h[1-6]|article|section)\b", re.I)
_HTML_TITLE = re.compile(r"<(title|h1)[^>]*>(.*?)</\1>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
# Formats people hand over by mistake, by their first bytes.
_MAGIC = (
    (b"\x1f\x8b", "gzip data"), (b"PK\x03\x04", "a zip archive"), (b"\x7fELF", "a program"),
    (b"%PDF", "a PDF"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"), (b"MZ", "a program"), (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ", "xz data"), (b"7z\xbc\xaf", "a 7-zip archive"), (b"SQLite format 3", "a database"),
)
_SNIFF_BYTES = 8192
_MAX_CONTROL_SHARE = 0.01  # text has next to no control characters but tab and line breaks
_MAX_BAD_UTF8_SHARE = 0.001  # UTF-8 with a stray bad byte or two stays UTF-8
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


class NotText(FeedParseError):
    """The file is binary (an archive, a program, random bytes), not text, HTML or a feed."""


def check_text(data: bytes) -> None:
    """Raise NotText unless ``data`` looks like text (any encoding diemtin reads)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # UTF-16 with BOM: NUL bytes are its ASCII letters
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise NotText(f"not a text, HTML or feed file ({what})")
    head = data[:_SNIFF_BYTES]
    controls = len(head) - len(head.translate(None, _CONTROL))
    if b"\0" in head or controls > _MAX_CONTROL_SHARE * len(head):
        raise NotText("not a text, HTML or feed file (binary data)")


class UnsupportedSource(ValueError):
    """A URL whose scheme diemtin cannot read (ftp://, …)."""


def local_path(source: str) -> Path | None:
    """The file a source names (a path or file:// URL), or None for an http(s) URL.

    Raises UnsupportedSource for any other scheme; a one-letter scheme is a Windows drive.
    """
    parsed = urlparse(source)
    scheme = parsed.scheme.lower()
    if scheme == "file":
        return Path(unquote(parsed.path))
    if scheme in ("http", "https"):
        return None
    if len(scheme) > 1:
        raise UnsupportedSource(f"unsupported URL scheme {scheme}:// (use http, https, file or a local path)")
    return Path(source)


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else windows-1258 (Vietnamese code page).

    UTF-8 with a few bad bytes (a cut or a stray byte) is read as UTF-8, each bad byte "�".
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("utf-8-sig", errors="replace")
        if text.count("\ufffd") <= max(1, _MAX_BAD_UTF8_SHARE * len(text)):
            return text
        return data.decode("cp1258", errors="replace")


def entries_from_bytes(data: bytes, name: str = "") -> list[FeedEntry]:
    """A feed gives its entries; an HTML page or a text file gives one entry.

    Raises NotText for binary data, FeedParseError for a broken feed.
    """
    check_text(data)
    if _FEED_START.match(data[:4096]) or data.lstrip().startswith(b"\xef\xbb\xbf<?xml"):
        entries, _title, _warning = parse_feed_bytes(data)
        return entries
    text = decode_text(data)
    guid = "sha256:" + hashlib.sha256(data).hexdigest()[:24]
    if _HTML_HINT.search(text):
        match = _HTML_TITLE.search(text)
        title = clean(_TAG.sub(" ", match.group(2))) if match else ""
        return [FeedEntry(guid=guid, title=title, content=text, link="")]
    first_line = next((line for line in clean(text).split("\n") if line.strip()), "")
    return [FeedEntry(guid=guid, title=first_line, content=text, link="")]


def read_entries(path: str | Path) -> list[FeedEntry]:
    """Entries of a local file; raises OSError or bot.intake.feeds.FeedParseError."""
    path = Path(path)
    return entries_from_bytes(path.read_bytes(), path.name)
