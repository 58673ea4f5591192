"""gov.uk Search API: URL building and response parsing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from aggregator.config.govuk import DEFAULT_FIELDS, GOVUK_MIN_INTERVAL, build_search_url
from aggregator.config.types import SourceConfig
from aggregator.errors import ParseError
from aggregator.models import FetchResult, ParsedItem
from aggregator.parsers import parser_for
from aggregator.parsers.govuk import parse

FIXTURES = Path(__file__).parents[1] / "fixtures" / "govuk"
RESPONSE = FIXTURES / "safeguarding_reviews_search.json"
MIRROR = "http://127.0.0.1:8099/api/search.json?q=review"


def search_source(
    query: tuple[tuple[str, str], ...] = (), url: str = "", link_base: str | None = None
) -> SourceConfig:
    return SourceConfig(
        id="govuk-search-cspr", name="gov.uk search", type="govuk-search", url=url,
        category="reviews", query=query, link_base=link_base,
    )  # fmt: skip


def answered(body: bytes, url: str = MIRROR) -> FetchResult:
    return FetchResult("govuk-search-cspr", url, 200, body, content_type="application/json")


def as_expected(item: ParsedItem) -> dict[str, Any]:
    return {
        "title": item.title,
        "link": item.link,
        "guid": item.guid,
        "published": item.published.isoformat() if item.published else None,
        "summary_html": item.summary_html,
        "categories": list(item.categories),
    }


# --- parsing -----------------------------------------------------------------------------------


def test_response_parses_to_its_expected_json() -> None:
    expected = json.loads(RESPONSE.with_suffix(".expected.json").read_text("utf-8"))
    parsed = parser_for("govuk-search")(answered(RESPONSE.read_bytes()), search_source())
    assert [as_expected(item) for item in parsed.items] == expected["items"]
    assert len(parsed.warnings) == expected["warnings"]
    assert len(parsed.items) >= 10


def test_links_join_link_base_never_the_answering_host() -> None:
    parsed = parse(answered(RESPONSE.read_bytes()), search_source())
    assert all(item.link and item.link.startswith("https://www.gov.uk/") for item in parsed.items)
    assert {item.base_url for item in parsed.items} == {"https://www.gov.uk/"}


def test_configured_link_base_is_used() -> None:
    source = search_source(link_base="https://www.integration.publishing.service.gov.uk")
    item = parse(answered(RESPONSE.read_bytes()), source).items[0]
    assert item.link == (
        "https://www.integration.publishing.service.gov.uk/government/publications/"
        "child-safeguarding-practice-review-panel-annual-report-2024-to-2025"
    )
    assert item.guid == (
        "/government/publications/child-safeguarding-practice-review-panel-annual-report-2024-to-2025"
    )


def test_full_url_link_is_kept_as_is() -> None:
    body = json.dumps({"results": [{"title": "T", "link": "https://example.org/x?y=1"}]})
    item = parse(answered(body.encode()), search_source()).items[0]
    assert (item.link, item.guid) == ("https://example.org/x?y=1", "https://example.org/x?y=1")


def test_empty_results_is_not_an_error() -> None:
    parsed = parse(answered(b'{"results": [], "total": 0, "start": 0}'), search_source())
    assert parsed.items == () and parsed.warnings == ()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<!DOCTYPE html><html><body>Sorry, something went wrong</body></html>", "not JSON"),
        (b'{"error": "Invalid parameter", "status": 422}', "no `results` list"),
        (b'{"results": {"title": "x"}}', "no `results` list"),
        (b"[1, 2, 3]", "no `results` list"),
        (b"\xff\xfe\x00garbage", "not JSON"),
        (b"", "empty response"),
    ],
)
def test_unusable_responses_raise_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(answered(body), search_source())


def test_odd_result_shapes_are_skipped_with_warnings() -> None:
    body = json.dumps({"results": ["not an object", {"title": "  "}, {"link": "/x"}, None]})
    parsed = parse(answered(body.encode()), search_source())
    assert parsed.items == ()
    assert len(parsed.warnings) == 4


def test_unparseable_timestamp_leaves_published_unset() -> None:
    body = json.dumps({"results": [{"title": "T", "link": "/t", "public_timestamp": "soon"}]})
    assert parse(answered(body.encode()), search_source()).items[0].published is None


# --- URL building ------------------------------------------------------------------------------


def query_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def test_default_endpoint_and_requested_fields() -> None:
    url = build_search_url(search_source((("q", "child safeguarding practice review"),)))
    assert url.startswith("https://www.gov.uk/api/search.json?q=child+safeguarding")
    pairs = query_of(url)
    assert [v for k, v in pairs if k == "fields"] == list(DEFAULT_FIELDS)


def test_query_pairs_keep_order_and_repeated_keys() -> None:
    query = (
        ("q", "domestic homicide review"),
        ("order", "-public_timestamp"),
        ("count", "50"),
        ("filter_organisations", "home-office"),
        ("filter_organisations", "child-safeguarding-practice-review-panel"),
        ("reject_content_store_document_type", "press_release"),
        ("fields", "title"),
        ("fields", "link"),
    )
    assert query_of(build_search_url(search_source(query))) == list(query)


def test_count_is_capped_at_the_api_maximum() -> None:
    pairs = query_of(build_search_url(search_source((("count", "5000"),))))
    assert ("count", "1500") in pairs


def test_configured_url_and_its_query_are_kept() -> None:
    source = search_source((("q", "sar"),), url="https://www.gov.uk/api/search.json?start=20")
    assert query_of(build_search_url(source))[:2] == [("start", "20"), ("q", "sar")]


def test_values_are_percent_encoded() -> None:
    url = build_search_url(search_source((("q", '"adult safeguarding" & SAR'),)))
    assert "q=%22adult+safeguarding%22+%26+SAR" in url


def test_rate_limit_interval_honours_ten_requests_per_second() -> None:
    assert GOVUK_MIN_INTERVAL >= 0.1
