"""The `diemtin` command line: classify, ingest, demo, run, weekly, check-config; the operator's
status, backup, export and import are in bot/operations/commands.py."""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from bot import __version__, eventloop
from bot.config import Config, ConfigError, load_config, parse_config
from bot.exitcodes import EXIT_OK, EXIT_USAGE, fail
from bot.operations.commands import add_parsers as add_operator_parsers
from bot.plural import counted
from storage.db import StorageError

PROGRESS_MIN_ENTRIES = 300  # fewer are tagged in about a second: no progress line


def _load_config(path: str | None, *, required: bool) -> Config:
    """The --config file; without --config, ./config.toml when present, else built-in defaults."""
    if path is None:
        if Path("config.toml").exists() or required:
            path = "config.toml"
        else:
            return parse_config({})
    return load_config(path)


def cmd_classify(args: argparse.Namespace) -> int:
    from bot.intake.itemjson import item_to_json
    from bot.intake.sourcefile import read_entries
    from bot.intake.tagging import tag_entries
    from bot.vietnamese.gazetteer import default_gazetteer
    from bot.vietnamese.topics import default_topics

    try:
        entries = read_entries(args.file)
    except Exception as exc:  # noqa: BLE001 — any unreadable input is one line, not a traceback
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return fail(f"cannot read {args.file}: {reason}")
    gazetteer, topics = default_gazetteer(), default_topics()
    items, _periods = tag_entries(entries, gazetteer=gazetteer, topics=topics)
    if args.json:
        payload = [item_to_json(item, gazetteer) for item in items]
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return EXIT_OK
    from bot.intake.itemjson import describe_item

    print(counted(len(items), "item"))
    for n, item in enumerate(items, 1):
        print(f"{n:>3}. {describe_item(item, gazetteer)}")
    return EXIT_OK


async def _ingest(config: Config, db_path: Path, source: str, province: str | None) -> int:
    from bot.intake.ingest import Ingestor, SourceError, read_source
    from bot.vietnamese.gazetteer import default_gazetteer
    from storage.db import Database

    # Read first: a source that cannot be read leaves no database behind.
    try:
        with _status_line(f"reading {source} …"):  # a large feed takes seconds to parse
            entries, warning = await read_source(source, config.polling)
    except SourceError as exc:
        return fail(f"{source}: {exc}")
    if warning:
        print(f"warning: {source}: {warning}", file=sys.stderr)
    gazetteer, topics = default_gazetteer(), config.topics
    db = await Database.open(db_path)
    ingestor = Ingestor(db, gazetteer=gazetteer, topics=topics, polling=config.polling)
    try:
        with _progress(len(entries)) as bar:
            report = await ingestor.store(
                entries, source=source, feed_id=None, default_province=province,
                on_part=bar.update if bar is not None else None,
            )
    finally:
        await ingestor.close()
        await db.close()
    print(f"{counted(report.entries, 'entry', 'entries')}, {counted(report.items_found, 'item')}, "
          f"{report.items_added} new → {db_path}")
    for title, counter, label in (
        ("province", report.provinces, lambda s: gazetteer.display(s)),
        ("topic", report.topics, lambda s: topics.get(s).label("vi")),
    ):
        if counter:
            print(f"\n  {'new items by ' + title:<40} n")
            for slug, n in counter.most_common():
                print(f"  {label(slug):<40} {n}")
    return EXIT_OK


@contextlib.contextmanager
def _status_line(text: str) -> Iterator[None]:
    """``text`` on the terminal while the block runs, erased after; nothing when piped."""
    shown = sys.stdout.isatty()
    if shown:
        print(text, end="\r", flush=True)
    try:
        yield
    finally:
        if shown:
            print("\x1b[K", end="", flush=True)


def _progress(entries: int) -> contextlib.AbstractContextManager:
    """A progress line on a terminal for a large ingest (tqdm), else nothing."""
    if entries < PROGRESS_MIN_ENTRIES or not sys.stdout.isatty():
        return contextlib.nullcontext()
    from tqdm import tqdm

    # get_terminal_size falls back to 80×24 where a terminal reports 0×0; tqdm would hide the bar.
    size = shutil.get_terminal_size()
    return tqdm(desc=f"tagging {entries} entries", unit=" items", leave=False, file=sys.stdout,
                ncols=size.columns, nrows=size.lines)


def cmd_ingest(args: argparse.Namespace) -> int:
    if args.config is None and args.db is None and not Path("config.toml").exists():
        return fail("ingest: where should the items go? give --db PATH or --config PATH "
                     "(there is no ./config.toml here)", EXIT_USAGE)
    config = _load_config(args.config, required=False)
    province = None
    if args.province:
        from bot.vietnamese.gazetteer import default_gazetteer

        resolved = default_gazetteer().resolve(args.province)
        if resolved.unit is None:
            return fail(f"unknown province {args.province!r}", EXIT_USAGE)
        province = resolved.unit.slug
    db_path = Path(args.db) if args.db else config.storage_path
    return eventloop.run(_ingest(config, db_path, args.source, province))


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return eventloop.run(run_demo(out=sys.stdout))


def cmd_run(args: argparse.Namespace) -> int:
    config = _load_config(args.config, required=True)
    from bot.app import run_app

    return eventloop.run(run_app(config))


def cmd_weekly(args: argparse.Namespace) -> int:
    config = _load_config(args.config, required=True)
    from bot.app import queue_weekly_once

    return eventloop.run(queue_weekly_once(config, now_all=args.now, chat=args.chat))


def cmd_check_config(args: argparse.Namespace) -> int:
    from bot.config.checks import check_config

    config = _load_config(args.config, required=True)
    report = check_config(config)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if report.problems:
        raise ConfigError(report.problems, str(config.path) if config.path else None)
    print(report.summary)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diemtin", description="Provincial ICT news digests → personal chat alerts."
    )
    parser.add_argument("--version", action="version", version=f"diemtin {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("classify", help="split and tag a digest file without storing it")
    p.add_argument("file", help="plain text, HTML, or an RSS/Atom file")
    p.add_argument("--json", action="store_true", help="print the items as JSON")
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("ingest", help="fetch, split, tag and store one feed or file once")
    p.add_argument("source", help="a feed URL (http, https, file) or a local feed, HTML or text file")
    p.add_argument("--config", help="config file (default ./config.toml if present)")
    p.add_argument("--db", help="database file (default: [storage].path of the config)")
    p.add_argument("--province", help="default province for a provincial portal's items")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("demo", help="offline demo: ingest the bundled sample, show what chats get")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("run", help="run the bot: messengers, feed poller, delivery, schedule")
    p.add_argument("--config", help="config file (default ./config.toml)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("weekly", help="queue weekly summaries for the running bot to send")
    p.add_argument("--config", help="config file (default ./config.toml)")
    p.add_argument("--now", action="store_true", help="queue for every active chat, due or not")
    p.add_argument("--chat", help="only this chat (messenger chat id)")
    p.set_defaults(func=cmd_weekly)

    p = sub.add_parser("check-config", help="check a config file and what it points at, then exit")
    p.add_argument("--config", help="config file (default ./config.toml)")
    p.set_defaults(func=cmd_check_config)

    add_operator_parsers(sub, lambda path: _load_config(path, required=True))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        for line in exc.lines():
            print(f"diemtin: {line}", file=sys.stderr)
        return EXIT_USAGE
    except StorageError as exc:
        return fail(f"storage: {exc}", EXIT_USAGE)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `diemtin classify … | head`
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
