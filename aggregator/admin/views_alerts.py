"""Alerts: the sources' open incidents and the recent alert emails and webhook deliveries."""

from __future__ import annotations

from aggregator.admin.http import Response
from aggregator.admin.routing import Page, Route

SHOWN = 100


def list_alerts(page: Page) -> Response:
    storage = page.console.storage
    incidents = sorted(storage.open_incidents().items())
    deliveries = storage.deliveries(SHOWN)
    return page.render("alerts.html", incidents=incidents, deliveries=deliveries)


ROUTES = [Route("GET", "/alerts", list_alerts)]
