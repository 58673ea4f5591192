"""Dedupe on real documents nobody on the team wrote: the samples in the team's shared folder.

    .venv/bin/python benchmarks/dedupe_samples.py [--samples ../shared/samples]

Parses each real feed (WordPress RSS, Drupal RSS, gov.uk finder Atom, gov.uk Search API) as
polling does, stores its entries through dedupe in an in-memory index and prints the merges
(unrelated real entries: there should be none). Then every real entry is reposted twice by a
bulletin, once as the same link with a tracking parameter and once as a page of its own whose
title and summary quote it, and prints how many reposts joined their entry.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aggregator.config.types import Config, SourceConfig  # noqa: E402
from aggregator.dedupe.decide import decide, lookup_keys, with_signature  # noqa: E402
from aggregator.models import FetchResult, Item, NewItem  # noqa: E402
from aggregator.normalise.canonical import canonical_url  # noqa: E402
from aggregator.poll.itemize import items_and_keys  # noqa: E402

SOURCES = (  # source id, type, URL, sample file, media type
    ("wordpress", "feed", "https://board.example.org.uk/feed/", "wordpress_rss2_feed.xml", "rss"),
    ("drupal", "feed", "https://drupal.example.org.uk/rss.xml", "drupal_rss_feed.xml", "rss"),
    ("govuk-finder", "feed", "https://www.gov.uk/search/all.atom",
     "govuk_finder_atom_feed.xml", "atom"),
    ("govuk-search", "govuk-search", "https://www.gov.uk/api/search.json",
     "govuk_search_api_response.json", "json"),
)  # fmt: skip
MEDIA = {"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/json"}


def load_memory_index() -> object:
    path = ROOT / "tests" / "fixtures" / "dedupe" / "memory_index.py"
    spec = importlib.util.spec_from_file_location("dedupe_memory_index", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.MemoryIndex()  # type: ignore[attr-defined]


def real_items(samples: Path) -> list[Item]:
    now = datetime.now(UTC)
    found: list[Item] = []
    for source_id, kind, url, name, media in SOURCES:
        source = SourceConfig(id=source_id, name=source_id, type=kind, url=url)  # type: ignore[arg-type]
        fetched = FetchResult(source_id, url, 200, (samples / name).read_bytes(), MEDIA[media])
        items, _ = items_and_keys(fetched, source, Config(path="", sources=(source,)), now)
        print(f"{source_id}: {len(items)} entries")
        found += items
    return found


def repost(item: Item, n: int, kind: str) -> Item:
    if kind == "tracked":
        url = (item.url or "") + ("&" if "?" in (item.url or "") else "?") + "utm_source=bulletin"
        title, summary = item.title, item.summary
    else:
        url = f"https://www.regional-bulletin.org.uk/2026/12/repost-{n}/"
        title, summary = f"Shared: {item.title}", f"From our partners: {item.summary}"
    return with_signature(
        replace(
            item,
            source_id=f"bulletin-{kind}",
            source_key=url,
            url=url,
            canonical_url=canonical_url(url),
            title=title,
            summary=summary,
            signature=None,
            published=item.published + timedelta(days=2),
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=ROOT.parent / "shared" / "samples")
    args = parser.parse_args()
    index: object = load_memory_index()
    entries = real_items(args.samples)
    merged = []
    for item in entries:
        keys = lookup_keys(item)
        decision = decide(item, index.candidates(keys), keys=keys)  # type: ignore[attr-defined]
        if not isinstance(decision, NewItem):
            merged.append(item.title)
        index.apply(decision)  # type: ignore[attr-defined]
    print(f"real entries: {len(entries)}, merged with another: {len(merged)} {merged}")
    joined, missed = 0, []
    for n, item in enumerate(entries):
        for kind in ("tracked", "quoted"):
            copy = repost(item, n, kind)
            keys = lookup_keys(copy)
            decision = decide(copy, index.candidates(keys), keys=keys)  # type: ignore[attr-defined]
            home = index.apply(decision)  # type: ignore[attr-defined]
            if (item.source_id, item.source_key) in index.items[home].sightings:  # type: ignore[attr-defined]
                joined += 1
            else:
                missed.append((kind, item.title[:50], len(item.summary)))
    print(f"reposts joined their entry: {joined} of {2 * len(entries)}; missed {missed}")


if __name__ == "__main__":
    main()
