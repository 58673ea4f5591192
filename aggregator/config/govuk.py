"""The gov.uk Search API URL a `govuk-search` source polls.

gov.uk asks API clients to stay under 10 requests per second: the orchestrator's per-host limiter
must space requests to www.gov.uk at least `GOVUK_MIN_INTERVAL` seconds apart (a larger configured
per_host_delay is fine).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from aggregator.config.types import SourceConfig

SEARCH_API_URL = "https://www.gov.uk/api/search.json"
GOVUK_BASE = "https://www.gov.uk"
GOVUK_HOST = "www.gov.uk"
GOVUK_MIN_INTERVAL = 0.1  # seconds between requests to www.gov.uk (< 10 requests/second)
MAX_COUNT = 1500  # the API's ceiling for `count`
DEFAULT_FIELDS: tuple[str, ...] = (
    "title",
    "link",
    "description",
    "public_timestamp",
    "display_type",
    "format",
    "organisations",
    "content_store_document_type",
)


def build_search_url(source: SourceConfig) -> str:
    """source.url (default: the Search API) plus source.query, in order; repeated keys kept.

    Parameter names are validated by the config loader; `count` is capped at MAX_COUNT and the
    fields the parser reads are requested when the query names none.
    """
    base = urlsplit(source.url or SEARCH_API_URL)
    pairs = [*parse_qsl(base.query, keep_blank_values=True), *source.query]
    pairs = [(name, _capped(name, value)) for name, value in pairs]
    if not any(name == "fields" for name, _ in pairs):
        pairs.extend(("fields", name) for name in DEFAULT_FIELDS)
    return urlunsplit(base._replace(query=urlencode(pairs)))


def _capped(name: str, value: str) -> str:
    if name != "count":
        return value
    try:
        return str(min(int(value), MAX_COUNT))
    except ValueError:
        return value
