"""`ical` sources: iCalendar feeds (The Events Calendar's `?ical=1` export, Outlook and Google
published calendars, Eventbrite organiser calendars), each event a training item.

Read with `icalendar`; recurring events are expanded by `recurring-ical-events` from a month ago
to the source's `horizon` ahead, in start order, and never more than MAX_EVENTS occurrences; an
event repeating more than MAX_A_DAY times a day (FREQ=SECONDLY and the like: no course does) is
left out with a warning, as expanding it from long ago would take hours. An occurrence of a
series is its own item (guid `UID#start`, its date after its title); the item's text says when,
where, and whether online or in person.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from math import prod
from typing import Any

import recurring_ical_events
from icalendar import Calendar

from aggregator.clock import LOCAL_TIME, utcnow
from aggregator.config.types import SourceConfig
from aggregator.errors import ParseError
from aggregator.models import FetchResult, ParsedItem, ParseResult

MAX_EVENTS = 500
MAX_A_DAY = 4  # a rule repeating more often is no course, and expanding it from 1900 is slow
_SUB_DAILY = frozenset({"SECONDLY", "MINUTELY", "HOURLY"})
PAST = timedelta(days=31)  # events that ended within this are still listed
_ONLINE = re.compile(
    r"\b(online|virtual|webinar|zoom|ms teams|microsoft teams|teams meeting|google meet|webex)\b",
    re.IGNORECASE,
)
_HTML = re.compile(r"<(?:a|b|br|p|i|em|strong|ul|ol|li|div|span)\b", re.IGNORECASE)
_CONFERENCE_PROPERTIES = ("X-MICROSOFT-SKYPETEAMSMEETINGURL", "X-GOOGLE-CONFERENCE", "CONFERENCE")


def parse(result: FetchResult, source: SourceConfig) -> ParseResult:
    """One item per event occurring between a month ago and `horizon` ahead."""
    calendar = _calendar(result)
    now = utcnow()
    series = _series(calendar)
    items: list[ParsedItem] = []
    warnings = _broken(calendar) + _without_runaways(calendar)
    for event in _occurrences(calendar, now, now + timedelta(seconds=source.horizon)):
        item = _item(event, result.url, series)
        if item is None:
            warnings.append(f"an event without a summary (UID {event.get('UID', '?')}), skipped")
        else:
            items.append(item)
    name = str(calendar.get("X-WR-CALNAME", "")).strip() or None
    return ParseResult(tuple(items), name, result.url, tuple(warnings))


def _calendar(result: FetchResult) -> Any:
    body = (result.body or b"").lstrip(b"\xef\xbb\xbf").strip()
    if not body.startswith(b"BEGIN:VCALENDAR"):
        raise ParseError(f"{result.url}: not an iCalendar file (no BEGIN:VCALENDAR)")
    try:
        return Calendar.from_ical(body)
    except (ValueError, IndexError, KeyError) as exc:
        raise ParseError(f"{result.url}: invalid iCalendar: {exc}") from exc


def _series(calendar: Any) -> set[str]:
    """The UIDs of recurring events: each of their occurrences is an item of its own."""
    keys = ("RRULE", "RDATE", "RECURRENCE-ID")
    return {
        str(event.get("UID", ""))
        for event in calendar.walk("VEVENT")
        if any(event.get(key) is not None for key in keys)
    }


def _broken(calendar: Any) -> list[str]:
    """What icalendar could not read in each event (such an event is left out)."""
    return [
        f"event {event.get('UID', '?')}: {name}: {problem}, left out"
        for event in calendar.walk("VEVENT")
        for name, problem in getattr(event, "errors", [])
    ]


def _without_runaways(calendar: Any) -> list[str]:
    """Leave out the events whose rules repeat more than MAX_A_DAY times a day (dateutil would
    step through every second since DTSTART to reach the horizon); say so."""
    warnings = []
    for event in [e for e in calendar.subcomponents if e.name == "VEVENT" and _runaway(e)]:
        calendar.subcomponents.remove(event)
        warnings.append(
            f"event {event.get('UID', '?')}: repeats more than {MAX_A_DAY} times a day, left out"
        )
    return warnings


def _runaway(event: Any) -> bool:
    found = event.get("RRULE")
    rules = found if isinstance(found, list) else [found] if found is not None else []
    for rule in rules:
        frequency = str((rule.get("FREQ") or [""])[0]).upper()
        a_day = prod(len(rule.get(key) or [0]) for key in ("BYHOUR", "BYMINUTE", "BYSECOND"))
        if frequency in _SUB_DAILY or a_day > MAX_A_DAY:
            return True
    return False


def _occurrences(calendar: Any, now: datetime, until: datetime) -> list[Any]:
    """The first MAX_EVENTS occurrences between a month ago and `until`, in start order."""
    query = recurring_ical_events.of(
        calendar, keep_recurrence_attributes=True, skip_bad_series=True
    )
    try:  # between(), not after(): after() steps through the years since DTSTART slowly
        found: list[Any] = list(query.between(now - PAST, until))
        found.sort(key=lambda event: _moment(event.get("DTSTART").dt))
    except (ValueError, TypeError, AttributeError) as exc:
        raise ParseError(f"invalid iCalendar event: {exc}") from exc
    return found[:MAX_EVENTS]


def _item(event: Any, calendar_url: str, series: set[str]) -> ParsedItem | None:
    title = " ".join(str(event.get("SUMMARY", "")).split())
    if not title:
        return None
    start = event.get("DTSTART").dt
    end = event.get("DTEND").dt if event.get("DTEND") is not None else None
    link = str(event.get("URL", "")).strip() or None
    if str(event.get("UID", "")).strip() in series:  # occurrences share a title: say which
        day = _london(start).date() if isinstance(start, datetime) else start
        title = f"{title} ({day.day} {day:%B %Y})"
    return ParsedItem(
        title=title,
        link=link,
        guid=_guid(event, series),
        summary_html=_summary_html(event, start, end),
        published=_stamp(event, "CREATED"),
        updated=_stamp(event, "LAST-MODIFIED"),
        categories=_categories(event),
        event_date=_london(start).date() if isinstance(start, datetime) else start,
        base_url=link or calendar_url,
    )


def _guid(event: Any, series: set[str]) -> str:
    """The UID; for an occurrence of a series, with the start it was given in the series (its
    RECURRENCE-ID), so that a moved occurrence stays the same item."""
    uid = str(event.get("UID", "")).strip() or str(event.get("SUMMARY", ""))
    if uid not in series:
        return uid
    slot = (event.get("RECURRENCE-ID") or event.get("DTSTART")).dt
    if isinstance(slot, datetime):
        return f"{uid}#{_moment(slot):%Y%m%dT%H%M%SZ}"
    return f"{uid}#{slot:%Y%m%d}"


def _stamp(event: Any, key: str) -> datetime | None:
    value = event.get(key)
    return _moment(value.dt) if value is not None else None


def _moment(value: date | datetime) -> datetime:
    """Aware UTC; a date is its London midnight, a floating time is London time."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), LOCAL_TIME)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TIME)
    return value.astimezone(UTC)


def _london(value: datetime) -> datetime:
    return (
        value.replace(tzinfo=LOCAL_TIME) if value.tzinfo is None else value.astimezone(LOCAL_TIME)
    )


def _categories(event: Any) -> tuple[str, ...]:
    found = event.get("CATEGORIES")
    lists = found if isinstance(found, list) else [found] if found is not None else []
    return tuple(str(c) for group in lists for c in getattr(group, "cats", [group]) if str(c))


def _summary_html(event: Any, start: date | datetime, end: date | datetime | None) -> str:
    location = " ".join(str(event.get("LOCATION", "")).split())
    description = str(event.get("DESCRIPTION", "")).strip()
    parts = [
        f"<p><strong>When:</strong> {escape(when(start, end))}</p>",
        f"<p><strong>Where:</strong> {escape(where(event, location, description))}</p>",
    ]
    if description and _HTML.search(description):  # Google's descriptions are HTML
        parts.append(f"<div>{description}</div>")  # sanitised with every item's HTML
    elif description:
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", description) if p.strip()]
        parts.extend(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return "\n".join(parts)


def when(start: date | datetime, end: date | datetime | None) -> str:
    """ "Thursday 14 January 2027, 10:00–12:30" in London time; all-day events as days."""
    if not isinstance(start, datetime):
        last = end - timedelta(days=1) if isinstance(end, date) else None
        if last is None or last <= start:
            return _day(start)
        return f"{_day(start)} to {_day(last)}"
    begins = _london(start)
    ends = _london(end) if isinstance(end, datetime) else None
    shown = f"{_day(begins.date())}, {begins:%H:%M}"
    if ends is None or ends <= begins:
        return shown
    if ends.date() == begins.date():
        return f"{shown}–{ends:%H:%M}"
    return f"{shown} to {_day(ends.date())}, {ends:%H:%M}"


def where(event: Any, location: str, description: str) -> str:
    """ "Online", "In person: <location>", or both; "Not stated" when the calendar says nothing."""
    conference = any(event.get(key) is not None for key in _CONFERENCE_PROPERTIES)
    online = conference or bool(_ONLINE.search(location))
    if not location and not online:
        online = bool(_ONLINE.search(description))
    in_person = bool(location) and not _ONLINE.search(location)
    if online and in_person:
        return f"Online and in person: {location}"
    if online:
        return f"Online ({location})" if location else "Online"
    return f"In person: {location}" if location else "Not stated"


def _day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"
