"""Listings that page: `next` followed up to `max_pages`, politely; a loop is a recorded error."""

from __future__ import annotations

from pathlib import Path

import pytest

from aggregator.store import Storage
from tests.support.e2e import HTML, SETTINGS, cli, db_url, stored_items
from tests.support.feedserver import FeedServer

PAGES = Path(__file__).parents[1] / "fixtures" / "html" / "paged"
PAGE_1 = ["Safeguarding Adults Review – ‘Joan’ published", "Annual Report 2025–26"]
PAGE_2 = ["7MB – CSPR Child L", "Domestic Homicide Review – Mr B"]
PAGE_3 = ["Learning event: self-neglect in later life", "SAR Adult D: executive summary"]


def page(number: int) -> bytes:
    return (PAGES / f"news_page{number}.html").read_bytes()


@pytest.fixture
def server() -> FeedServer:
    srv = FeedServer()
    srv.set("/news/", page(1), HTML)
    srv.set("/news/page/2/", page(2), HTML)
    srv.set("/news/page/3/", page(3), HTML)
    return srv


def write_sources(workdir: Path, server: FeedServer, max_pages: int | None) -> None:
    pages = "" if max_pages is None else f"max_pages = {max_pages}\n"
    (workdir / "sources.toml").write_text(f"""{SETTINGS}
[[source]]
id = "eastborough"
name = "Eastborough news"
type = "html"
url = "{server.url("/news/")}"
{pages}
[source.select]
item = "article.post"
title = "h2.entry-title"
link = "h2.entry-title a"
date = "time.entry-date"
next = "a.next@href"
""")


def titles(workdir: Path) -> set[str]:
    return {item.title for item in stored_items(workdir)}


def source_error(workdir: Path) -> str | None:
    with Storage.open(db_url(workdir)) as storage:
        return storage.source_state("eastborough").last_error


@pytest.mark.parametrize(
    ("max_pages", "expected", "fetched"),
    [
        (None, PAGE_1, ["/news/"]),
        (2, PAGE_1 + PAGE_2, ["/news/", "/news/page/2/"]),
        (3, PAGE_1 + PAGE_2 + PAGE_3, ["/news/", "/news/page/2/", "/news/page/3/"]),
        (10, PAGE_1 + PAGE_2 + PAGE_3, ["/news/", "/news/page/2/", "/news/page/3/"]),
    ],
)
def test_next_is_followed_up_to_max_pages(
    tmp_path: Path,
    server: FeedServer,
    max_pages: int | None,
    expected: list[str],
    fetched: list[str],
) -> None:
    write_sources(tmp_path, server, max_pages)
    with server:
        assert cli(tmp_path, "poll", "--source", "eastborough") == 0
    assert titles(tmp_path) == set(expected)
    assert [r.path for r in server.requests] == fetched


def test_further_pages_are_fetched_unconditionally_and_politely(
    tmp_path: Path, server: FeedServer
) -> None:
    write_sources(tmp_path, server, 3)
    with server:
        assert cli(tmp_path, "poll", "--source", "eastborough") == 0
        server.set("/news/", page(1).replace(b"Annual Report", b"The Annual Report"), HTML)
        assert cli(tmp_path, "poll", "--source", "eastborough") == 0
    later = server.requests[3:]
    assert [r.path for r in later] == ["/news/", "/news/page/2/", "/news/page/3/"]
    assert "If-None-Match" in later[0].headers  # the listing itself: conditional
    assert all("If-None-Match" not in r.headers for r in later[1:])
    assert all(r.headers["User-Agent"] == later[0].headers["User-Agent"] for r in later)


def test_a_next_link_that_loops_is_an_error_and_loses_nothing_stored(
    tmp_path: Path, server: FeedServer
) -> None:
    write_sources(tmp_path, server, 5)
    with server:
        assert cli(tmp_path, "poll", "--source", "eastborough") == 0
        before = titles(tmp_path)
        looped = page(2).replace(b'class="next page-numbers" href="/news/page/3/"',
                                 b'class="next page-numbers" href="/news/"')  # fmt: skip
        assert looped != page(2)
        server.set("/news/page/2/", looped, HTML)
        server.set("/news/", page(1).replace(b"Annual Report", b"The Annual Report"), HTML)
        cli(tmp_path, "poll", "--source", "eastborough")
    assert before == set(PAGE_1 + PAGE_2 + PAGE_3)
    assert titles(tmp_path) == before
    error = source_error(tmp_path)
    assert error is not None and "the listing's pages loop" in error
    assert server.url("/news/") in error


def test_a_further_page_that_404s_is_an_error_and_loses_nothing_stored(
    tmp_path: Path, server: FeedServer
) -> None:
    write_sources(tmp_path, server, 3)
    with server:
        assert cli(tmp_path, "poll", "--source", "eastborough") == 0
        server.documents.pop("/news/page/3/")
        server.set("/news/", page(1).replace(b"Annual Report", b"The Annual Report"), HTML)
        cli(tmp_path, "poll", "--source", "eastborough")
    assert titles(tmp_path) == set(PAGE_1 + PAGE_2 + PAGE_3)
    assert "404" in (source_error(tmp_path) or "")
