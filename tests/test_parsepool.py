"""ParsePool: a worker process that dies takes only its own source down."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from aggregator.config import parse_config
from aggregator.errors import ParseError
from aggregator.models import FetchResult
from aggregator.parsepool import ParsePool
from tests.parsepool_support import crash_on_crasher, slow_or_crash

CONFIG = parse_config(
    '[[source]]\nid = "a"\nname = "A"\ntype = "feed"\nurl = "https://a.example.org/feed"\n',
    "sources.toml",
)
NOW = datetime(2026, 11, 26, tzinfo=UTC)


def parse(pool: ParsePool, source_id: str) -> object:
    source = CONFIG.sources[0]
    source = type(source)(id=source_id, name=source_id, type="feed", url=source.url)
    result = FetchResult(source_id, f"https://{source_id}.example.org/feed", 200, b"<rss/>")
    return pool.items_and_keys(result, source, CONFIG, NOW)


def test_a_dead_worker_fails_its_source_and_the_next_sources_parse() -> None:
    pool = ParsePool(workers=2, task=crash_on_crasher)
    try:
        assert parse(pool, "before") == ([], [("before", "https://before.example.org/feed")])
        with pytest.raises(ParseError, match="worker died"):
            parse(pool, "crasher")
        for source_id in ("after", "later"):
            expected = ([], [(source_id, f"https://{source_id}.example.org/feed")])
            assert parse(pool, source_id) == expected
    finally:
        pool.close()


def test_sources_parsed_beside_a_crashing_one_are_not_blamed_for_it() -> None:
    pool = ParsePool(workers=2, task=slow_or_crash)
    names = ["crasher", "good-1", "good-2", "good-3"]
    try:
        with ThreadPoolExecutor(len(names)) as threads:
            futures = {name: threads.submit(parse, pool, name) for name in names}
        with pytest.raises(ParseError, match="worker died"):
            futures["crasher"].result()
        for name in names[1:]:
            assert futures[name].result() == ([], [(name, f"https://{name}.example.org/feed")])
    finally:
        pool.close()


def test_a_closed_pool_starts_no_workers() -> None:
    pool = ParsePool(workers=1, task=crash_on_crasher)
    pool.close()
    with pytest.raises(ParseError, match="closed"):
        parse(pool, "late")
