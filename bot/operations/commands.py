"""The operator's commands: `diemtin status`, `backup`, `export` and `import`.

Each reads the database named by ``--config`` (``[storage].path``) or ``--db``; none creates
one: a database that is not there yet is one line and exit 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from bot import eventloop
from bot.config import Config
from bot.exitcodes import EXIT_OK, EXIT_USAGE, fail
from bot.plural import counted

T = TypeVar("T")

ConfigLoader = Callable[[str | None], Config]


def add_parsers(sub: argparse._SubParsersAction, load: ConfigLoader) -> None:
    """Register the commands on the CLI's subparsers; ``load(path)`` reads --config."""
    p = sub.add_parser("status", help="feed health, queue, dead messages, chats, next weekly run")
    p.add_argument("--config", help="config file (default ./config.toml)")
    p.set_defaults(func=cmd_status, load=load)

    p = sub.add_parser("backup", help="copy the database (safe while the bot runs) and check the copy")
    p.add_argument("--config", help="config file (default ./config.toml)")
    p.add_argument("out", help="the new file, or a folder to put diemtin-YYYYmmdd-HHMMSS.sqlite3 in")
    p.set_defaults(func=cmd_backup, load=load)

    p = sub.add_parser("export", help="print every chat and its subscriptions as JSON or CSV")
    p.add_argument("--config", help="config file (default ./config.toml)")
    p.add_argument("--format", choices=("json", "csv"), default="json")
    p.add_argument("--output", "-o", help="write to this file instead of standard output")
    p.set_defaults(func=cmd_export, load=load)

    p = sub.add_parser("import", help="add or update chats and their subscriptions from an export")
    p.add_argument("file", help="a file `diemtin export` wrote (.json or .csv)")
    p.add_argument("--config", help="config file (default ./config.toml)")
    p.add_argument("--db", help="database file (default: [storage].path of the config)")
    p.add_argument("--format", choices=("json", "csv"), help="default: from the file's name")
    p.set_defaults(func=cmd_import, load=load)


def _existing_db(config: Config) -> Path | None:
    path = config.storage_path
    return path if path.is_file() else None


def _on_database(path: Path, work: Callable[[Any], Awaitable[T]]) -> T:
    """``work(db)`` on the database at ``path``, opened for it and closed after."""
    from storage.db import Database

    async def run() -> T:
        db = await Database.open(path)
        try:
            return await work(db)
        finally:
            await db.close()

    return eventloop.run(run())


def cmd_status(args: argparse.Namespace) -> int:
    config = args.load(args.config)
    path = _existing_db(config)
    if path is None:
        return fail(f"no database at {config.storage_path} yet (`diemtin run` creates it)")
    from bot.operations.status import status_lines

    print("\n".join(_on_database(path, lambda db: status_lines(db, config, time.time()))))
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    from storage.backup import backup

    config = args.load(args.config)
    path = _existing_db(config)
    if path is None:
        return fail(f"no database at {config.storage_path} to back up")
    out = Path(args.out)
    if out.is_dir():
        out = out / f"diemtin-{datetime.now():%Y%m%d-%H%M%S}.sqlite3"
    report = backup(path, out)
    print(f"backup {report.path}: {report.bytes / 1e6:.1f} MB, integrity ok; "
          f"{counted(report.chats, 'chat')}, {counted(report.subscriptions, 'subscription')}, "
          f"{counted(report.items, 'item')}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from bot.operations.transfer import to_csv, to_json
    from storage.transfer import read_chats

    config = args.load(args.config)
    path = _existing_db(config)
    if path is None:
        return fail(f"no database at {config.storage_path} to export from")

    chats = _on_database(path, read_chats)
    text = to_json(chats) if args.format == "json" else to_csv(chats)
    summary = (f"exported {counted(len(chats), 'chat')}, "
               f"{counted(sum(len(c['subscriptions']) for c in chats), 'subscription')}")
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"{summary} → {args.output}")
    else:
        sys.stdout.write(text)
        print(summary, file=sys.stderr)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from bot.operations.transfer import ImportProblems, keyword_form, parse
    from bot.vietnamese.gazetteer import default_gazetteer
    from storage.transfer import write_chats

    config = args.load(args.config)
    source = Path(args.file)
    fmt = args.format or ("csv" if source.suffix.lower() == ".csv" else "json")
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return fail(f"{source}: cannot read: {getattr(exc, 'strerror', None) or exc}")
    try:
        chats = parse(text, fmt, gazetteer=default_gazetteer(), topics=config.topics)
    except ImportProblems as exc:
        for problem in exc.problems:
            print(f"diemtin: {source}: {problem}", file=sys.stderr)
        print(f"diemtin: {source}: nothing imported ({counted(len(exc.problems), 'problem')})", file=sys.stderr)
        return EXIT_USAGE
    db_path = Path(args.db) if args.db else config.storage_path

    created, subscriptions = _on_database(db_path, lambda db: write_chats(db, chats, keyword_form))
    print(f"imported {counted(len(chats), 'chat')} ({created} new, {len(chats) - created} updated), "
          f"{counted(subscriptions, 'subscription')} → {db_path}")
    return EXIT_OK
