"""Shared by the admin console tests: a cookie-keeping WSGI client and a small service set-up."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlencode
from wsgiref.types import WSGIApplication
from wsgiref.util import setup_testing_defaults
from xml.sax.saxutils import escape

from aggregator.admin.auth import hash_password
from aggregator.runtime.service import Service
from tests.support.feedserver import FeedServer

PASSWORD = "correct horse battery staple"
RSS = "application/rss+xml; charset=utf-8"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]*)"')


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    text: str

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def cookies(self) -> list[str]:
        return [v for k, v in self.headers if k.lower() == "set-cookie"]

    def csrf(self) -> str:
        found = CSRF_FIELD.search(self.text)
        assert found, "the page has no CSRF field"
        return found.group(1)


@dataclass
class WsgiClient:
    """Calls a WSGI app in-process, keeping cookies like a browser would (no network)."""

    app: WSGIApplication
    jar: dict[str, str] = field(default_factory=dict)
    environ: dict[str, str] = field(default_factory=dict)

    def get(self, path: str, **extra: str) -> Reply:
        return self.request("GET", path, None, extra)

    def post(self, path: str, form: dict[str, str], **extra: str) -> Reply:
        return self.request("POST", path, form, extra)

    def request(
        self, method: str, path: str, form: dict[str, str] | None, extra: dict[str, str]
    ) -> Reply:
        env: dict[str, object] = {}
        setup_testing_defaults(env)
        path, _, query = path.partition("?")
        body = urlencode(form or {}).encode()
        env.update(
            REQUEST_METHOD=method,
            PATH_INFO=path,
            QUERY_STRING=query,
            CONTENT_LENGTH=str(len(body)),
            CONTENT_TYPE="application/x-www-form-urlencoded",
            REMOTE_ADDR="192.0.2.10",
        )
        env["wsgi.input"] = io.BytesIO(body)
        if self.jar:
            env["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        env.update(self.environ)
        env.update(extra)
        captured: dict[str, object] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc: object = None) -> None:
            captured["status"], captured["headers"] = status, headers

        chunks = self.app(env, start_response)  # type: ignore[arg-type]
        data = b"".join(chunks)
        reply = Reply(int(str(captured["status"])[:3]), list(captured["headers"]), data.decode())  # type: ignore[call-overload]
        for cookie in reply.cookies():
            name, _, rest = cookie.partition("=")
            self.jar[name] = rest.split(";")[0]
        return reply

    def sign_in(self, name: str = "alice", password: str = PASSWORD) -> Reply:
        form = self.get("/admin/login")
        return self.post("/admin/login", {"csrf": form.csrf(), "name": name, "password": password})


def rss(items: list[tuple[str, str, str]], start: datetime | None = None) -> bytes:
    """An RSS 2.0 document: (guid, title, description) newest first."""
    start = start or datetime(2026, 1, 20, 9, 0, tzinfo=UTC)
    entries = "".join(
        f"<item><guid>{escape(guid)}</guid><title>{escape(title)}</title>"
        f"<link>https://board.example.org/{escape(guid)}</link>"
        f"<description>{escape(text)}</description>"
        f"<pubDate>{format_datetime(start - timedelta(days=i))}</pubDate></item>"
        for i, (guid, title, text) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Board news</title><link>https://board.example.org/</link>"
        f"<description>News</description>{entries}</channel></rss>"
    ).encode()


BOARD_ITEMS = [
    ("n1", "Partnership annual report published", "The annual report is out now."),
    ("n2", "New multi-agency training dates", "Book onto the spring courses."),
    ("n3", "Board meeting minutes for January", "Minutes of the January meeting."),
]


def sources_toml(server: FeedServer) -> str:
    return f"""# Sources of the partnership (comments stay when the console edits this file)
[settings]
site_url = "https://feeds.example.org"
allow_private_networks = true
per_host_delay = "0s"
robots = false

[[source]]
id = "board"
name = "Board news"
url = "{server.url("/board/feed")}"
category = "news"
"""


@contextmanager
def running_service(tmp_path: Path, server: FeedServer) -> Iterator[Service]:
    """A Service over a temp sources.toml, SQLite and feeds dir, with user alice (not started)."""
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_toml(server))
    service = Service(sources, f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "feeds", port=0)
    service.storage.add_user("alice", hash_password(PASSWORD))
    try:
        yield service
    finally:
        service.storage.close()
