"""The console's themes: shown on an item, chosen by ticking (kept on later polls, audited,
republished), handed back to the heuristics, and a filter of the items list; and a joint review
set with the review type."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from aggregator.runtime.service import Service
from tests.support.admin import BOARD_ITEMS, RSS, WsgiClient, rss, running_service
from tests.support.feedserver import FeedServer

HOARDING = ("n4", "Hoarding: practitioner briefing", "Working with people who hoard.")
REPORT = "Partnership annual report published"
TITLES = re.compile(r'class="item-title">([^<]+)<')


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        srv.set("/board/feed", rss([*BOARD_ITEMS, HOARDING]), RSS)
        yield srv


@pytest.fixture
def service(tmp_path: Path, server: FeedServer) -> Iterator[Service]:
    with running_service(tmp_path, server) as svc:
        yield svc


@pytest.fixture
def client(service: Service) -> WsgiClient:
    client = WsgiClient(service.web_app())
    assert client.sign_in().status == 303
    return client


def test_ticked_themes_are_kept_published_and_audited(
    client: WsgiClient, service: Service, server: FeedServer
) -> None:
    service.poll_now("board")
    ids = {item.title: item.id for item in service.storage.items()}
    page = client.get(f"/admin/items/{ids[HOARDING[1]]}")
    assert "Themes: Self-neglect, Hoarding" in page.text
    assert 'name="theme-hoarding" value="1" checked' in page.text
    csrf = page.csrf()
    ticked = {"theme-financial-abuse": "1", "theme-online-safety": "1"}
    client.post(f"/admin/items/{ids[REPORT]}/themes", {"csrf": csrf, **ticked})
    assert service.storage.item(ids[REPORT]).themes == ("financial-abuse", "online-safety")
    assert 'label="Financial abuse and scams"' in (service.feeds_dir / "all.atom").read_text()
    changed = [
        ("n1", REPORT, "The annual report is out now, with a new foreword."),
        *BOARD_ITEMS[1:],
    ]
    server.set("/board/feed", rss([*changed, HOARDING]), RSS)
    assert service.poll_now("board").updated == 1
    assert service.storage.item(ids[REPORT]).themes == ("financial-abuse", "online-safety")
    client.post(f"/admin/items/{ids[REPORT]}/themes", {"csrf": csrf, "auto": "1", **ticked})
    assert service.storage.item(ids[REPORT]).themes == ()
    trail = [entry[1:] for entry in service.storage.audit(ids[REPORT]) if entry[1] == "set"]
    assert trail == [
        ("set", "themes=financial-abuse,online-safety", "admin:alice"),
        ("set", "themes=(source)", "admin:alice"),
    ]


def test_the_items_list_filters_by_theme(client: WsgiClient, service: Service) -> None:
    service.poll_now("board")
    listed = TITLES.findall(client.get("/admin/items?theme=self-neglect").text)
    assert listed == [HOARDING[1]]
    assert TITLES.findall(client.get("/admin/items?theme=neglect").text) == []


def test_a_joint_review_is_set_with_the_review_type(client: WsgiClient, service: Service) -> None:
    service.poll_now("board")
    item_id = next(i.id for i in service.storage.items() if i.title == REPORT)
    csrf = client.get(f"/admin/items/{item_id}").csrf()
    form = {"csrf": csrf, "category": "reviews", "review_type": "dhr", "also-sar": "1"}
    form["also-dhr"] = "1"  # the main type ticked as well counts once
    client.post(f"/admin/items/{item_id}/set", form)
    stored = service.storage.item(item_id)
    assert (stored.category, stored.review_types) == ("reviews", ("dhr", "sar"))
    assert 'name="also-sar" value="1" checked' in client.get(f"/admin/items/{item_id}").text
    client.post(f"/admin/items/{item_id}/set", {"csrf": csrf, "category": "", "review_type": ""})
    assert service.storage.item(item_id).review_types == ()
