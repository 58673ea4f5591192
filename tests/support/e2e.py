"""Shared helpers for the end-to-end tests: the real CLI, a real store, a real HTTP server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aggregator.cli import main
from aggregator.models import StoredItem
from aggregator.store import Storage
from tests.support.feedserver import FeedServer

FIXTURES = Path(__file__).parents[1] / "fixtures" / "e2e"
RSS = "application/rss+xml; charset=UTF-8"
ATOM = "application/atom+xml; charset=utf-8"
HTML = "text/html; charset=UTF-8"
JSON = "application/json; charset=utf-8"

SETTINGS = """
[settings]
site_url = "https://feeds.example.org"
allow_private_networks = true
per_host_delay = "0s"
robots = false
"""


def fixture(name: str, server: FeedServer | None = None, **replacements: str) -> bytes:
    """A fixture's bytes; `{base}` becomes the server's base URL, `{key}` each replacement."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    if server is not None:
        text = text.replace("{base}", server.base)
    for key, value in replacements.items():
        text = text.replace("{" + key + "}", value)
    return text.encode("utf-8")


def feed_source(source_id: str, url: str, category: str = "news", extra: str = "") -> str:
    return f"""
[[source]]
id = "{source_id}"
name = "{source_id}"
url = "{url}"
category = "{category}"
{extra}"""


def cli(workdir: Path, *args: str) -> int:
    return main(
        [
            "--sources", str(workdir / "sources.toml"),
            "--db", db_url(workdir),
            "--feeds-dir", str(workdir / "feeds"),
            *args,
        ]
    )  # fmt: skip


def db_url(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'db.sqlite'}"


def stored_items(workdir: Path, *, include_hidden: bool = True) -> list[StoredItem]:
    with Storage.open(db_url(workdir)) as storage:
        return storage.items(include_hidden=include_hidden)


def by_title(workdir: Path) -> dict[str, StoredItem]:
    items = stored_items(workdir)
    found = {item.title: item for item in items}
    assert len(found) == len(items), [item.title for item in items]
    return found


def json_feed(workdir: Path, name: str = "all.json") -> dict[str, Any]:
    document: dict[str, Any] = json.loads((workdir / "feeds" / name).read_text())
    return document


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
