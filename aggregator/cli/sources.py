"""`aggregator sources add | preview | import-opml`."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from urllib.parse import urlsplit

from aggregator.cli.common import EXIT_CONFIG, EXIT_OK, fail, load_or_report
from aggregator.config.edit import append_source
from aggregator.config.types import Config
from aggregator.errors import AggregatorError, ConfigErrors
from aggregator.fetch.client import FetchPolicy, fetch, new_session
from aggregator.models import SourceState
from aggregator.normalise.canonical import canonical_url


def slug_for(url: str, taken: set[str]) -> str:
    host = (urlsplit(url).hostname or "source").removeprefix("www.")
    base = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-") or "source"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def discover(url: str, config: Config) -> tuple[str, str | None]:
    """(feed URL, feed title): the URL itself when it is a feed, else the page's alternate link."""
    from aggregator.parsers.html import discover_feeds

    policy = FetchPolicy.from_config(config.settings, None)
    result = fetch(new_session(), "discover", url, SourceState("discover"), policy)
    kind = result.content_type or ""
    if "html" not in kind:
        return result.url, None
    feeds = discover_feeds(result.body or b"", result.url)
    if not feeds:
        raise AggregatorError(f"no feed advertised on {url} (no <link rel=alternate>)")
    return feeds[0]


def cmd_add(args: argparse.Namespace) -> int:
    config = load_or_report(args)
    if config is None:
        return EXIT_CONFIG
    try:
        feed_url, title = discover(args.url, config)
    except AggregatorError as exc:
        return fail(f"{args.url}: {exc}")
    fields: dict[str, object] = {
        "id": args.id or slug_for(feed_url, {s.id for s in config.sources}),
        "name": args.name or title or urlsplit(feed_url).hostname or feed_url,
        "type": "feed",
        "url": feed_url,
    }
    if args.category:
        fields["category"] = args.category
    return _append(args.sources, fields)


def _append(path: str, fields: dict[str, object]) -> int:
    try:
        append_source(path, fields)
    except ConfigErrors as exc:
        for error in exc.errors:
            print(error)
        return 1
    print(f"added source {fields['id']}: {fields['url']}")
    return EXIT_OK


def cmd_preview(args: argparse.Namespace) -> int:
    from aggregator.clock import utcnow
    from aggregator.poll.preview import field_lines, preview

    config = load_or_report(args)
    if config is None:
        return EXIT_CONFIG
    source = config.source(args.id)
    if source is None:
        return fail(f"unknown source id: {args.id}")
    fetched = preview(config, source, now=utcnow())
    if not fetched.ok:
        return fail(f"{source.id}: {fetched.error}")
    for position, item in enumerate(fetched.items):
        types = (item.review_type, *item.joint_types) if item.review_type else ()
        kind = "/".join((item.category, *types))
        print(f"{item.published:%Y-%m-%d} {kind:<16} {item.title}\n    {item.url}")
        if item.summary:
            print(f"    {item.summary[:160]}")
        if item.themes:
            print(f"    themes: {', '.join(item.themes)}")
        if position < len(fetched.matches):
            print("\n".join("      " + line for line in field_lines(fetched.matches[position])))
    for warning in fetched.warnings:
        print(f"warning: {warning}")
    print(f"{len(fetched.items)} item(s) from {source.id}")
    return EXIT_OK


def cmd_import_opml(args: argparse.Namespace) -> int:
    from aggregator.ops.progress import Progress
    from aggregator.publish.opml import parse_opml

    config = load_or_report(args)
    if config is None:
        return EXIT_CONFIG
    known_urls = {canonical_url(s.url) for s in config.sources}
    taken = {s.id for s in config.sources}
    added = 0
    entries = parse_opml(Path(args.file).read_bytes())
    with Progress(len(entries), "import", lines=False) as progress:
        for title, xml_url, _html_url in entries:
            progress.step(xml_url)
            if canonical_url(xml_url) in known_urls:
                continue
            if _import_one(args, title, xml_url, taken) != EXIT_OK:
                return 1
            known_urls.add(canonical_url(xml_url))
            added += 1
    print(f"imported {added} source(s) from {args.file}")
    return EXIT_OK


def _import_one(args: argparse.Namespace, title: str, xml_url: str, taken: set[str]) -> int:
    fields: dict[str, object] = {
        "id": slug_for(xml_url, taken),
        "name": title or xml_url,
        "type": "feed",
        "url": xml_url,
    }
    if args.category:
        fields["category"] = args.category
    code = _append(args.sources, fields)
    taken.add(str(fields["id"]))
    return code
