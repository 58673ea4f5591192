"""schema.org Events a page declares in JSON-LD (The Events Calendar, Eventbrite and most event
plugins print them): the day each starts, by the event's URL.

The visible date of an event card is often partial ("Thu 14" under a "January 2027" heading);
the JSON-LD beside it states the whole start. A listing without an `event_date` selector, and an
item's own page, take the day from here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import urljoin

from aggregator.clock import local_day


def event_days(document: Any, base_url: str) -> dict[str, date]:
    """Absolute event URL -> the London day it starts, for every Event the page declares."""
    days: dict[str, date] = {}
    for node in _nodes(document):
        day = _start_day(node.get("startDate"))
        url = node.get("url")
        if day is not None and isinstance(url, str) and url.strip():
            days.setdefault(urljoin(base_url, url.strip()).split("#", 1)[0], day)
    return days


def first_event_day(document: Any) -> date | None:
    """The start day of the first Event the page declares (an event's own page declares one)."""
    return next(filter(None, (_start_day(n.get("startDate")) for n in _nodes(document))), None)


def _nodes(document: Any) -> Iterator[dict[str, Any]]:
    for script in document.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue  # a broken block is the page's problem, not a reason to drop the items
        yield from (node for node in _walk(data) if _is_event(node))


def _walk(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for entry in data:
            yield from _walk(entry)
    elif isinstance(data, dict):
        yield data
        yield from _walk(data.get("@graph", []))


def _is_event(node: dict[str, Any]) -> bool:
    kinds = node.get("@type")
    names = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(name, str) and name.endswith("Event") for name in names)


def _start_day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.date()  # a date, or a local time: the day as written
    return local_day(moment)
