"""Configuration: sources.toml read into frozen dataclasses, validated, watched and edited."""

from aggregator.config.edit import append_source, source_appended, source_updated, update_source
from aggregator.config.load import check_config, load_config, parse_config, parse_duration
from aggregator.config.types import (
    DEFAULT_FEEDS,
    Config,
    FeedConfig,
    KeywordRule,
    Selectors,
    Settings,
    SourceConfig,
)
from aggregator.config.watch import ConfigWatcher

__all__ = [
    "DEFAULT_FEEDS",
    "Config",
    "ConfigWatcher",
    "FeedConfig",
    "KeywordRule",
    "Selectors",
    "Settings",
    "SourceConfig",
    "append_source",
    "check_config",
    "load_config",
    "parse_config",
    "parse_duration",
    "source_appended",
    "source_updated",
    "update_source",
]
