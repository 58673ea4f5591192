"""Detail pages: each new item's own page read, at most max_per_poll a poll, politely; a page
that 404s is an error on the source that loses nothing stored."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from aggregator.clock import utcnow
from aggregator.config import load_config
from aggregator.models import SourceState
from aggregator.poll.pool import PollPool
from aggregator.poll.preview import preview
from aggregator.store import Storage
from tests.support.e2e import HTML, SETTINGS, cli, db_url, stored_items
from tests.support.feedserver import FeedServer

PAGES = Path(__file__).parents[1] / "fixtures" / "html" / "detail"
SLUGS = [
    "domestic-abuse-coercive-control-2027-01-14",
    "learning-from-sars-self-neglect",
    "working-together-2023-introduction",
]


@pytest.fixture
def server() -> FeedServer:
    srv = FeedServer()
    srv.set("/events/", (PAGES / "events_list.html").read_bytes(), HTML)
    for slug in SLUGS:
        srv.set(f"/event/{slug}/", (PAGES / f"event_{slug}.html").read_bytes(), HTML)
    return srv


def write_sources(workdir: Path, server: FeedServer) -> None:
    (workdir / "sources.toml").write_text(f"""{SETTINGS}
[[source]]
id = "eastborough-events"
name = "Eastborough events"
type = "html"
url = "{server.url("/events/")}"
category = "training"

[source.select]
item = "article.tribe-events-calendar-list__event"
link = "h3 a"

[source.detail]
summary = ".tribe-events-single-event-description"
event_date = "abbr.tribe-events-start-date@title"
venue = ".tribe-venue"
booking = ".tribe-events-event-url"
max_per_poll = 2
""")


def page_requests(server: FeedServer) -> list[str]:
    return [r.path for r in server.requests if r.path.startswith("/event/")]


def test_new_items_pages_are_read_at_most_max_per_poll_and_only_once(
    tmp_path: Path, server: FeedServer
) -> None:
    write_sources(tmp_path, server)
    with server:
        assert cli(tmp_path, "poll") == 0
        first = stored_items(tmp_path)
        assert page_requests(server) == [f"/event/{slug}/" for slug in SLUGS[:2]]
        assert cli(tmp_path, "poll") == 0  # the listing is read again for the one that waited
        assert page_requests(server) == [f"/event/{slug}/" for slug in SLUGS]
        listing = (PAGES / "events_list.html").read_bytes().replace(b"</main>", b"<p></p></main>")
        server.set("/events/", listing, HTML)  # changed, so read again: nothing new in it
        assert cli(tmp_path, "poll") == 0
        assert [r.path for r in server.requests].count("/events/") == 3
        assert len(page_requests(server)) == 3  # no page read again
    assert len(first) == 2
    items = {item.title: item for item in stored_items(tmp_path)}
    assert len(items) == 3
    course = items["Domestic Abuse and Coercive Control – Multi-agency Training"]
    assert course.event_date == date(2027, 1, 14)
    assert "recognise coercive and controlling behaviour" in course.summary
    assert course.content_html is not None
    assert "<strong>Venue:</strong> Eastborough Town Hall" in course.content_html
    assert (
        "https://www.eventbrite.co.uk/e/domestic-abuse-and-coercive-control" in course.content_html
    )
    later = items["Working Together 2023: an introduction"]
    assert later.event_date == date(2027, 3, 2)
    user_agents = {r.headers["User-Agent"] for r in server.requests}
    assert len(user_agents) == 1  # the pages are fetched as the listing is


def test_a_page_that_404s_is_an_error_and_loses_nothing_stored(
    tmp_path: Path, server: FeedServer
) -> None:
    write_sources(tmp_path, server)
    with server:
        assert cli(tmp_path, "poll") == 0
        server.documents.pop(f"/event/{SLUGS[2]}/")
        cli(tmp_path, "poll")
    stored = {item.title for item in stored_items(tmp_path)}
    assert len(stored) == 2
    with Storage.open(db_url(tmp_path)) as storage:
        error = storage.source_state("eastborough-events").last_error or ""
    assert "the page of 'Working Together 2023: an introduction'" in error
    assert "404" in error


def test_the_pools_processes_are_told_what_is_stored(tmp_path: Path, server: FeedServer) -> None:
    write_sources(tmp_path, server)
    config = load_config(tmp_path / "sources.toml")
    (source,) = config.sources
    pool = PollPool(processes=1, fetches=2)
    try:
        with server:
            assert cli(tmp_path, "poll") == 0  # the first two are stored
            with Storage.open(db_url(tmp_path)) as storage:
                known = storage.source_keys(source.id)
            assert len(known) == 2
            future = pool.submit(source, SourceState(source.id), config, utcnow(), known)
            fetched = future.result(timeout=60)
    finally:
        pool.close()
    assert fetched.ok, fetched.error
    assert [item.title for item in fetched.items] == ["Working Together 2023: an introduction"]
    assert fetched.items[0].event_date == date(2027, 3, 2)
    assert page_requests(server)[-1] == f"/event/{SLUGS[2]}/"


def test_preview_reads_the_first_pages_and_shows_every_item(
    tmp_path: Path, server: FeedServer
) -> None:
    write_sources(tmp_path, server)
    (source,) = load_config(tmp_path / "sources.toml").sources
    with server:
        shown = preview(load_config(tmp_path / "sources.toml"), source, now=utcnow())
    assert shown.ok, shown.error
    assert [item.event_date is not None for item in shown.items] == [True, True, False]
    assert len(page_requests(server)) == 2
