"""The service pings the WebSub hub after a publish that changed a feed, and only then."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import responses

from aggregator.config import parse_config
from aggregator.publish import publish
from aggregator.store import Storage

HUB = "https://hub.example.org/"
SOURCES = f"""[settings]
site_url = "https://feeds.example.org"
websub_hub = "{HUB}"

[[feed]]
id = "all"
title = "Everything"
"""


@responses.activate
def test_hub_is_pinged_for_changed_feeds_only(tmp_path: Path) -> None:
    responses.add(responses.POST, HUB, status=204)
    config = parse_config(SOURCES, str(tmp_path / "sources.toml"))
    storage = Storage.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    try:
        first = publish(storage, config, tmp_path / "feeds", now=now)
        assert {p.name for p in first} >= {"all.atom", "all.rss"}
        pinged = {parse_qs(call.request.body)["hub.url"][0] for call in responses.calls}
        assert pinged == {"https://feeds.example.org/all.atom", "https://feeds.example.org/all.rss"}
        assert publish(storage, config, tmp_path / "feeds", now=now) == []
        assert len(responses.calls) == 2  # nothing changed: no new ping
    finally:
        storage.close()
