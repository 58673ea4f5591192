"""Configuration: sources.toml read into frozen dataclasses, validated and watched.

Editing it keeping comments (aggregator.config.edit) is imported from there: it loads tomlkit,
which polling worker processes, importing this package, have no use for.
"""

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
    "check_config",
    "load_config",
    "parse_config",
    "parse_duration",
]
