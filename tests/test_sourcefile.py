"""Local files handed to `diemtin classify` / `ingest`: text in any encoding read, binary refused."""

from __future__ import annotations

import gzip
import random
import sqlite3
import sys

import pytest

from bot.intake.sourcefile import NotText, decode_text, entries_from_bytes
from bot.vietnamese.textnorm import clean
from tests.samples import SAMPLE_TXT
from tests.test_cli import diemtin

SAMPLE = SAMPLE_TXT.read_bytes()


def _binaries() -> dict[str, bytes]:
    rng = random.Random(10)
    return {
        "gzip": gzip.compress(SAMPLE),
        "program": open(sys.executable, "rb").read(65536),
        "random": bytes(rng.randrange(256) for _ in range(4096)),
        "random without NUL": bytes(rng.randrange(1, 256) for _ in range(4096)),
        "zip": b"PK\x03\x04" + SAMPLE[:200],
        "png": b"\x89PNG\r\n\x1a\n" + bytes(100),
    }


@pytest.mark.parametrize("kind", list(_binaries()))
def test_binary_data_is_refused(kind: str) -> None:
    with pytest.raises(NotText, match="not a text, HTML or feed file"):
        entries_from_bytes(_binaries()[kind])


def test_utf8_with_one_bad_byte_stays_utf8() -> None:
    cut = SAMPLE.index("Sóc Trăng".encode())
    text = decode_text(SAMPLE[:cut] + b"\xff" + SAMPLE[cut:])
    assert "\ufffdSóc Trăng" in text and text.count("\ufffd") == 1
    assert "Lâm Đồng" in text and "Thừa" not in text  # no cp1258 mojibake anywhere


def test_other_encodings_still_read() -> None:
    words = "Bưu điện tỉnh Sóc Trăng tập huấn bưu tá."
    assert decode_text(words.encode("utf-16")) == words
    assert clean(decode_text(b"\xd0\xe0 N\xe3\xdeng")) == "Đà Nẵng"  # a legacy cp1258 file
    assert decode_text(b"\xef\xbb\xbf" + words.encode()) == words


def test_classify_of_a_binary_file_is_one_line_and_fails(tmp_path) -> None:
    path = tmp_path / "digest.gz"
    path.write_bytes(gzip.compress(SAMPLE))
    out = diemtin("classify", str(path))
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.strip().count("\n") == 0 and "gzip data" in out.stderr


def test_ingest_of_a_binary_file_stores_nothing(tmp_path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[storage]\npath = "diemtin.sqlite3"\n', encoding="utf-8")
    path = tmp_path / "a.out"
    path.write_bytes(open(sys.executable, "rb").read(65536))
    out = diemtin("ingest", str(path), "--config", str(config))
    assert out.returncode == 1 and "not a text, HTML or feed file" in out.stderr
    assert "Traceback" not in out.stderr
    db = tmp_path / "diemtin.sqlite3"
    if db.exists():
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT count(*) FROM items").fetchone() == (0,)
