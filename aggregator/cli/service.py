"""`aggregator poll | publish | run | serve | worker`: the service's own commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aggregator.cli.common import EXIT_CONFIG, EXIT_OK, load_or_report, open_storage
from aggregator.models import PollOutcome

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

    from aggregator.store import Storage
    from aggregator.web.proxy import ProxyTrust


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
    from aggregator.publish.run import publish

    config = load_or_report(args)
    if config is None:
        return EXIT_CONFIG
    storage = open_storage(args)
    try:
        changed = publish(storage, config, Path(args.feeds_dir), now=utcnow(), force=args.force)
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
        proxy=proxy_trust(args),
    ).run()
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from aggregator.ops.webmetrics import with_metrics
    from aggregator.web import create_app
    from aggregator.web.server import serve

    feeds_dir = Path(args.feeds_dir)
    if getattr(args, "from_db", False):
        return serve_from_db(args)
    feeds_dir.mkdir(parents=True, exist_ok=True)
    print(f"serving {feeds_dir} on http://{args.host}:{args.port}/", file=sys.stderr)
    storage = open_storage(args) if args.admin else None
    try:
        app = create_app(feeds_dir, mounts=admin_mounts(args, storage))
        states = storage.source_states if storage is not None else None
        serve(with_metrics(app, states), args.host, args.port, proxy=proxy_trust(args))
    finally:
        if storage is not None:
            storage.close()
    return EXIT_OK


def admin_mounts(args: argparse.Namespace, storage: Storage | None) -> dict[str, WSGIApplication]:
    """`serve --admin`: the console at /admin, beside the published feeds."""
    if storage is None or not args.admin:
        return {}
    from aggregator.runtime.console import standalone_admin

    app = standalone_admin(storage, Path(args.sources), Path(args.feeds_dir))
    return {"/admin": app}


def subscribe_mounts(args: argparse.Namespace, storage: Storage) -> dict[str, WSGIApplication]:
    """`serve --from-db`: the digest's /subscribe and /unsubscribe pages, with the feeds and
    SMTP settings sources.toml had at start (none when it cannot be read)."""
    from aggregator.digest.web import SubscribeApp

    config = load_or_report(args)
    if config is None:
        return {}
    app = SubscribeApp(storage, lambda: config)
    return {"/subscribe": app, "/unsubscribe": app}


def proxy_trust(args: argparse.Namespace) -> ProxyTrust | None:
    """`--trust-proxy`: the proxy whose X-Forwarded-For/-Proto waitress believes."""
    from aggregator.web.proxy import ProxyTrust

    if not args.trust_proxy:
        return None
    return ProxyTrust(args.proxy_address, max(1, args.proxy_count))


def serve_from_db(args: argparse.Namespace) -> int:
    """A web node: every node serving one database answers with the same bytes and ETag."""
    from aggregator.ops.webmetrics import with_metrics
    from aggregator.web import create_app
    from aggregator.web.dbsource import DatabaseSource
    from aggregator.web.server import serve

    storage = open_storage(args)
    try:
        print(f"serving {args.db} documents on http://{args.host}:{args.port}/", file=sys.stderr)
        mounts = {**admin_mounts(args, storage), **subscribe_mounts(args, storage)}
        app = create_app(Path(args.feeds_dir), source=DatabaseSource(storage), mounts=mounts)
        app = with_metrics(app, storage.source_states)
        serve(app, args.host, args.port, proxy=proxy_trust(args))
    finally:
        storage.close()
    return EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:
    from aggregator.runtime.worker import Worker, default_name

    worker = Worker(
        Path(args.sources),
        args.db,
        Path(args.feeds_dir),
        name=args.id or default_name(),
        batch=args.batch,
        lease_ttl=args.lease_ttl,
        metrics_port=args.metrics_port,
        metrics_host=args.metrics_host,
    )
    worker.install_signal_handlers()
    worker.run(once=args.once)
    return 0
