"""iCalendar (RFC 5545) for every feed that can hold training items: one VEVENT per event.

A calendar client subscribed to `<feed>.ics` matches events by UID, which is the item's public
id and never changes, so an event whose item changes is updated in place, not duplicated. Each
event is an all-day event on the item's event date (the only event detail items carry today).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from icalendar import Calendar, Event

from aggregator.config.types import FeedConfig, Settings
from aggregator.models import StoredItem
from aggregator.publish.common import as_uri, clean, site_url, title_of, utc_seconds
from aggregator.publish.select import publication_order

PRODUCT = "-//safeguarding-feeds//Training and events//EN"


def events_of(items: Iterable[StoredItem]) -> list[StoredItem]:
    """The dated training items, soonest first."""
    dated = [i for i in items if i.category == "training" and i.event_date and not i.hidden]
    return sorted(dated, key=lambda i: (i.event_date, publication_order(i)))


def build_ics(feed: FeedConfig, items: list[StoredItem], settings: Settings) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", clean(feed.title) or feed.id)
    for item in events_of(items):
        calendar.add_component(_event(item, settings))
    data: bytes = calendar.to_ical()
    return data


def _event(item: StoredItem, settings: Settings) -> Event:
    assert item.event_date is not None
    event = Event()
    event.add("uid", event_uid(item, settings))
    # Both from the item, not the clock: an unchanged event gives the same bytes every run.
    event.add("dtstamp", utc_seconds(item.updated))
    event.add("last-modified", utc_seconds(item.updated))
    event.add("dtstart", item.event_date)
    event.add("dtend", item.event_date + timedelta(days=1))
    event.add("summary", title_of(item))
    if item.url and as_uri(item.url):
        event.add("url", as_uri(item.url))
    if summary := clean(item.summary).strip():
        event.add("description", summary)
    return event


def event_uid(item: StoredItem, settings: Settings) -> str:
    """The item's public id, scoped to this site (RFC 5545 asks for a globally unique UID)."""
    host = site_url(settings).split("://", 1)[-1].split("/", 1)[0]
    return f"{item.public_id.removeprefix('urn:uuid:')}@{host}"
