"""The console reads its session cookie whatever other cookies the browser sends before it
(other apps on the same host set cookies the standard library's strict parser gives up on)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aggregator.admin.http import Request
from aggregator.runtime.service import Service
from tests.support.admin import WsgiClient, running_service
from tests.support.feedserver import FeedServer

ODD_COOKIES = ['x="unterminated', "a b=1", "x=\\x", 'prefs={"a":1}', "novalue", "=nameless"]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with FeedServer() as feeds, running_service(tmp_path, feeds) as svc:
        yield svc


@pytest.mark.parametrize("odd", ODD_COOKIES)
def test_an_unparsable_cookie_before_the_session_does_not_sign_the_user_out(
    service: Service, odd: str
) -> None:
    client = WsgiClient(service.web_app())
    assert client.sign_in().status == 303
    session = client.jar["sgf_session"]
    reply = client.get("/admin/items", HTTP_COOKIE=f"{odd}; sgf_session={session}; z=1")
    assert reply.status == 200


def test_cookies_are_read_leniently_first_value_wins() -> None:
    header = 'x="unterminated; a b=1; sgf_session=abc.def; sgf_session=later;  y = "q" '
    cookies = Request({"HTTP_COOKIE": header}).cookies
    assert cookies["sgf_session"] == "abc.def"
    assert cookies["y"] == "q"
    assert Request({}).cookies == {}
