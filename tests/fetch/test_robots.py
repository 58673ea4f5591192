"""robots.txt: parsed per origin, cached, honoured before fetching, switchable per source."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.config import load_config
from aggregator.errors import FetchError
from aggregator.fetch.client import FetchPolicy, new_session
from aggregator.fetch.robots import (
    RETRY_TTL,
    ROBOTS_TTL,
    RobotsCache,
    RobotsDisallowed,
    parse_rules,
    robots_url,
    rules_after_error,
)
from aggregator.store import Storage
from tests.support.faultfarm import FaultServer, Reply, rss
from tests.support.feedserver import FeedServer

POLICY = FetchPolicy(timeout=(2.0, 2.0), deadline=2.0, allow_private_networks=True)
OURS_BLOCKED = """
User-agent: *
Disallow: /private/

User-agent: safeguarding-feeds
Disallow: /feeds/secret
"""


def no_slot(url: str) -> nullcontext[None]:
    return nullcontext()


def test_rules_match_our_product_token() -> None:
    rules = parse_rules(OURS_BLOCKED, expires=0)
    assert not rules.allows("https://b.example.org/feeds/secret.xml")
    assert rules.allows("https://b.example.org/feeds/public.xml")
    # our own group replaces the `*` group (RFC 9309), so /private/ is allowed to us
    assert rules.allows("https://b.example.org/private/x")
    assert rules.crawl_delay() is None


def test_crawl_delay_of_our_group() -> None:
    text = OURS_BLOCKED + "Crawl-delay: 3\n"
    assert parse_rules(text, expires=0).crawl_delay() == 3.0


def test_star_group_applies_when_none_names_us() -> None:
    rules = parse_rules("User-agent: *\nDisallow: /\n", expires=0)
    assert not rules.allows("https://b.example.org/feed")
    assert parse_rules("User-agent: otherbot\nDisallow: /\n", expires=0).allows("https://b/x")


@pytest.mark.parametrize(
    ("status", "ttl"), [(404, ROBOTS_TTL), (401, ROBOTS_TTL), (503, RETRY_TTL), (None, RETRY_TTL)]
)
def test_errors_allow_everything_for_a_while(status: int | None, ttl: float) -> None:
    rules = rules_after_error(FetchError("x", status=status), now=100.0)
    assert rules.allows("https://b.example.org/anything")
    assert rules.expires == 100.0 + ttl


def test_robots_url_is_per_origin() -> None:
    assert (
        robots_url("https://b.example.org:8443/a/b?c=d") == "https://b.example.org:8443/robots.txt"
    )


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        srv.set("/robots.txt", OURS_BLOCKED.encode(), "text/plain")
        yield srv


def test_cache_fetches_once_per_origin_until_expiry(server: FeedServer) -> None:
    now = [0.0]
    cache = RobotsCache(clock=lambda: now[0])
    session = new_session()
    cache.check(session, server.url("/feeds/public.xml"), POLICY, no_slot)
    cache.check(session, server.url("/other.xml"), POLICY, no_slot)
    assert len(server.requests_for("/robots.txt")) == 1
    with pytest.raises(RobotsDisallowed, match=r"disallowed by robots\.txt"):
        cache.check(session, server.url("/feeds/secret.xml"), POLICY, no_slot)
    now[0] = ROBOTS_TTL + 1
    cache.check(session, server.url("/feeds/public.xml"), POLICY, no_slot)
    assert len(server.requests_for("/robots.txt")) == 2


def test_server_error_is_asked_again_soon() -> None:
    now = [0.0]
    cache = RobotsCache(clock=lambda: now[0])
    session = new_session()
    with FaultServer({"/robots.txt": Reply(503, b"down")}) as srv:
        cache.check(session, srv.url("/feed"), POLICY, no_slot)
        cache.check(session, srv.url("/feed"), POLICY, no_slot)
        assert srv.hits("/robots.txt") == 1
        now[0] = RETRY_TTL + 1
        cache.check(session, srv.url("/feed"), POLICY, no_slot)
        assert srv.hits("/robots.txt") == 2


def poll_config(tmp_path: Path, server: FeedServer, robots_line: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(f"""
[settings]
allow_private_networks = true
per_host_delay = "0s"
timeout = "2s"
deadline = "2s"
{robots_line}

[[source]]
id = "secret"
name = "Secret"
url = "{server.url("/feeds/secret.xml")}"

[[source]]
id = "public"
name = "Public"
url = "{server.url("/feeds/public.xml")}"

[[source]]
id = "secret-opted-out"
name = "Secret, robots ignored for this source"
url = "{server.url("/feeds/secret.xml?copy")}"
robots = false
""")
    return path


@pytest.mark.parametrize("robots_line", ["", "robots = true", "robots = false"])
def test_poll_honours_robots_unless_switched_off(
    tmp_path: Path, server: FeedServer, robots_line: str
) -> None:
    from aggregator.poll.poller import Poller

    server.set("/feeds/secret.xml", rss("secret", 2))
    server.set("/feeds/secret.xml?copy", rss("secret", 2))
    server.set("/feeds/public.xml", rss("public", 1))
    config = load_config(poll_config(tmp_path, server, robots_line))
    with Storage.open(f"sqlite:///{tmp_path / 'db.sqlite'}") as storage:
        poller = Poller.create(config, storage)
        poller.clock = lambda: datetime(2026, 1, 1, tzinfo=UTC)
        outcomes = {o.source_id: o for o in poller.poll(config.sources)}
        state = storage.source_state("secret")
    assert outcomes["public"].ok and outcomes["secret-opted-out"].ok
    if robots_line == "robots = false":
        assert outcomes["secret"].ok
        assert not server.requests_for("/robots.txt")
    else:
        assert not outcomes["secret"].ok
        assert state.last_error is not None and "disallowed by robots.txt" in state.last_error
        assert not server.requests_for("/feeds/secret.xml")
        assert len(server.requests_for("/robots.txt")) == 1
