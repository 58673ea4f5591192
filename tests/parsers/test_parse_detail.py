"""[source.detail] on an item's own page: The Events Calendar's event, a WordPress post."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from aggregator.config.types import DetailSelectors
from aggregator.errors import ParseError
from aggregator.models import FetchResult, ParsedItem
from aggregator.parsers.detail import Detail, enrich, read

PAGES = Path(__file__).parents[1] / "fixtures" / "html" / "detail"
NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
EVENT = DetailSelectors(
    summary=".tribe-events-single-event-description",
    event_date="abbr.tribe-events-start-date@title",
    venue=".tribe-venue",
    booking=".tribe-events-event-url",
)


def fetched(name: str, url: str) -> FetchResult:
    body = (PAGES / name).read_bytes()
    return FetchResult("board", url, 200, body, content_type="text/html", charset="utf-8")


def test_an_events_calendar_page_gives_date_venue_booking_and_text() -> None:
    url = "https://www.eastboroughsafeguarding.org.uk/event/domestic-abuse-coercive-control-2027-01-14/"
    found = read(fetched("event_domestic-abuse-coercive-control-2027-01-14.html", url), EVENT, NOW)
    assert found.event_date == date(2027, 1, 14)
    assert found.venue == "Eastborough Town Hall"
    assert found.booking == (
        "https://www.eventbrite.co.uk/e/domestic-abuse-and-coercive-control-tickets-812345678901"
    )
    assert found.summary_html is not None
    assert "recognise coercive and controlling behaviour" in found.summary_html
    assert found.published is None and found.documents == ()


def test_the_event_date_from_prose_when_no_attribute_is_named() -> None:
    url = "https://www.eastboroughsafeguarding.org.uk/event/learning-from-sars-self-neglect/"
    selectors = DetailSelectors(event_date=".tribe-event-date-start")
    found = read(fetched("event_learning-from-sars-self-neglect.html", url), selectors, NOW)
    assert found.event_date == date(2027, 2, 3)  # "February 3, 2027 @ 1:00 pm"


def test_a_post_gives_its_date_and_each_document_once_with_absolute_links() -> None:
    url = "https://www.eastboroughsafeguarding.org.uk/2026/11/23/sar-joan/"
    selectors = DetailSelectors(date="time.entry-date", documents=".wp-block-file")
    found = read(fetched("sar_post.html", url), selectors, NOW)
    assert found.published == datetime(2026, 11, 23, 9, 15, tzinfo=UTC)
    uploads = "https://www.eastboroughsafeguarding.org.uk/wp-content/uploads/2026/11/"
    assert found.documents == (
        ("SAR Joan – Overview Report", uploads + "SAR-Joan-Overview-Report.pdf"),
        ("Seven minute briefing", uploads + "SAR-Joan-7MB.pdf"),
    )


def test_what_the_page_says_wins_and_its_extras_join_the_content() -> None:
    listed = ParsedItem(
        title="Course", link="https://board.example/event/x/", summary_html="<p>Listing text</p>",
        content_html="<p>Body</p>", published=None, event_date=date(2027, 1, 1),
    )  # fmt: skip
    found = Detail(
        summary_html="<p>Page text</p>", event_date=date(2027, 1, 14), venue="Town Hall & Annex",
        booking="https://tickets.example/e/1", documents=(("Report", "https://board.example/r.pdf"),),
    )  # fmt: skip
    item = enrich(listed, found)
    assert (item.summary_html, item.event_date) == ("<p>Page text</p>", date(2027, 1, 14))
    assert item.content_html is not None and item.content_html.startswith("<p>Body</p>")
    assert "<strong>Venue:</strong> Town Hall &amp; Annex" in item.content_html
    assert '<a href="https://tickets.example/e/1">Book a place</a>' in item.content_html
    assert '<li><a href="https://board.example/r.pdf">Report</a></li>' in item.content_html
    assert enrich(listed, Detail()) == listed


def test_a_page_that_is_not_html_is_a_parse_error() -> None:
    empty = FetchResult("board", "https://board.example/event/x/", 200, b"", "text/html")
    with pytest.raises(ParseError):
        read(empty, EVENT, NOW)


def test_an_event_page_without_an_event_date_selector_gives_the_day_its_json_ld_states() -> None:
    url = "https://www.eventbrite.co.uk/e/multi-agency-neglect-workshop-tickets-823456789012"
    selectors = DetailSelectors(summary=".event-description", venue=".location-info__address-text")
    found = read(fetched("event_eventbrite_jsonld.html", url), selectors, NOW)
    assert found.event_date == date(2027, 2, 3)  # the page shows "Wed, 3 Feb" with no year
    assert found.venue == "Eastborough Town Hall"
