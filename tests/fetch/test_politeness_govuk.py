"""gov.uk asks for under 10 requests a second: its per-host gap never drops below 0.1 s."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import responses

from aggregator.config.govuk import GOVUK_MIN_INTERVAL
from aggregator.config.types import Config, Settings, SourceConfig
from aggregator.fetch.client import new_session
from aggregator.fetch.politeness import HostLimiter, polite_delay
from aggregator.fetch.robots import RobotsCache
from aggregator.models import SourceState
from aggregator.poll.source import poll_one

GOVUK = SourceConfig("g", "G", "govuk-search", "https://www.gov.uk/api/search.json")
BOARD = SourceConfig("b", "B", "feed", "https://board.example.org/feed")


@pytest.mark.parametrize(
    ("url", "configured", "expected"),
    [
        ("https://www.gov.uk/api/search.json?q=x", 0.0, GOVUK_MIN_INTERVAL),
        ("https://WWW.GOV.UK/search/all.atom", 0.05, GOVUK_MIN_INTERVAL),
        ("https://www.gov.uk/search/all.atom", 2.0, 2.0),  # a larger configured gap stands
        ("https://board.example.org/feed", 0.0, 0.0),  # other hosts are not clamped
    ],
)
def test_govuk_delay_is_clamped(url: str, configured: float, expected: float) -> None:
    assert polite_delay(url, BOARD, configured) == expected


class RecordingLimiter(HostLimiter):
    def __init__(self) -> None:
        super().__init__()
        self.delays: list[tuple[str, float]] = []

    @contextmanager
    def slot(self, url: str, concurrency: int, delay: float) -> Iterator[None]:
        self.delays.append((url, delay))
        with super().slot(url, concurrency, delay):
            yield


@responses.activate
def test_poll_spaces_govuk_requests_even_when_configured_not_to() -> None:
    responses.get("https://www.gov.uk/robots.txt", body="User-agent: *\nDisallow: /print\n")
    responses.get("https://www.gov.uk/api/search.json", json={"results": [], "total": 0})
    config = Config("sources.toml", Settings(per_host_delay=0.0), (GOVUK,))
    limiter = RecordingLimiter()
    fetched = poll_one(
        GOVUK,
        SourceState("g"),
        config,
        session=new_session(),
        limiter=limiter,
        now=datetime(2026, 1, 5, tzinfo=UTC),
        robots=RobotsCache(),
    )
    assert fetched.ok, fetched.error
    assert [url.split("?")[0] for url, _ in limiter.delays] == [
        "https://www.gov.uk/robots.txt",
        "https://www.gov.uk/api/search.json",
    ]
    assert all(delay == GOVUK_MIN_INTERVAL for _, delay in limiter.delays)
