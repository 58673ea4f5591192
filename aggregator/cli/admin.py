"""Admin sub-commands: `sources ...` and `items ...` (curation that sticks across polls)."""

from __future__ import annotations

import argparse

from aggregator.cli.common import EXIT_OK, EXIT_PROBLEMS, Subparsers, lazy
from aggregator.config import check_config
from aggregator.models import CATEGORIES, REVIEW_TYPES
from aggregator.themes import THEMES


def register(commands: Subparsers) -> None:
    _register_sources(commands.add_parser("sources", help="check, add, preview sources"))
    _register_items(commands.add_parser("items", help="list and curate stored items"))
    _register_worker(commands.add_parser("worker", help="poll due sources; many share one DB"))


def _register_worker(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--id", help="worker name held in leases (default host:pid)")
    parser.add_argument("--batch", type=int, default=20, help="sources claimed per round")
    parser.add_argument(
        "--lease-ttl", type=float, default=600.0, help="seconds a dead worker's claims last"
    )
    parser.add_argument("--once", action="store_true", help="stop when nothing is due")
    parser.add_argument(
        "--metrics-port", type=int, help="serve Prometheus /metrics on this port (0: any free)"
    )
    parser.add_argument(
        "--metrics-host", default="127.0.0.1", help="address for --metrics-port (default 127.0.0.1)"
    )
    parser.set_defaults(handler=lazy("aggregator.cli.service", "cmd_worker"))


def _register_sources(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="sources_command", required=True, metavar="ACTION")
    sub.add_parser("check", help="validate sources.toml").set_defaults(handler=cmd_sources_check)
    add = sub.add_parser("add", help="discover the feed of a page and add it as a source")
    add.add_argument("url")
    add.add_argument("--id", help="source id (default: derived from the host)")
    add.add_argument("--name", help="source name (default: the feed's title)")
    add.add_argument("--category", choices=CATEGORIES)
    add.set_defaults(handler=lazy("aggregator.cli.sources", "cmd_add"))
    preview = sub.add_parser(
        "preview", help="fetch one source and print its items, storing nothing"
    )
    preview.add_argument("id")
    preview.set_defaults(handler=lazy("aggregator.cli.sources", "cmd_preview"))
    opml = sub.add_parser("import-opml", help="add every feed of an OPML file as a source")
    opml.add_argument("file")
    opml.add_argument("--category", choices=CATEGORIES)
    opml.set_defaults(handler=lazy("aggregator.cli.sources", "cmd_import_opml"))


def _register_items(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="items_command", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="list items, newest first")
    listing.add_argument("--feed", help="only items of this output feed")
    listing.add_argument("--search", help="text in the title or summary")
    listing.add_argument("--hidden", action="store_true", help="include hidden items")
    listing.add_argument("--theme", action="append", choices=THEMES, help="only items with it")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(handler=lazy("aggregator.cli.items", "cmd_list"))
    for action, help_text in (
        ("hide", "hide an item from every output"),
        ("unhide", "show a hidden item again"),
        ("pin", "keep an item at the top of the block and feeds"),
        ("unpin", "stop pinning an item"),
        ("delete", "delete an item for good (it never comes back)"),
        ("split", "undo a merge: every other sighting becomes its own item"),
        ("show", "show an item, its sightings and its audit trail"),
    ):
        one = sub.add_parser(action, help=help_text)
        one.add_argument("id", type=int)
        one.set_defaults(handler=lazy("aggregator.cli.items", f"cmd_{action}"))
    merge = sub.add_parser("merge", help="merge item B into item A (A keeps its id)")
    merge.add_argument("a", type=int)
    merge.add_argument("b", type=int)
    merge.set_defaults(handler=lazy("aggregator.cli.items", "cmd_merge"))
    setter = sub.add_parser("set", help="recategorise an item, or choose its themes")
    setter.add_argument("id", type=int)
    setter.add_argument("--category", choices=CATEGORIES)
    setter.add_argument(
        "--review-type",
        action="append",
        choices=REVIEW_TYPES,
        help="the item's review type; repeat it for a joint review (the first is its main type)",
    )
    _register_themes(setter)
    setter.set_defaults(handler=lazy("aggregator.cli.items", "cmd_set"))


def _register_themes(setter: argparse.ArgumentParser) -> None:
    themes = setter.add_mutually_exclusive_group()
    themes.add_argument(
        "--theme",
        action="append",
        choices=THEMES,
        metavar="THEME",
        help="the item's themes from now on, whatever later polls find (repeat for several; "
        f"one of: {', '.join(THEMES)})",
    )
    themes.add_argument("--no-themes", action="store_true", help="the item has no theme")
    themes.add_argument(
        "--auto-themes", action="store_true", help="themes from the heuristics and rules again"
    )


def cmd_sources_check(args: argparse.Namespace) -> int:
    problems = check_config(args.sources)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{args.sources}: ok")
    return EXIT_PROBLEMS if problems else EXIT_OK
