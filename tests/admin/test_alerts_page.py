"""The console's Alerts page: open incidents and the deliveries with their results."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aggregator.clock import utcnow
from aggregator.runtime.service import Service
from aggregator.store.outbox import IncidentChange, NewDelivery
from tests.support.admin import BOARD_ITEMS, RSS, WsgiClient, rss, running_service
from tests.support.feedserver import FeedServer


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with FeedServer() as server:
        server.set("/board/feed", rss(BOARD_ITEMS), RSS)
        with running_service(tmp_path, server) as svc:
            yield svc


def test_the_alerts_page_shows_incidents_and_delivery_results(service: Service) -> None:
    storage, now = service.storage, utcnow()
    alert = NewDelivery("email", "admin@example.org", "source_failed", "{}")
    storage.change_incident(
        IncidentChange("board", None, "failing", "5 failed polls"), [alert], now=now
    )
    storage.enqueue(
        [NewDelivery("webhook", "https://site.example.org/hook", "publish", "{}")], now=now
    )
    sent, refused = storage.claim_deliveries("test", now=now, ttl=60)
    storage.delivery_sent(sent.id, now=now)
    storage.delivery_failed(refused.id, "https://site.example.org/hook answered 404", None)
    client = WsgiClient(service.web_app())
    assert client.get("/admin/alerts").status == 303  # sign-in first
    assert client.sign_in().status == 303
    text = client.get("/admin/alerts").text
    assert "<strong>failing</strong>, 5 failed polls" in text.split('id="incident-board"')[1]
    row = text.split(f'id="delivery-{sent.id}"')[1].split("</tr>")[0]
    assert "email: admin@example.org" in row and ">sent" in row
    row = text.split(f'id="delivery-{refused.id}"')[1].split("</tr>")[0]
    assert ">failed<" in row and "answered 404" in row
