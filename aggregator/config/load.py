"""Read and validate sources.toml into a Config, reporting every problem as FILE:LINE: message."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aggregator.config import notify
from aggregator.config.lines import Where, index_lines
from aggregator.config.reader import Problems, Table, parse_duration
from aggregator.config.shapes import ATTRIBUTE_SUFFIX, checked_selector, shape_values
from aggregator.config.types import (
    DEFAULT_FEEDS,
    Config,
    FeedConfig,
    KeywordRule,
    Selectors,
    Settings,
    SourceConfig,
)
from aggregator.errors import ConfigError, ConfigErrors
from aggregator.models import CATEGORIES, REVIEW_TYPES, IdentityPolicy, SourceType
from aggregator.themes import THEMES, unknown_themes

__all__ = ["check_config", "load_config", "parse_config", "parse_duration"]

GOVUK_SEARCH_URL = "https://www.gov.uk/api/search.json"
SOURCE_TYPES: tuple[SourceType, ...] = ("feed", "govuk-search", "html", "ical")
IDENTITIES: tuple[IdentityPolicy, ...] = ("guid", "link", "content")
MIN_INTERVAL = 60.0
MIN_INTERVAL_PRIVATE = 1.0

TOP_KEYS = ("settings", "source", "feed", "rule", "webhook")
SETTINGS_KEYS = (
    "site_url", "allow_private_networks", "interval", "timeout", "deadline", "max_bytes",
    "per_host_concurrency", "per_host_delay", "tracking_params", "block_template", "block_items",
    "websub_hub", "max_item_age", "max_items_per_source", "robots", *notify.SETTINGS_KEYS,
)  # fmt: skip
RULE_KEYS = ("pattern", "category", "review_type", "themes")
SOURCE_KEYS = (
    "id", "name", "type", "url", "interval", "category", "enabled", "identity", "link_base",
    "query", "select", "rule", "per_host_concurrency", "per_host_delay", "robots",
    "max_item_age", "max_items", "max_pages", "horizon", "detail",
)  # fmt: skip
SELECT_KEYS = ("item", "title", "link", "date", "summary", "event_date", "next")
QUERY_KEYS = ("q", "count", "start", "order", "fields")
QUERY_PREFIXES = ("filter_", "reject_", "aggregate_")
FEED_KEYS = (
    "id", "title", "description", "categories", "review_types", "sources", "include", "exclude",
    "max_age", "limit", "themes",
)  # fmt: skip
_TOML_POSITION = re.compile(r"\s*\((?:at line (\d+), column \d+|at end of document)\)$")


def load_config(path: str | os.PathLike[str]) -> Config:
    """The configuration in `path`; ConfigErrors listing every problem when it is not valid."""
    name = os.fspath(path)
    return parse_config(read_config_text(name), name)


def check_config(path: str | os.PathLike[str]) -> list[ConfigError]:
    """Every problem in `path`; empty when it is fine."""
    try:
        load_config(path)
    except ConfigErrors as exc:
        return exc.errors
    return []


def read_config_text(path: str) -> str:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigErrors([ConfigError(path, 0, "no such file")]) from None
    except OSError as exc:
        raise ConfigErrors([ConfigError(path, 0, f"cannot read: {exc.strerror}")]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigErrors([ConfigError(path, 0, f"not UTF-8 text: {exc.reason}")]) from None


def parse_config(text: str, path: str) -> Config:
    """Validate a sources file's text; `path` names it in messages, anchors relative paths."""
    data = _parse_toml(text, path)
    problems = Problems(path, index_lines(text))
    config = _Builder(problems, Path(path).parent).config(data, path)
    if problems.errors:
        raise ConfigErrors(sorted(problems.errors, key=lambda e: e.line))
    return config


def _parse_toml(text: str, path: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_POSITION.search(message)
        line = int(position.group(1)) if position and position.group(1) else _last_line(text)
        reason = message[: position.start()] if position else message
        raise ConfigErrors([ConfigError(path, line, f"TOML syntax: {reason}")]) from None


def _last_line(text: str) -> int:
    return max(len(text.splitlines()), 1)


def _given(**values: object) -> dict[str, Any]:
    """Keyword arguments without the None ones, so dataclass defaults apply."""
    return {key: value for key, value in values.items() if value is not None}


@dataclass
class _Builder:
    problems: Problems
    folder: Path
    min_interval: float = MIN_INTERVAL
    source_ids: set[str] = field(default_factory=set)

    def table(self, data: Mapping[str, object], where: Where, label: str, keys: Any) -> Table:
        return Table(data, where, self.problems, label, keys)

    def config(self, data: Mapping[str, object], path: str) -> Config:
        top = self.table(data, (), "top level", TOP_KEYS)
        settings = self.settings(top)
        sources = self.sources(top)
        feeds = self.feeds(top) if top.has("feed") else DEFAULT_FEEDS
        return Config(path, settings, sources, feeds, notify.webhooks(top, self.table))

    def settings(self, top: Table) -> Settings:
        rules = self.rules(top, ("rule",), "[[rule]]")
        raw = top.subtable("settings") or {}
        t = self.table(raw, ("settings",), "[settings]", SETTINGS_KEYS)
        private = t.boolean("allow_private_networks")
        self.min_interval = MIN_INTERVAL_PRIVATE if private else MIN_INTERVAL
        return Settings(
            **_given(
                site_url=t.url("site_url"),
                allow_private_networks=private,
                interval=t.duration("interval", self.min_interval),
                timeout=t.duration("timeout", positive=True),
                deadline=t.duration("deadline", positive=True),
                max_bytes=t.integer("max_bytes", 1),
                per_host_concurrency=t.integer("per_host_concurrency", 1),
                per_host_delay=t.duration("per_host_delay"),
                tracking_params=t.strings("tracking_params") or None,
                block_template=self.template_path(t),
                block_items=t.integer("block_items", 1),
                websub_hub=t.url("websub_hub"),
                max_item_age=t.duration("max_item_age", positive=True),
                max_items_per_source=t.integer("max_items_per_source", 1),
                robots=t.boolean("robots"),
                rules=rules or None,
            ),
            **notify.notify_values(t),
        )

    def template_path(self, t: Table) -> str | None:
        name = t.string("block_template", required=False)
        if name is None:
            return None
        resolved = (self.folder / Path(name).expanduser()).resolve()
        if not resolved.is_file():
            t.error("block_template", f'no such file: "{resolved}"')
            return None
        return str(resolved)

    def rules(self, parent: Table, where: Where, label: str) -> tuple[KeywordRule, ...]:
        found = [self.rule(raw, (*where, i), label) for i, raw in parent.tables(str(where[-1]))]
        return tuple(rule for rule in found if rule is not None)

    def rule(self, raw: Mapping[str, object], where: Where, label: str) -> KeywordRule | None:
        t = self.table(raw, where, label, RULE_KEYS)
        pattern = t.regex("pattern", required=True)
        category = t.choice("category", CATEGORIES)
        review_type = t.choice("review_type", REVIEW_TYPES)
        themes = _themes(t)
        if not any(t.has(key) for key in RULE_KEYS[1:]):
            t.problems.add(where, f"{label}: needs a category, a review_type or themes")
            return None
        return KeywordRule(pattern, category, review_type, themes) if pattern else None

    def sources(self, top: Table) -> tuple[SourceConfig, ...]:
        tables = top.tables("source")
        self.source_ids = {str(raw["id"]) for _, raw in tables if isinstance(raw.get("id"), str)}
        seen: dict[str, int] = {}
        built = []
        for i, raw in tables:
            source = self.source(raw, ("source", i), seen)
            if source is not None:
                built.append(source)
        return tuple(built)

    def source(
        self, raw: Mapping[str, object], where: Where, seen: dict[str, int]
    ) -> SourceConfig | None:
        label = f'source "{raw["id"]}"' if isinstance(raw.get("id"), str) else "[[source]]"
        t = self.table(raw, where, label, SOURCE_KEYS)
        source_id = self.unique_id(t, seen)
        name = t.string("name", required=True)
        source_type = t.choice("type", SOURCE_TYPES) if t.has("type") else "feed"
        url = self.source_url(t, source_type)
        query = self.query(t, source_type)
        select = self.select(t, source_type)
        link_base = None
        if self.only_for(t, "link_base", "govuk-search", source_type):
            link_base = t.url("link_base")
        values = _given(
            interval=t.duration("interval", self.min_interval),
            category=t.choice("category", CATEGORIES),
            enabled=t.boolean("enabled"),
            identity=t.choice("identity", IDENTITIES),
            link_base=link_base,
            per_host_concurrency=t.integer("per_host_concurrency", 1),
            per_host_delay=t.duration("per_host_delay"),
            robots=t.boolean("robots"),
            max_item_age=t.duration("max_item_age", positive=True),
            max_items=t.integer("max_items", 1),
        )
        values.update(shape_values(t, source_type, select))
        rules = self.rules(t, (*where, "rule"), f"{label}: [[source.rule]]")
        if not (source_id and name and source_type and url):
            return None
        line = t.problems.lines.line_of(where)
        return SourceConfig(
            source_id, name, source_type, url, query=query, select=select, rules=rules, line=line,
            **values,
        )  # fmt: skip

    def unique_id(self, t: Table, seen: dict[str, int]) -> str | None:
        source_id = t.slug("id", required=True)
        if source_id is None:
            return None
        line = t.problems.lines.line_of((*t.where, "id"))
        if source_id in seen:
            t.error("id", f'"{source_id}" is already used on line {seen[source_id]}')
            return None
        seen[source_id] = line
        return source_id

    def source_url(self, t: Table, source_type: SourceType | None) -> str | None:
        if not t.has("url") and source_type == "govuk-search" and t.has("query"):
            return GOVUK_SEARCH_URL
        if not t.has("url") and source_type == "govuk-search":
            t.problems.add(t.where, f'{t.label}: "url" or a [source.query] table is required')
            return None
        return t.url("url", required=True)

    def only_for(self, t: Table, key: str, wanted: str, source_type: SourceType | None) -> bool:
        if not t.has(key):
            return False
        if source_type is not None and source_type != wanted:
            t.error(key, f'only for sources of type "{wanted}", this one is "{source_type}"')
            return False
        return True

    def query(self, t: Table, source_type: SourceType | None) -> tuple[tuple[str, str], ...]:
        if not self.only_for(t, "query", "govuk-search", source_type):
            return ()
        raw = t.subtable("query")
        if raw is None:
            return ()
        q = self.table(raw, (*t.where, "query"), f"{t.label}: [source.query]", _query_key_allowed)
        pairs: list[tuple[str, str]] = []
        for key, value in raw.items():
            if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
                pairs.append((key, str(value)))
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                pairs.extend((key, v) for v in value)
            else:
                q.error(key, "must be a string, an integer or a list of strings")
        return tuple(pairs)

    def select(self, t: Table, source_type: SourceType | None) -> Selectors | None:
        if source_type == "html" and not t.has("select"):
            t.problems.add(t.where, f"{t.label}: html sources need a [source.select] table")
            return None
        if not self.only_for(t, "select", "html", source_type):
            return None
        raw = t.subtable("select")
        if raw is None:
            return None
        s = self.table(raw, (*t.where, "select"), f"{t.label}: [source.select]", SELECT_KEYS)
        values = {key: checked_selector(s, key, required=key == "item") for key in SELECT_KEYS}
        if values["item"] is not None and ATTRIBUTE_SUFFIX.match(values["item"]):
            s.error("item", "must be a CSS selector for the item elements, without @attr")
            return None
        item = values.pop("item")
        return Selectors(item, **values) if item else None

    def feeds(self, top: Table) -> tuple[FeedConfig, ...]:
        seen: dict[str, int] = {}
        found = [self.feed(raw, ("feed", i), seen) for i, raw in top.tables("feed")]
        return tuple(feed for feed in found if feed is not None)

    def feed(
        self, raw: Mapping[str, object], where: Where, seen: dict[str, int]
    ) -> FeedConfig | None:
        label = f'feed "{raw["id"]}"' if isinstance(raw.get("id"), str) else "[[feed]]"
        t = self.table(raw, where, label, FEED_KEYS)
        feed_id = self.unique_id(t, seen)
        title = t.string("title", required=True)
        sources = t.strings("sources")
        for unknown in [s for s in sources if s not in self.source_ids]:
            t.error("sources", f'no source has the id "{unknown}"')
        values = _given(
            description=t.string("description"),
            categories=t.choices("categories", CATEGORIES),
            review_types=t.choices("review_types", REVIEW_TYPES),
            sources=sources,
            include=t.regexes("include"),
            exclude=t.regexes("exclude"),
            max_age=t.duration("max_age", positive=True),
            limit=t.integer("limit", 1, 1000),
            themes=_themes(t),
        )
        return FeedConfig(feed_id, title, **values) if feed_id and title else None


def _themes(t: Table) -> tuple[str, ...]:
    themes = t.strings("themes")
    for unknown in unknown_themes(themes):
        t.error("themes", f'"{unknown}" is not a theme (the README lists them)')
    return tuple(theme for theme in themes if theme in THEMES)


def _query_key_allowed(key: str) -> bool:
    return key in QUERY_KEYS or key.startswith(QUERY_PREFIXES)
