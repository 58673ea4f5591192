"""`aggregator items ...`: list and curate stored items. Every change republishes the outputs."""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from aggregator.cli.common import EXIT_CONFIG, EXIT_OK, fail, load_or_report, open_storage
from aggregator.errors import NotFound
from aggregator.models import StoredItem
from aggregator.store import Storage


def actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def format_item(item: StoredItem) -> str:
    flags = "".join(flag for flag, on in (("P", item.pinned), ("H", item.hidden)) if on)
    kind = "/".join((item.category, *item.review_types))
    return (
        f"{item.id:>6} {item.published:%Y-%m-%d} {flags:<2} {kind:<16} "
        f"{len(item.sightings):>2}x {item.title}"
    )


def cmd_list(args: argparse.Namespace) -> int:
    config = load_or_report(args)
    if config is None:
        return EXIT_CONFIG
    feed = next((f for f in config.feeds if f.id == args.feed), None) if args.feed else None
    if args.feed and feed is None:
        return fail(f"unknown feed id: {args.feed}")
    storage = open_storage(args)
    try:
        items = storage.items(
            categories=feed.categories if feed else (),
            review_types=feed.review_types if feed else (),
            sources=feed.sources if feed else (),
            search=args.search,
            include_hidden=args.hidden,
            limit=args.limit,
            themes=args.theme or (feed.themes if feed else ()),
        )
    finally:
        storage.close()
    for item in items:
        print(format_item(item))
    return EXIT_OK


def _curate(args: argparse.Namespace, change: Callable[[Storage], None]) -> int:
    """Apply one curation change, then republish so outputs reflect it."""
    from aggregator.clock import utcnow
    from aggregator.publish.run import publish

    config = load_or_report(args)
    if config is None:
        return EXIT_CONFIG
    storage = open_storage(args)
    try:
        change(storage)
        publish(storage, config, Path(args.feeds_dir), now=utcnow())
    except NotFound as exc:
        return fail(f"not found: {exc}")
    finally:
        storage.close()
    return EXIT_OK


def cmd_hide(args: argparse.Namespace) -> int:
    return _curate(args, lambda s: s.set_item(args.id, hidden=True, actor=actor()))


def cmd_unhide(args: argparse.Namespace) -> int:
    return _curate(args, lambda s: s.set_item(args.id, hidden=False, actor=actor()))


def cmd_pin(args: argparse.Namespace) -> int:
    return _curate(args, lambda s: s.set_item(args.id, pinned=True, actor=actor()))


def cmd_unpin(args: argparse.Namespace) -> int:
    return _curate(args, lambda s: s.set_item(args.id, pinned=False, actor=actor()))


def cmd_delete(args: argparse.Namespace) -> int:
    return _curate(args, lambda s: s.delete_item(args.id, actor=actor()))


def cmd_set(args: argparse.Namespace) -> int:
    themes = _themes(args)
    review_types = args.review_type or [None]
    if args.category is None and review_types[0] is None and themes is None:
        return fail("give --category, --review-type, --theme, --no-themes or --auto-themes")
    return _curate(
        args,
        lambda s: s.set_item(
            args.id,
            category=args.category,
            review_type=review_types[0],
            joint_types=review_types[1:],
            themes=themes,
            actor=actor(),
        ),
    )


def _themes(args: argparse.Namespace) -> list[str] | Literal["auto"] | None:
    if args.auto_themes:
        return "auto"
    if args.no_themes:
        return []
    return list(args.theme) if args.theme else None


def cmd_merge(args: argparse.Namespace) -> int:
    if args.a == args.b:
        return fail("cannot merge an item with itself")
    return _curate(args, lambda s: s.merge_items(args.a, args.b, actor=actor()))


def cmd_split(args: argparse.Namespace) -> int:
    new_ids: list[int] = []
    code = _curate(args, lambda s: new_ids.extend(s.split_item(args.id, actor=actor())))
    if code == EXIT_OK:
        print("split into: " + ", ".join(str(i) for i in [args.id, *new_ids]))
    return code


def cmd_show(args: argparse.Namespace) -> int:
    storage = open_storage(args)
    try:
        item = storage.item(args.id)
        trail = storage.audit(args.id)
    except NotFound as exc:
        return fail(f"not found: {exc}")
    finally:
        storage.close()
    print(format_item(item))
    print(f"  id: {item.public_id}\n  url: {item.url}\n  summary: {item.summary[:200]}")
    print(f"  themes: {', '.join(item.themes) or '(none)'}")
    for sighting in item.sightings:
        print(f"  seen at {sighting.source_id} {sighting.first_seen:%Y-%m-%d %H:%M} {sighting.url}")
    for at, action, detail, who in trail:
        print(f"  {at:%Y-%m-%d %H:%M} {who} {action} {detail}")
    return EXIT_OK
