"""The configuration read from sources.toml, as frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from aggregator.models import Category, IdentityPolicy, ReviewType, SourceType

T = TypeVar("T")


def own_or_default(own: T | None, default: T) -> T:
    """A source's own setting, else the `[settings]` default: the one rule for every such field."""
    return default if own is None else own


@dataclass(frozen=True)
class KeywordRule:
    """`[[rule]]` or `[[source.rule]]`: a regex over title/summary/url that sets what an item is."""

    pattern: str  # Python regex, matched case-insensitively
    category: Category | None = None
    review_type: ReviewType | None = None
    themes: tuple[str, ...] = ()  # added to the item's own (aggregator.themes slugs)


@dataclass(frozen=True)
class Selectors:
    """`[source.select]` for html sources. A selector may end in `@attr` to read an attribute."""

    item: str
    title: str | None = None  # default: the text of the item's first link
    link: str | None = None  # default: "a@href"
    date: str | None = None
    summary: str | None = None
    event_date: str | None = None
    next: str | None = None  # the listing's link to its next page, followed up to max_pages


@dataclass(frozen=True)
class DetailSelectors:
    """`[source.detail]`: selectors run on each new item's own page; what they find wins over
    what the listing said (at most `max_per_poll` pages a poll, with the same politeness)."""

    date: str | None = None
    summary: str | None = None
    event_date: str | None = None
    venue: str | None = None
    booking: str | None = None  # the booking link
    documents: str | None = None  # links to the documents (PDFs) of a review
    max_per_poll: int = 10


@dataclass(frozen=True)
class Settings:
    site_url: str = "http://127.0.0.1:8080"
    allow_private_networks: bool = False
    interval: float = 3600.0  # seconds, default poll interval
    timeout: float = 20.0  # seconds, connect+read per request
    deadline: float = 60.0  # seconds, total per fetch
    max_bytes: int = 10 * 1024 * 1024
    per_host_concurrency: int = 2
    per_host_delay: float = 1.0  # seconds between requests to one host
    tracking_params: tuple[str, ...] = ()  # extra query params dropped from canonical URLs
    block_template: str | None = None  # path of a Jinja2 template overriding the latest-news block
    block_items: int = 5  # items per column of the latest-news block
    websub_hub: str | None = None
    max_item_age: float | None = None  # retention: seconds; None keeps for ever
    max_items_per_source: int | None = None
    robots: bool = True
    rules: tuple[KeywordRule, ...] = ()
    smtp_url: str | None = None  # smtp://host:587 (STARTTLS) or smtps://host:465
    smtp_from: str | None = None
    alert_emails: tuple[str, ...] = ()
    alert_after_failures: int = 5  # failed polls in a row that open an incident
    alert_idle: float = 120 * 86400.0  # seconds without a new item that open an incident


@dataclass(frozen=True)
class SourceConfig:
    id: str
    name: str
    type: SourceType
    url: str
    interval: float | None = None  # None: Settings.interval
    category: Category | None = None  # a hint for classification
    enabled: bool = True
    identity: IdentityPolicy = "guid"
    link_base: str | None = None  # govuk-search: base for result paths
    query: tuple[tuple[str, str], ...] = ()  # govuk-search: query parameters, in order
    select: Selectors | None = None  # html only
    rules: tuple[KeywordRule, ...] = ()
    per_host_concurrency: int | None = None
    per_host_delay: float | None = None
    robots: bool | None = None
    max_item_age: float | None = None
    max_items: int | None = None
    max_pages: int = 1  # html: pages of the listing read, following select.next
    horizon: float = 180 * 86400.0  # ical: seconds ahead over which recurring events are expanded
    detail: DetailSelectors | None = None  # html and feed: selectors for each new item's page
    line: int = 0  # line of the [[source]] header in the file, for messages


@dataclass(frozen=True)
class FeedConfig:
    id: str
    title: str
    description: str = ""
    categories: tuple[Category, ...] = ()  # empty: every category
    review_types: tuple[ReviewType, ...] = ()  # empty: any
    sources: tuple[str, ...] = ()  # empty: any source
    include: tuple[str, ...] = ()  # regexes over title+summary; any must match
    exclude: tuple[str, ...] = ()  # regexes; none may match
    max_age: float | None = None  # seconds
    limit: int = 50
    themes: tuple[str, ...] = ()  # empty: any; else an item with any of them


DEFAULT_FEEDS: tuple[FeedConfig, ...] = (
    FeedConfig("all", "Safeguarding: everything", "Every item from every source"),
    FeedConfig("reviews", "Safeguarding reviews", "DHR, SAR and CSPR publications", ("reviews",)),
    FeedConfig("news", "Safeguarding news", "News from partner boards", ("news",)),
    FeedConfig("training", "Safeguarding training & events", "Courses and events", ("training",)),
)


WEBHOOK_EVENTS = ("publish", "item_new", "source_failed", "source_recovered")


@dataclass(frozen=True)
class WebhookConfig:
    """`[[webhook]]`: a JSON POST signed with `secret` for each of `events`."""

    url: str
    secret: str
    events: tuple[str, ...] = WEBHOOK_EVENTS


@dataclass(frozen=True)
class Config:
    path: str
    settings: Settings = field(default_factory=Settings)
    sources: tuple[SourceConfig, ...] = ()
    feeds: tuple[FeedConfig, ...] = DEFAULT_FEEDS
    webhooks: tuple[WebhookConfig, ...] = ()

    def source(self, source_id: str) -> SourceConfig | None:
        return next((s for s in self.sources if s.id == source_id), None)

    def interval_of(self, source: SourceConfig) -> float:
        return own_or_default(source.interval, self.settings.interval)
