"""One parser per source shape, all behind one interface (miniflux-style adapters)."""

from __future__ import annotations

from importlib import import_module
from typing import Protocol

from aggregator.config.types import SourceConfig
from aggregator.models import FetchResult, ParseResult, SourceType


class Parser(Protocol):
    def __call__(self, result: FetchResult, source: SourceConfig) -> ParseResult:
        """Turn one fetched document into parsed items; raise ParseError when it cannot."""
        ...


_MODULES: dict[SourceType, str] = {
    "feed": "aggregator.parsers.feed",
    "govuk-search": "aggregator.parsers.govuk",
    "html": "aggregator.parsers.html",
    "ical": "aggregator.parsers.ical",
}


def parser_for(source_type: SourceType) -> Parser:
    """The `parse` function of the module that handles `source_type`."""
    parser: Parser = import_module(_MODULES[source_type]).parse
    return parser
