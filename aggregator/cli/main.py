"""The `aggregator` command line: global options, then one sub-command per task."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aggregator.config import check_config, load_config
from aggregator.config.types import Config
from aggregator.errors import AggregatorError, ConfigErrors
from aggregator.models import PollOutcome

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

    from aggregator.store import Storage

EXIT_OK, EXIT_PROBLEMS, EXIT_CONFIG = 0, 1, 2
Handler = Callable[[argparse.Namespace], int]


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
    poll.set_defaults(handler=cmd_poll)
    commands.add_parser("publish", help="regenerate every output").set_defaults(handler=cmd_publish)
    run = commands.add_parser("run", help="scheduler + publishing + web server")
    _add_listen_options(run)
    run.set_defaults(handler=cmd_run)
    serve = commands.add_parser("serve", help="only the web server for the feeds directory")
    _add_listen_options(serve)
    serve.add_argument(
        "--from-db", action="store_true", help="serve the documents published into the database"
    )
    serve.add_argument(
        "--admin", action="store_true", help="also serve the admin console at /admin"
    )
    serve.set_defaults(handler=cmd_serve)

    from aggregator.cli import admin as cli_admin

    cli_admin.register(commands)
    from aggregator.cli import users as cli_users

    cli_users.register(commands)
    return parser


def _add_listen_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=os.environ.get("AGGREGATOR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("AGGREGATOR_PORT", "8080")))
    parser.add_argument(
        "--trust-proxy",
        action="store_true",
        default=os.environ.get("AGGREGATOR_TRUST_PROXY", "") in ("1", "true", "yes"),
        help="behind a reverse proxy: believe X-Forwarded-Proto/-For (env AGGREGATOR_TRUST_PROXY)",
    )


def load_or_report(args: argparse.Namespace) -> Config | None:
    """The configuration, or None after printing every problem as FILE:LINE: message."""
    try:
        return load_config(args.sources)
    except ConfigErrors as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return None


def open_storage(args: argparse.Namespace) -> Storage:
    from aggregator.store import Storage

    return Storage.open(args.db)


def cmd_poll(args: argparse.Namespace) -> int:
    from aggregator.ops.progress import Progress
    from aggregator.poll.poller import select_sources
    from aggregator.runtime.cycle import Cycle

    config = load_or_report(args)
    if config is None:
        return EXIT_CONFIG
    try:
        sources = select_sources(config, args.source)
    except KeyError as exc:
        print(f"{args.sources}: unknown source id: {exc.args[0]}", file=sys.stderr)
        return EXIT_CONFIG
    storage = open_storage(args)
    try:
        # Off a terminal the per-source report below is the plain-line output.
        cycle = Cycle.fixed(storage, config, Path(args.feeds_dir))
        with Progress(len(sources), "poll", lines=False) as progress:
            outcomes = cycle.poll(sources, on_outcome=lambda o: progress.step(o.source_id))
        report_outcomes(outcomes)
        # Always: a run killed between storing and publishing is caught up by the next one,
        # and unchanged outputs are not rewritten.
        cycle.publish()
    finally:
        storage.close()
    return EXIT_OK


def report_outcomes(outcomes: Sequence[PollOutcome]) -> None:
    for outcome in sorted(outcomes, key=lambda o: o.source_id):
        if outcome.ok:
            state = (
                "not modified"
                if outcome.not_modified
                else (f"{outcome.new} new, {outcome.updated} updated, {outcome.merged} merged")
            )
            print(f"{outcome.source_id}: {state}")
            if outcome.extra.get("warning"):
                print(f"warning: {outcome.extra['warning']}", file=sys.stderr)
        else:
            print(f"{outcome.source_id}: {outcome.error}", file=sys.stderr)


def cmd_publish(args: argparse.Namespace) -> int:
    from aggregator.clock import utcnow
    from aggregator.publish import publish

    config = load_or_report(args)
    if config is None:
        return EXIT_CONFIG
    storage = open_storage(args)
    try:
        changed = publish(storage, config, Path(args.feeds_dir), now=utcnow())
    finally:
        storage.close()
    print(f"published: {len(changed)} file(s) changed in {args.feeds_dir}")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from aggregator.runtime.service import Service

    if load_or_report(args) is None:
        return EXIT_CONFIG
    Path(args.feeds_dir).mkdir(parents=True, exist_ok=True)
    Service(
        Path(args.sources),
        args.db,
        Path(args.feeds_dir),
        args.host,
        args.port,
        trust_proxy=args.trust_proxy,
    ).run()
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from aggregator.web import create_app
    from aggregator.web.server import serve

    feeds_dir = Path(args.feeds_dir)
    if getattr(args, "from_db", False):
        return serve_from_db(args)
    feeds_dir.mkdir(parents=True, exist_ok=True)
    print(f"serving {feeds_dir} on http://{args.host}:{args.port}/", file=sys.stderr)
    storage = open_storage(args) if args.admin else None
    try:
        serve(create_app(feeds_dir, mounts=admin_mounts(args, storage)), args.host, args.port)
    finally:
        if storage is not None:
            storage.close()
    return EXIT_OK


def admin_mounts(args: argparse.Namespace, storage: Storage | None) -> dict[str, WSGIApplication]:
    """`serve --admin`: the console at /admin, beside the published feeds."""
    if storage is None or not args.admin:
        return {}
    from aggregator.admin.standalone import standalone_admin

    app = standalone_admin(
        storage, Path(args.sources), Path(args.feeds_dir), trust_proxy=args.trust_proxy
    )
    return {"/admin": app}


def serve_from_db(args: argparse.Namespace) -> int:
    """A web node: every node serving one database answers with the same bytes and ETag."""
    from aggregator.web import create_app
    from aggregator.web.dbsource import DatabaseSource
    from aggregator.web.server import serve

    storage = open_storage(args)
    try:
        print(f"serving {args.db} documents on http://{args.host}:{args.port}/", file=sys.stderr)
        app = create_app(
            Path(args.feeds_dir),
            source=DatabaseSource(storage),
            mounts=admin_mounts(args, storage),
        )
        serve(app, args.host, args.port)
    finally:
        storage.close()
    return EXIT_OK


def cmd_sources_check(args: argparse.Namespace) -> int:
    problems = check_config(args.sources)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{args.sources}: ok")
    return EXIT_PROBLEMS if problems else EXIT_OK


def configure_logging(command: str, *, verbose: bool, log_format: str = "kv") -> None:
    """INFO for the service; one-shot commands report their own outcome, so only errors."""
    from aggregator.ops import logs

    quiet = command in ("poll", "publish", "sources", "items", "users")
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
