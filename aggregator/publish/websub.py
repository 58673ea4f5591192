"""Telling a WebSub hub that feeds changed (https://www.w3.org/TR/websub/)."""

from __future__ import annotations

from collections.abc import Iterable

import requests

from aggregator.errors import FetchError

PING_TIMEOUT = 20.0  # seconds


def ping_websub(hub: str, changed_feed_urls: Iterable[str], session: requests.Session) -> None:
    """POST hub.mode=publish for each changed feed URL; FetchError when the hub refuses."""
    for url in changed_feed_urls:
        data = {"hub.mode": "publish", "hub.url": url}
        try:
            response = session.post(hub, data=data, timeout=PING_TIMEOUT)
        except requests.RequestException as exc:
            raise FetchError(f"websub hub {hub} unreachable: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise FetchError(
                f"websub hub {hub} answered {response.status_code} for {url}",
                status=response.status_code,
            )
