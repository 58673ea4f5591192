"""The `aggregator` command line: global options, then one sub-command per task."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from aggregator.cli import admin as cli_admin
from aggregator.cli import digests as cli_digests
from aggregator.cli import users as cli_users
from aggregator.cli.common import EXIT_PROBLEMS, Handler, lazy
from aggregator.errors import AggregatorError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aggregator", description=__doc__)
    env = os.environ.get
    parser.add_argument(
        "--sources",
        default=env("AGGREGATOR_SOURCES", "sources.toml"),
        help="sources file (env AGGREGATOR_SOURCES; default sources.toml)",
    )
    parser.add_argument(
        "--db",
        default=env("AGGREGATOR_DB", "sqlite:///db/aggregator.sqlite"),
        help="SQLAlchemy database URL (env AGGREGATOR_DB)",
    )
    parser.add_argument(
        "--feeds-dir",
        default=env("AGGREGATOR_FEEDS_DIR", "feeds"),
        help="where outputs are written (env AGGREGATOR_FEEDS_DIR; default feeds)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    parser.add_argument(
        "--log-format",
        choices=("kv", "json"),
        default=env("AGGREGATOR_LOG_FORMAT", "kv"),
        help="log lines as key=value or JSON (env AGGREGATOR_LOG_FORMAT; default kv)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    poll = commands.add_parser("poll", help="poll sources once now, store what is new")
    poll.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="ID",
        help="poll only this source (repeatable)",
    )
    poll.set_defaults(handler=lazy("aggregator.cli.service", "cmd_poll"))
    publish = commands.add_parser(
        "publish", help="regenerate the outputs (nothing to do when nothing changed)"
    )
    publish.add_argument(
        "--force", action="store_true", help="render every output even when nothing changed"
    )
    publish.set_defaults(handler=lazy("aggregator.cli.service", "cmd_publish"))
    run = commands.add_parser("run", help="scheduler + publishing + web server")
    _add_listen_options(run)
    run.set_defaults(handler=lazy("aggregator.cli.service", "cmd_run"))
    serve = commands.add_parser("serve", help="only the web server for the feeds directory")
    _add_listen_options(serve)
    serve.add_argument(
        "--from-db", action="store_true", help="serve the documents published into the database"
    )
    serve.add_argument(
        "--admin", action="store_true", help="also serve the admin console at /admin"
    )
    serve.set_defaults(handler=lazy("aggregator.cli.service", "cmd_serve"))

    cli_admin.register(commands)
    cli_digests.register(commands)
    cli_users.register(commands)
    return parser


def _add_listen_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=os.environ.get("AGGREGATOR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("AGGREGATOR_PORT", "8080")))
    parser.add_argument(
        "--trust-proxy",
        action="store_true",
        default=os.environ.get("AGGREGATOR_TRUST_PROXY", "") in ("1", "true", "yes"),
        help="behind a reverse proxy: take the client's address and scheme from the proxy's "
        "X-Forwarded-For/-Proto (env AGGREGATOR_TRUST_PROXY)",
    )
    parser.add_argument(
        "--proxy-address",
        default=os.environ.get("AGGREGATOR_PROXY_ADDRESS", "127.0.0.1"),
        help="with --trust-proxy: the proxy's address as this server sees it "
        "(env AGGREGATOR_PROXY_ADDRESS; default 127.0.0.1)",
    )
    parser.add_argument(
        "--proxy-count",
        type=int,
        default=int(os.environ.get("AGGREGATOR_PROXY_COUNT", "1")),
        help="with --trust-proxy: how many proxies in a row append to X-Forwarded-For "
        "(env AGGREGATOR_PROXY_COUNT; default 1)",
    )


def configure_logging(command: str, *, verbose: bool, log_format: str = "kv") -> None:
    """INFO for the service; one-shot commands report their own outcome, so only errors."""
    from aggregator.ops import logs

    quiet = command in ("poll", "publish", "sources", "items", "users", "digests")
    level = logging.DEBUG if verbose else (logging.ERROR if quiet else logging.INFO)
    logs.configure(level, log_format if log_format in logs.FORMATS else "kv")
    for noisy in ("apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.command, verbose=args.verbose, log_format=args.log_format)
    handler: Handler = args.handler
    try:
        return handler(args)
    except AggregatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        return 130
