"""Odd requests answered without a 500, over real HTTP to waitress: each gets a 400 (or has its bad
part ignored) and leaves one log line, not a traceback."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from aggregator.runtime.service import Service
from aggregator.web.server import WebServer, make_server
from tests.support.admin import CSRF_FIELD, PASSWORD, running_service
from tests.support.feedserver import FeedServer
from tests.support.nginx import Answer, HttpsClient


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with FeedServer() as feeds, running_service(tmp_path, feeds) as svc:
        svc.feeds_dir.mkdir(parents=True, exist_ok=True)
        svc.publish()
        yield svc


@pytest.fixture
def web(service: Service) -> Iterator[WebServer]:
    server = make_server(service.web_app(), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield server
    server.close()
    thread.join(timeout=10)


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


def problems(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def one_line_logged(caplog: pytest.LogCaptureFixture) -> None:
    [record] = problems(caplog)
    assert record.exc_info is None and "\n" not in record.getMessage()


def sign_in(client: HttpsClient, next_path: str = "") -> Answer:
    found = CSRF_FIELD.search(client.get("/admin/login").text)
    assert found is not None
    form = {"csrf": found.group(1), "name": "alice", "password": PASSWORD, "next": next_path}
    return client.post("/admin/login", form)


def test_if_modified_since_with_a_huge_year_is_ignored(
    web: WebServer, logged: pytest.LogCaptureFixture
) -> None:
    client = HttpsClient(web.port)
    since = "Sat, 01 Jan 99999999999999999999 00:00:00 GMT"
    answer = client.get("/all.atom", {"If-Modified-Since": since})
    assert answer.status == 200 and answer.text.startswith("<?xml")
    one_line_logged(logged)


def test_a_flash_token_that_is_not_ascii_is_a_bad_request(
    web: WebServer, logged: pytest.LogCaptureFixture
) -> None:
    client = HttpsClient(web.port)
    assert sign_in(client).status == 303
    assert client.get("/admin/sources?flash=" + quote("é.é")).status == 400
    one_line_logged(logged)


def test_a_form_with_more_than_200_fields_is_a_bad_request(
    web: WebServer, logged: pytest.LogCaptureFixture
) -> None:
    client = HttpsClient(web.port)
    form = {f"f{n}": "x" for n in range(250)}
    assert client.post("/admin/login", form).status == 400
    one_line_logged(logged)


@pytest.mark.parametrize(
    "bad", ["/admin/items\r\nSet-Cookie: planted=1", "/admin/items\n", "/admin/ü"]
)
def test_a_next_with_control_or_non_ascii_characters_is_not_followed(
    web: WebServer, logged: pytest.LogCaptureFixture, bad: str
) -> None:
    client = HttpsClient(web.port)
    answer = sign_in(client, bad)
    assert answer.status == 303 and answer.headers["Location"] == "/admin/sources"
    assert "planted" not in client.jar
    again = client.get("/admin/login?next=" + quote(bad))  # signed in: straight on
    assert again.status == 303 and again.headers["Location"] == "/admin/sources"
    assert len(problems(logged)) == 2 and all(r.exc_info is None for r in problems(logged))
