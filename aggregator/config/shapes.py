"""The keys for the shapes boards' websites come in: CSS selectors (with `@attr`), listings that
page (`max_pages`), calendars (`horizon`) and detail pages (`[source.detail]`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cssselect import GenericTranslator, SelectorError

from aggregator.config.reader import Table
from aggregator.config.types import DetailSelectors, Selectors
from aggregator.models import SourceType

MAX_PAGES = 50
MAX_HORIZON = 2 * 366 * 86400.0  # two years of a recurring event is plenty, and bounded
MAX_DETAILS = 50
DETAIL_SELECTORS = ("date", "summary", "event_date", "venue", "booking", "documents")
DETAIL_KEYS = (*DETAIL_SELECTORS, "max_per_poll")
DETAIL_TYPES: tuple[SourceType, ...] = ("html", "feed")
ATTRIBUTE_SUFFIX = re.compile(r"^(?P<css>.*?)@(?P<attr>[A-Za-z_:][\w:.-]*)$", re.DOTALL)


def checked_selector(t: Table, key: str, *, required: bool = False) -> str | None:
    """A CSS selector, optionally ending in `@attr`; None after reporting why it is unusable."""
    selector = t.string(key, required=required)
    if selector is None:
        return None
    split = ATTRIBUTE_SUFFIX.match(selector)
    css = (split.group("css") if split else selector).strip()
    if not css:
        if required or not split:
            t.error(key, "must not be empty")
            return None
        return selector
    try:
        GenericTranslator().css_to_xpath(css)
    except SelectorError as exc:
        t.error(key, f'not a valid CSS selector: "{css}" ({exc})')
        return None
    return selector


def shape_values(
    t: Table, source_type: SourceType | None, select: Selectors | None
) -> dict[str, Any]:
    """`max_pages`, `horizon` and `detail` of one `[[source]]`, those given and valid."""
    values: dict[str, Any] = {}
    if _only_for(t, "max_pages", ("html",), source_type):
        pages = t.integer("max_pages", 1, MAX_PAGES)
        if pages is not None and pages > 1 and select is not None and not select.next:
            t.error("max_pages", 'needs a "next" selector in [source.select] to find the pages')
        elif pages is not None:
            values["max_pages"] = pages
    if _only_for(t, "horizon", ("ical",), source_type):
        horizon = t.duration("horizon", positive=True)
        if horizon is not None and horizon > MAX_HORIZON:
            t.error("horizon", f"must be at most {MAX_HORIZON / 86400:g}d")
        elif horizon is not None:
            values["horizon"] = horizon
    if _only_for(t, "detail", DETAIL_TYPES, source_type):
        detail = _detail(t)
        if detail is not None:
            values["detail"] = detail
    return values


def _only_for(
    t: Table, key: str, wanted: tuple[SourceType, ...], source_type: SourceType | None
) -> bool:
    if not t.has(key):
        return False
    if source_type is not None and source_type not in wanted:
        kinds = " or ".join(f'"{w}"' for w in wanted)
        t.error(key, f'only for sources of type {kinds}, this one is "{source_type}"')
        return False
    return True


def _detail(t: Table) -> DetailSelectors | None:
    raw: Mapping[str, object] | None = t.subtable("detail")
    if raw is None:
        return None
    d = Table(raw, (*t.where, "detail"), t.problems, f"{t.label}: [source.detail]", DETAIL_KEYS)
    selectors = {key: checked_selector(d, key) for key in DETAIL_SELECTORS if d.has(key)}
    most = d.integer("max_per_poll", 1, MAX_DETAILS)
    if not any(d.has(key) for key in DETAIL_SELECTORS):
        d.problems.add(d.where, f"{d.label}: needs at least one of {', '.join(DETAIL_SELECTORS)}")
        return None
    if any(value is None for value in selectors.values()):
        return None
    given: dict[str, Any] = {**selectors, "max_per_poll": most}
    return DetailSelectors(**{key: value for key, value in given.items() if value is not None})
