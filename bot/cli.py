"""The `diemtin` command line: classify, ingest, demo, run, weekly."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import __version__, eventloop
from bot.config import Config, ConfigError, load_config, parse_config

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


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
        print(f"diemtin: cannot read {args.file}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    gazetteer, topics = default_gazetteer(), default_topics()
    items, _periods = tag_entries(entries, feed_key=str(args.file), gazetteer=gazetteer, topics=topics)
    if args.json:
        payload = [item_to_json(item, gazetteer) for item in items]
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return EXIT_OK
    from bot.intake.itemjson import describe_item

    print(f"{len(items)} items")
    for n, item in enumerate(items, 1):
        print(f"{n:>3}. {describe_item(item, gazetteer)}")
    return EXIT_OK


async def _ingest(config: Config, source: str, province: str | None) -> int:
    from bot.intake.ingest import Ingestor
    from bot.vietnamese.gazetteer import default_gazetteer
    from bot.vietnamese.topics import Topics
    from storage.db import Database

    gazetteer = default_gazetteer()
    topics = config.topics or Topics.load()
    db = await Database.open(config.storage_path)
    ingestor = Ingestor(db, gazetteer=gazetteer, topics=topics, polling=config.polling)
    try:
        report = await ingestor.ingest_source(source, default_province=province)
    finally:
        await ingestor.close()
        await db.close()
    if report.status == "error":
        print(f"diemtin: {source}: {report.error}", file=sys.stderr)
        return EXIT_FAILED
    if report.warning:
        print(f"warning: {report.warning}", file=sys.stderr)
    print(f"{report.entries} entries, {report.items_found} items, {report.items_added} new "
          f"→ {config.storage_path}")
    for title, counter, label in (
        ("province", report.provinces, lambda s: gazetteer.display(s)),
        ("topic", report.topics, lambda s: topics.get(s).label("vi")),
    ):
        if counter:
            print(f"\n  {'new items by ' + title:<40} n")
            for slug, n in counter.most_common():
                print(f"  {label(slug):<40} {n}")
    return EXIT_OK


def cmd_ingest(args: argparse.Namespace) -> int:
    config = _load_config(args.config, required=False)
    province = None
    if args.province:
        from bot.vietnamese.gazetteer import default_gazetteer

        resolved = default_gazetteer().resolve(args.province)
        if resolved.unit is None:
            print(f"diemtin: unknown province {args.province!r}", file=sys.stderr)
            return EXIT_USAGE
        province = resolved.unit.slug
    return eventloop.run(_ingest(config, args.source, province))


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
    p.add_argument("source", help="a feed URL, a local feed, HTML or text file")
    p.add_argument("--config", help="config file (default ./config.toml if present)")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"diemtin: config: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `diemtin classify … | head`
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
