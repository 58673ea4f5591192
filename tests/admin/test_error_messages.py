"""Error messages the console shows keep internal addresses and absolute paths to themselves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aggregator.admin.shown import shown
from aggregator.models import SourceState
from aggregator.runtime.service import Service
from tests.support.admin import WsgiClient, running_service
from tests.support.feedserver import FeedServer

LEAKY = (
    "connection failed: HTTPConnectionPool(host='10.20.30.40', port=8080): [Errno 111] in "
    "/srv/aggregator/.venv/lib/python3.11/site-packages/urllib3/connection.py; also fd00::5"
)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[WsgiClient, Service]]:
    with FeedServer() as feeds, running_service(tmp_path, feeds) as service:
        client = WsgiClient(service.web_app())
        assert client.sign_in().status == 303
        yield client, service


def test_a_sources_last_error_is_shown_without_internal_addresses_or_paths(
    client: tuple[WsgiClient, Service],
) -> None:
    browser, service = client
    service.storage.save_source_state(SourceState("board", last_error=LEAKY, error_count=3))
    page = browser.get("/admin/sources").text
    assert "10.20.30.40" not in page and "/srv/aggregator" not in page and "fd00::5" not in page
    assert "connection failed" in page and "connection.py" in page


def test_a_refused_source_edit_names_the_file_not_its_path(
    client: tuple[WsgiClient, Service],
) -> None:
    browser, service = client
    form = browser.get("/admin/sources/new")
    fields = {"csrf": form.csrf(), "id": "bad id!", "name": "X", "url": "ftp://x", "type": "feed"}
    reply = browser.post("/admin/sources/new", fields)
    assert reply.status == 400 and "sources.toml:" in reply.text
    assert str(service.sources_path.parent) not in reply.text


def test_public_addresses_and_urls_stay() -> None:
    message = "redirect loop at https://example.org/a/b.xml via 93.184.216.34 at 10:00:00"
    assert shown(message) == message
