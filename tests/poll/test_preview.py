"""`sources preview` and the console's preview say which selector matched what, and warn."""

from __future__ import annotations

from pathlib import Path

import pytest

from aggregator.admin.auth import hash_password
from aggregator.clock import utcnow
from aggregator.config import load_config
from aggregator.poll.preview import preview
from aggregator.runtime.service import Service
from tests.support.admin import PASSWORD, WsgiClient
from tests.support.e2e import HTML, SETTINGS, cli
from tests.support.feedserver import FeedServer

PAGE = Path(__file__).parents[1] / "fixtures" / "html" / "wordpress_entry_title_links.html"


def html_source(server: FeedServer, link: str) -> str:
    return f"""{SETTINGS}
[[source]]
id = "eastborough"
name = "Eastborough news"
type = "html"
url = "{server.url("/news/")}"

[source.select]
item = "article.post"
title = "h2.entry-title"
link = "{link}"
date = "time.entry-date"
"""


@pytest.fixture
def server() -> FeedServer:
    srv = FeedServer()
    srv.set("/news/", PAGE.read_bytes(), HTML)
    return srv


def test_preview_gives_each_items_matches_and_the_warnings(
    tmp_path: Path, server: FeedServer
) -> None:
    (tmp_path / "sources.toml").write_text(html_source(server, "span.posted-on"))
    config = load_config(tmp_path / "sources.toml")
    with server:
        shown = preview(config, config.sources[0], now=utcnow())
    assert shown.ok and len(shown.items) == 3
    assert [m.field for m in shown.matches[0]] == ["title", "link", "date"]
    link = shown.matches[0][1].found
    assert link is not None and (link.element, link.taken) == ('<span class="posted-on">', "text")
    assert len(shown.warnings) == 3
    assert all("which is not a URL path" in w for w in shown.warnings)


def test_sources_preview_prints_what_each_selector_took(
    tmp_path: Path, server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sources.toml").write_text(html_source(server, "h2.entry-title a"))
    with server:
        assert cli(tmp_path, "sources", "preview", "eastborough") == 0
    out = capsys.readouterr().out
    assert "2026-11-23 reviews/sar" in out
    assert server.url("/2026/11/23/sar-joan/") in out
    assert "link       'h2.entry-title a' → href of <a>: /2026/11/23/sar-joan/" in out
    assert "date       'time.entry-date' → datetime of <time" in out
    assert "warning:" not in out
    assert "3 item(s) from eastborough" in out


def test_sources_preview_warns_when_every_item_has_the_same_link(
    tmp_path: Path, server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sources.toml").write_text(html_source(server, "nav a.next@href"))
    page = PAGE.read_text().replace(
        "</article>", '<nav><a class="next" href="/news/page/2/">Next</a></nav></article>'
    )
    server.set("/news/", page.encode(), HTML)
    with server:
        assert cli(tmp_path, "sources", "preview", "eastborough") == 0
    out = capsys.readouterr().out
    assert f"warning: every item has the same link ({server.url('/news/page/2/')})" in out


def test_the_console_preview_shows_the_matches_and_warnings(
    tmp_path: Path, server: FeedServer
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(html_source(server, "span.posted-on"))
    service = Service(sources, f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "feeds", port=0)
    service.storage.add_user("alice", hash_password(PASSWORD))
    try:
        client = WsgiClient(service.web_app())
        assert client.sign_in().status == 303
        csrf = client.get("/admin/sources").csrf()
        with server:
            reply = client.post("/admin/sources/eastborough/preview", {"csrf": csrf})
    finally:
        service.storage.close()
    assert reply.status == 200
    assert "3 item(s) would be produced" in reply.text
    assert "What each selector took" in reply.text
    assert "<code>&lt;span class=&#34;posted-on&#34;&gt;</code>" in reply.text
    assert reply.text.count('class="warning"') == 3
