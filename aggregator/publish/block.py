"""The latest-news block: an HTML fragment (and its JSON twin) other websites embed."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from aggregator.clock import LOCAL_TIME, local_day
from aggregator.config.types import FeedConfig, Settings
from aggregator.errors import AggregatorError
from aggregator.models import Category, StoredItem
from aggregator.publish.common import clean, feed_url, site_url, title_of
from aggregator.publish.jsonfeed import dump_json
from aggregator.publish.publishers import Publisher, Publishers, publisher_of
from aggregator.publish.select import publication_order
from aggregator.themes import theme_label

log = logging.getLogger(__name__)

SUMMARY_LIMIT = 80
ELLIPSIS = " ..."
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
COLUMNS: tuple[tuple[str, str, tuple[Category, ...]], ...] = (
    ("news", "Latest News", ("news", "reviews")),
    ("training", "Training & Events", ("training",)),
)


@dataclass(frozen=True)
class BlockEntry:
    title: str
    url: str | None
    summary: str  # cut at about SUMMARY_LIMIT characters on a word boundary
    date: str  # YYYY-MM-DD: the event date for training when known, else the published date
    month: str  # "Jan"
    day: str  # "25"
    category: str
    review_type: str | None
    via: str | None = None  # who published it (the representative sighting's source)
    event: bool = False  # `date` is the event's date
    themes: tuple[str, ...] = ()  # the labels of the item's themes


@dataclass(frozen=True)
class FeedLink:
    title: str
    href: str


@dataclass(frozen=True)
class BlockColumn:
    id: str
    heading: str
    feeds: tuple[FeedLink, ...]
    entries: tuple[BlockEntry, ...]


def truncate_summary(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """`text` whole when short, else cut on a word boundary near `limit`, plus " ..."."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    boundary = cut.rfind(" ")
    head = cut[:boundary] if boundary > 0 else text[:limit]
    return head.rstrip(" ,;:.-–—") + ELLIPSIS


def block_columns(
    items: list[StoredItem],
    settings: Settings,
    feeds: tuple[FeedConfig, ...],
    publishers: Publishers | None = None,
    *,
    today: date | None = None,
) -> list[BlockColumn]:
    """The two columns, each with at most `settings.block_items` entries: news in publication
    order; training with the upcoming events (on or after `today`, a London date) soonest
    first, then undated announcements. Without `today`, training too in publication order."""
    ordered = sorted(items, key=publication_order)
    columns = []
    for column_id, heading, categories in COLUMNS:
        chosen = [i for i in ordered if i.category in categories and not i.hidden]
        if column_id == "training" and today is not None:
            chosen = upcoming_first(chosen, today)
        shown = chosen[: max(settings.block_items, 0)]
        entries = tuple(block_entry(i, publisher_of(i, publishers)) for i in shown)
        links = tuple(_feed_links(settings, feeds, categories))
        columns.append(BlockColumn(column_id, heading, links, entries))
    return columns


def upcoming_first(items: list[StoredItem], today: date) -> list[StoredItem]:
    """Events not yet over, soonest first (pinned first on a day), then the undated ones in the
    order given; an event whose date has passed leaves the block (it stays in the feeds)."""
    upcoming = [i for i in items if i.event_date is not None and i.event_date >= today]
    upcoming.sort(key=lambda i: (i.event_date, publication_order(i)))
    return upcoming + [i for i in items if i.event_date is None]


def block_valid_until(columns: list[BlockColumn]) -> datetime | None:
    """When the soonest event shown is over (London midnight after it): the block changes then."""
    dates = [
        date.fromisoformat(entry.date)
        for column in columns
        if column.id == "training"
        for entry in column.entries
        if entry.event
    ]
    if not dates:
        return None
    return datetime.combine(min(dates) + timedelta(days=1), time(), LOCAL_TIME).astimezone(UTC)


def block_entry(item: StoredItem, publisher: Publisher | None = None) -> BlockEntry:
    shown = display_date(item)
    return BlockEntry(
        title=title_of(item),
        url=web_link(item.url),
        summary=truncate_summary(clean(item.summary)),
        date=shown.isoformat(),
        month=MONTHS[shown.month - 1],
        day=str(shown.day),
        category=item.category,
        review_type=item.review_type,
        via=publisher.name if publisher else None,
        event=item.category == "training" and item.event_date is not None,
        themes=tuple(theme_label(theme) for theme in item.themes),
    )


def web_link(url: str | None) -> str | None:
    """Only http(s) links are offered: a `javascript:` URL would run in the embedding page."""
    url = clean(url).strip()
    return url if url.lower().startswith(("https://", "http://")) else None


def display_date(item: StoredItem) -> date:
    if item.category == "training" and item.event_date is not None:
        return item.event_date
    return local_day(item.published)


def _feed_links(
    settings: Settings, feeds: tuple[FeedConfig, ...], categories: tuple[Category, ...]
) -> list[FeedLink]:
    """Feeds made only of this column's categories: where its entries came from."""
    return [
        FeedLink(clean(feed.title) or feed.id, feed_url(settings, feed, ".atom"))
        for feed in feeds
        if feed.categories and set(feed.categories) <= set(categories)
    ]


def render_block(columns: list[BlockColumn], settings: Settings) -> str:
    """The HTML fragment; `settings.block_template` overrides the packaged template."""
    if settings.block_template:
        try:
            return _render(Path(settings.block_template).read_text("utf-8"), columns, settings)
        except (OSError, UnicodeDecodeError, TemplateError, AggregatorError) as exc:
            log.error(
                "block template %s unusable, using the default: %s", settings.block_template, exc
            )
    return _render(default_template(), columns, settings)


def default_template() -> str:
    return resources.files("aggregator").joinpath("templates/latest.html").read_text("utf-8")


def _render(source: str, columns: list[BlockColumn], settings: Settings) -> str:
    environment = SandboxedEnvironment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    try:
        template = environment.from_string(source)
        return template.render(columns=columns, site_url=site_url(settings))
    except TemplateError:
        raise
    except Exception as exc:  # a user template can fail in any way while rendering
        raise AggregatorError(f"block template failed: {exc}") from exc


def block_json(columns: list[BlockColumn], settings: Settings) -> bytes:
    """latest.json: the block's data, for sites that render it themselves."""
    return dump_json(
        {
            "version": 1,
            "home_page_url": site_url(settings) + "/",
            "columns": [asdict(column) for column in columns],
        }
    )
