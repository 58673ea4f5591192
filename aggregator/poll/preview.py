"""A source tried without storing anything: its items, the parser's warnings and, for html
sources, which selector matched what in each item (what `sources preview` and the console show).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aggregator.config.types import Config, SourceConfig
from aggregator.errors import AggregatorError
from aggregator.models import FetchResult, Item, SourceState
from aggregator.parsers import parser_for
from aggregator.parsers.html import FieldMatch, explain
from aggregator.poll.source import SourceFetch, poll_one


@dataclass(frozen=True)
class Preview:
    fetched: SourceFetch
    warnings: tuple[str, ...] = ()
    matches: tuple[tuple[FieldMatch, ...], ...] = ()  # html: per item element, per field

    @property
    def ok(self) -> bool:
        return self.fetched.ok

    @property
    def error(self) -> str | None:
        return self.fetched.error

    @property
    def items(self) -> tuple[Item, ...]:
        return self.fetched.items

    @property
    def elapsed(self) -> float:
        return self.fetched.elapsed


def preview(config: Config, source: SourceConfig, *, now: datetime) -> Preview:
    """Fetch, parse and normalise one source as if never polled; nothing is stored."""
    from aggregator.fetch.client import new_session
    from aggregator.fetch.politeness import HostLimiter

    state = SourceState(source.id)
    fetched = poll_one(source, state, config, session=new_session(), limiter=HostLimiter(), now=now)
    if not fetched.ok or fetched.result is None or fetched.result.body is None:
        return Preview(fetched)
    return _explained(fetched, fetched.result, source)


def _explained(fetched: SourceFetch, result: FetchResult, source: SourceConfig) -> Preview:
    try:
        warnings = parser_for(source.type)(result, source).warnings
        matches = explain(result, source) if source.type == "html" else ()
    except AggregatorError as exc:  # the poll parsed it; a page that changed in between
        return Preview(fetched, warnings=(str(exc),))
    return Preview(fetched, warnings, matches)


def field_lines(matches: tuple[FieldMatch, ...]) -> list[str]:
    """One line per field: `link  h2 a  → href of <a>: /2026/11/23/sar-joan/`."""
    lines = []
    for match in matches:
        found = match.found
        took = f"{found.taken} of {found.element}: {found.value[:100]}" if found else "nothing"
        lines.append(f"{match.field:<10} {match.selector!r} → {took}")
    return lines
