"""`govuk-search` sources: results of the gov.uk Search API (https://www.gov.uk/api/search.json).

`link` in a result is a path on www.gov.uk; it is joined with the source's `link_base` (default
https://www.gov.uk), never with the host that served the response (a mirror or a test server).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin

from aggregator.config.govuk import GOVUK_BASE, GOVUK_MIN_INTERVAL
from aggregator.config.types import SourceConfig
from aggregator.errors import ParseError
from aggregator.models import FetchResult, ParsedItem, ParseResult
from aggregator.parsers.dates import parse_date

__all__ = ["GOVUK_MIN_INTERVAL", "parse"]


def parse(result: FetchResult, source: SourceConfig) -> ParseResult:
    """Turn one Search API response into items; ParseError when it is not one."""
    results = _results(_load(result))
    base = (source.link_base or GOVUK_BASE).rstrip("/") + "/"
    items: list[ParsedItem] = []
    warnings: list[str] = []
    for position, entry in enumerate(results):
        item = _item(entry, base) if isinstance(entry, dict) else None
        if item is None:
            warnings.append(f"result {position}: no title or link, skipped")
        else:
            items.append(item)
    return ParseResult(items=tuple(items), link=base.rstrip("/"), warnings=tuple(warnings))


def _load(result: FetchResult) -> Any:
    if not result.body:
        raise ParseError(f"{result.url}: empty response from the gov.uk Search API")
    try:
        return json.loads(result.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        message = f"{result.url}: not JSON, so not a gov.uk Search API response: {exc}"
        raise ParseError(message) from exc


def _results(document: Any) -> list[Any]:
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, list):
        raise ParseError("gov.uk Search API response has no `results` list (an error page?)")
    return results


def _item(entry: Mapping[str, Any], base: str) -> ParsedItem | None:
    title, path = _text(entry.get("title")), _text(entry.get("link"))
    if not title or not path:
        return None
    link = urljoin(base, path)
    description = _text(entry.get("description"))
    timestamp = _text(entry.get("public_timestamp"))
    return ParsedItem(
        title=title,
        link=link,
        guid=path,
        summary_html=html.escape(description, quote=False) if description else None,
        published=parse_date(timestamp) if timestamp else None,
        categories=_categories(entry),
        base_url=base,
    )


def _categories(entry: Mapping[str, Any]) -> tuple[str, ...]:
    names = [
        _text(entry.get("display_type")),
        _text(entry.get("format")),
        _text(entry.get("content_store_document_type")),
        *_organisation_names(entry.get("organisations")),
    ]
    return tuple(dict.fromkeys(name for name in names if name))


def _organisation_names(organisations: Any) -> Iterable[str]:
    """Titles of expanded organisations; slugs when the API gave bare strings."""
    if not isinstance(organisations, list):
        return []
    names = []
    for organisation in organisations:
        if isinstance(organisation, dict):
            names.append(_text(organisation.get("title")) or _text(organisation.get("slug")))
        else:
            names.append(_text(organisation))
    return names


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""
