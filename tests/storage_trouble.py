"""Ways to make the database hard to write to, for real: another process's lock, a full disk."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

_HOLDER = textwrap.dedent(
    """
    import select, sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE feeds SET title = 'held' WHERE id = 1")
    print("held", flush=True)
    select.select([sys.stdin], [], [], 30)  # the test lets go, or 30 s pass
    conn.execute("COMMIT")
    """
)


class LockHolder:
    """Another process holding the write lock until ``release`` (at most 30 s); it renames feed 1."""

    def __init__(self, path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, str(path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout.readline().strip() == "held"

    def release(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("go\n")
            self.proc.stdin.flush()
        self.proc.wait(timeout=30)


def fill_disk(path, pages: int) -> None:
    """Fill the last page of the feeds table, and of the change log every subscription change
    writes to, until not a byte more fits, without growing the file."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA max_page_count = {pages}")
    size, n = 4096, 0
    while size:
        if not _fits(conn, "INSERT INTO feeds (url, title, enabled, origin, created_at)"
                           " VALUES (?, ?, 0, 'admin', 0)", (f"filler:{n}", "x" * size)):
            size //= 2
        n += 1
    room = True
    while room:
        room = _fits(conn, "INSERT INTO chat_changes (chat_ref) VALUES (0)", ())
    conn.close()


def _fits(conn: sqlite3.Connection, sql: str, params: tuple) -> bool:
    try:
        conn.execute(sql, params)
    except sqlite3.OperationalError as exc:
        assert "full" in str(exc)
        return False
    return True
