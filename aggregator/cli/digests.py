"""`aggregator digests send | list`: email digests from cron, and who gets them."""

from __future__ import annotations

import argparse

from aggregator.cli.common import (
    EXIT_CONFIG,
    EXIT_OK,
    Subparsers,
    lazy,
    load_or_report,
    open_storage,
)


def register(commands: Subparsers) -> None:
    parser = commands.add_parser("digests", help="send the email digests that are due, list them")
    sub = parser.add_subparsers(dest="digests_command", required=True, metavar="ACTION")
    send = sub.add_parser("send", help="send every digest due now (for cron)")
    send.add_argument(
        "--lease-ttl", type=float, default=600.0, help="seconds a dead sender's claim lasts"
    )
    send.set_defaults(handler=lazy("aggregator.cli.digests", "cmd_send"))
    listing = sub.add_parser("list", help="subscribers per feed and frequency")
    listing.set_defaults(handler=lazy("aggregator.cli.digests", "cmd_list"))


def cmd_send(args: argparse.Namespace) -> int:
    from aggregator.digest.send import DigestSender
    from aggregator.notify.alerts import node_name

    config = load_or_report(args)
    if config is None:
        return EXIT_CONFIG
    storage = open_storage(args)
    try:
        sender = DigestSender(storage, lambda: config, node_name(), ttl=args.lease_ttl)
        sent = sender.send_due()
    finally:
        storage.close()
    print(f"digests sent: {sent}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    config = load_or_report(args)
    if config is None:
        return EXIT_CONFIG
    storage = open_storage(args)
    try:
        counts = storage.subscriber_counts()
    finally:
        storage.close()
    print(f"{'feed':<20} {'daily':>7} {'weekly':>7}")
    for feed in config.feeds:
        daily, weekly = counts.get((feed.id, "daily"), 0), counts.get((feed.id, "weekly"), 0)
        print(f"{feed.id:<20} {daily:>7} {weekly:>7}")
    return EXIT_OK
