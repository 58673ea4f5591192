"""The feeds web server, exercised over real HTTP against waitress on 127.0.0.1."""

from __future__ import annotations

import errno
import gzip
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate
from html.parser import HTMLParser
from pathlib import Path
from wsgiref.types import StartResponse, WSGIEnvironment

import pytest

from aggregator.web import Document, create_app
from aggregator.web.server import WebServer, make_server
from aggregator.web.static import DirectorySource, accepts_gzip, none_match

FIXTURES = Path(__file__).parents[1] / "fixtures" / "web"
MTIME = 1_715_678_000  # 2024-05-14T09:13:20Z


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@pytest.fixture
def feeds_dir(tmp_path: Path) -> Path:
    feeds = tmp_path / "feeds"
    shutil.copytree(FIXTURES, feeds)
    for path in feeds.iterdir():
        os.utime(path, (MTIME, MTIME))
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "secret"\n')
    return feeds


def run_server(server: WebServer) -> Iterator[WebServer]:
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.close()
        thread.join(timeout=10)
        assert not thread.is_alive()


@pytest.fixture
def server(feeds_dir: Path) -> Iterator[WebServer]:
    def health() -> dict[str, object]:
        return {"items": 42}

    def ready() -> tuple[bool, dict[str, object]]:
        return True, {"database": "ok"}

    app = create_app(feeds_dir, health=health, ready=ready)
    yield from run_server(make_server(app, "127.0.0.1", 0))


def fetch(
    server: WebServer, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> Reply:
    """One request with exactly these headers (http.client sends the path untouched)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def sha_etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/all.atom", "application/atom+xml; charset=utf-8"),
        ("/all.rss", "application/rss+xml; charset=utf-8"),
        ("/all.json", "application/feed+json; charset=utf-8"),
        ("/sources.opml", "text/x-opml; charset=utf-8"),
        ("/latest.json", "application/json; charset=utf-8"),
        ("/latest.html", "text/html; charset=utf-8"),
    ],
)
def test_each_format_is_served_with_its_media_type(
    server: WebServer, feeds_dir: Path, path: str, content_type: str
) -> None:
    reply = fetch(server, path)
    assert reply.status == 200
    assert reply.header("Content-Type") == content_type
    assert reply.body == (feeds_dir / path[1:]).read_bytes()
    assert reply.header("Content-Length") == str(len(reply.body))
    assert reply.header("Cache-Control") == "public, max-age=300"
    assert reply.header("Vary") == "Accept-Encoding"


def test_the_server_is_waitress_not_a_development_server(server: WebServer) -> None:
    reply = fetch(server, "/all.atom")
    assert reply.header("Server") == "waitress"


def test_etag_is_the_sha256_of_the_file_and_if_none_match_gives_304(
    server: WebServer, feeds_dir: Path
) -> None:
    first = fetch(server, "/all.rss")
    etag = first.header("ETag")
    assert etag == sha_etag((feeds_dir / "all.rss").read_bytes())
    again = fetch(server, "/all.rss", headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.body == b""
    assert again.header("ETag") == etag
    assert again.header("Content-Type") is None


@pytest.mark.parametrize(
    "if_none_match", ['"0000", {etag}', "W/{etag}", "*", '"aaaa",W/"bbbb", {etag}']
)
def test_if_none_match_lists_weak_tags_and_star(server: WebServer, if_none_match: str) -> None:
    etag = fetch(server, "/all.json").header("ETag")
    assert etag is not None
    reply = fetch(server, "/all.json", headers={"If-None-Match": if_none_match.format(etag=etag)})
    assert reply.status == 304


def test_a_different_etag_gets_the_full_document(server: WebServer) -> None:
    reply = fetch(server, "/all.json", headers={"If-None-Match": '"0123456789abcdef"'})
    assert reply.status == 200
    assert reply.body.startswith(b"{")


def test_last_modified_and_if_modified_since(server: WebServer) -> None:
    first = fetch(server, "/all.atom")
    assert first.header("Last-Modified") == formatdate(MTIME, usegmt=True)
    same = fetch(server, "/all.atom", headers={"If-Modified-Since": formatdate(MTIME, usegmt=True)})
    assert same.status == 304
    assert same.body == b""
    older = formatdate(MTIME - 3600, usegmt=True)
    assert fetch(server, "/all.atom", headers={"If-Modified-Since": older}).status == 200
    assert fetch(server, "/all.atom", headers={"If-Modified-Since": "garbage"}).status == 200


def test_if_modified_since_is_ignored_when_if_none_match_is_sent(server: WebServer) -> None:
    headers = {"If-None-Match": '"stale"', "If-Modified-Since": formatdate(MTIME, usegmt=True)}
    assert fetch(server, "/all.atom", headers=headers).status == 200


def test_gzip_when_accepted_with_its_own_etag(server: WebServer, feeds_dir: Path) -> None:
    original = (feeds_dir / "all.atom").read_bytes()
    reply = fetch(server, "/all.atom", headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert reply.header("Content-Encoding") == "gzip"
    assert gzip.decompress(reply.body) == original
    assert len(reply.body) < len(original)
    assert reply.header("Content-Length") == str(len(reply.body))
    gz_etag = reply.header("ETag")
    assert gz_etag == sha_etag(original)[:-1] + '-gz"'
    cached = fetch(
        server, "/all.atom", headers={"Accept-Encoding": "gzip", "If-None-Match": gz_etag}
    )
    assert cached.status == 304
    assert cached.header("ETag") == gz_etag
    # The identity representation is a different one: the gzip ETag does not validate it.
    assert fetch(server, "/all.atom", headers={"If-None-Match": gz_etag}).status == 200


def test_no_gzip_when_refused_or_the_body_is_small(server: WebServer) -> None:
    refused = fetch(server, "/all.atom", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert refused.header("Content-Encoding") is None
    small = fetch(server, "/latest.json", headers={"Accept-Encoding": "gzip"})
    assert small.header("Content-Encoding") is None
    assert json.loads(small.body)["columns"]["reviews"]


def test_head_has_the_headers_but_no_body(server: WebServer) -> None:
    get = fetch(server, "/all.rss")
    head = fetch(server, "/all.rss", method="HEAD")
    assert head.status == 200
    assert head.body == b""
    assert head.header("Content-Length") == str(len(get.body))
    assert head.header("ETag") == get.header("ETag")
    assert head.header("Content-Type") == get.header("Content-Type")


@pytest.mark.parametrize(
    "path",
    [
        "/missing.atom",
        "/../pyproject.toml",
        "/%2e%2e/pyproject.toml",
        "/%2e%2e/",
        "/..%2fpyproject.toml",
        "/feeds/all.atom",
        "/all.atom/",
        "/.hidden.atom",
        "/all.xml",
        "/favicon.ico",
    ],
)
def test_unknown_and_traversal_paths_are_404(server: WebServer, path: str) -> None:
    reply = fetch(server, path)
    assert reply.status == 404
    assert b"secret" not in reply.body


def test_a_dot_file_with_a_feed_suffix_is_not_served(server: WebServer, feeds_dir: Path) -> None:
    (feeds_dir / ".all.atom.tmp.atom").write_bytes(b"<feed/>")
    assert fetch(server, "/.all.atom.tmp.atom").status == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS"])
def test_other_methods_are_405_with_allow(server: WebServer, method: str) -> None:
    reply = fetch(server, "/all.atom", method=method)
    assert reply.status == 405
    assert reply.header("Allow") == "GET, HEAD"


def test_cors_only_on_the_latest_block(server: WebServer) -> None:
    assert fetch(server, "/latest.json").header("Access-Control-Allow-Origin") == "*"
    assert fetch(server, "/latest.html").header("Access-Control-Allow-Origin") == "*"
    assert fetch(server, "/all.json").header("Access-Control-Allow-Origin") is None


class LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.alternates: list[dict[str, str | None]] = []
        self.anchors: list[str] = []
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "head":
            self._in_head = True
        elif tag == "link" and found.get("rel") == "alternate":
            assert self._in_head, "autodiscovery links belong in <head>"
            self.alternates.append(found)
        elif tag == "a" and found.get("href"):
            self.anchors.append(str(found["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False


def test_index_lists_every_feed_with_autodiscovery(server: WebServer) -> None:
    reply = fetch(server, "/")
    assert reply.status == 200
    assert reply.header("Content-Type") == "text/html; charset=utf-8"
    page = LinkCollector()
    page.feed(reply.body.decode("utf-8"))
    discovered = {(link["type"], link["href"]) for link in page.alternates}
    assert discovered == {
        ("application/atom+xml", "all.atom"),
        ("application/rss+xml", "all.rss"),
        ("application/feed+json", "all.json"),
        ("application/atom+xml", "reviews.atom"),
    }
    titles = {link["title"] for link in page.alternates}
    assert "Published reviews: DHR, SAR & CSPR (Atom)" in titles
    assert "Safeguarding partnership – all updates (RSS)" in titles
    assert {"all.atom", "all.rss", "all.json", "reviews.atom"} <= set(page.anchors)
    assert {"latest.html", "latest.json", "sources.opml"} <= set(page.anchors)


def test_index_shows_a_feed_published_later(server: WebServer, feeds_dir: Path) -> None:
    before = fetch(server, "/")
    shutil.copy(feeds_dir / "reviews.atom", feeds_dir / "training.atom")
    after = fetch(server, "/", headers={"If-None-Match": before.header("ETag") or ""})
    assert after.status == 200
    assert b'href="training.atom"' in after.body


def test_healthz_reports_ok_and_the_health_details(server: WebServer) -> None:
    reply = fetch(server, "/healthz")
    assert reply.status == 200
    assert reply.header("Content-Type") == "application/json"
    assert reply.header("Cache-Control") == "no-store"
    assert json.loads(reply.body) == {"status": "ok", "items": 42}


def test_readyz_follows_the_ready_callback(feeds_dir: Path) -> None:
    state = {"ready": False}
    app = create_app(feeds_dir, ready=lambda: (state["ready"], {"database": "connecting"}))
    for server in run_server(make_server(app, "127.0.0.1", 0)):
        not_ready = fetch(server, "/readyz")
        assert not_ready.status == 503
        assert json.loads(not_ready.body) == {"status": "not ready", "database": "connecting"}
        state["ready"] = True
        assert fetch(server, "/readyz").status == 200


def test_readyz_by_default_waits_for_a_published_feed(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    for server in run_server(make_server(create_app(feeds), "127.0.0.1", 0)):
        assert fetch(server, "/readyz").status == 503
        assert b"No feeds published yet" in fetch(server, "/").body
        shutil.copy(FIXTURES / "all.atom", feeds / "all.atom")
        assert fetch(server, "/readyz").status == 200


def test_a_failing_health_callback_is_503(feeds_dir: Path) -> None:
    def broken() -> dict[str, object]:
        raise RuntimeError("database unreachable")

    for server in run_server(make_server(create_app(feeds_dir, health=broken), "127.0.0.1", 0)):
        reply = fetch(server, "/healthz")
        assert reply.status == 503
        assert json.loads(reply.body) == {"status": "error"}


def test_a_file_replaced_between_requests_gets_a_new_etag(
    server: WebServer, feeds_dir: Path
) -> None:
    target = feeds_dir / "all.atom"
    old_bytes = target.read_bytes()
    first = fetch(server, "/all.atom", headers={"Accept-Encoding": "gzip"})
    # Same size and same mtime: only the atomic replacement (a new inode) tells them apart.
    new_bytes = old_bytes.replace(b"Child T", b"Child U")
    staged = feeds_dir / ".all.atom.tmp"
    staged.write_bytes(new_bytes)
    os.utime(staged, (MTIME, MTIME))
    os.replace(staged, target)
    second = fetch(server, "/all.atom", headers={"Accept-Encoding": "gzip"})
    assert second.header("ETag") != first.header("ETag")
    assert gzip.decompress(second.body) == new_bytes
    stale = fetch(server, "/all.atom", headers={"If-None-Match": sha_etag(old_bytes)})
    assert stale.status == 200
    assert stale.header("ETag") == sha_etag(new_bytes)


def test_documents_can_come_from_another_source(tmp_path: Path) -> None:
    class MemorySource:
        def get(self, name: str) -> Document | None:
            if name != "all.atom":
                return None
            return Document(b"<feed/>", MTIME, "application/atom+xml; charset=utf-8", "v1")

        def names(self) -> list[str]:
            return ["all.atom"]

    app = create_app(tmp_path / "unused", source=MemorySource(), max_age=60)
    for server in run_server(make_server(app, "127.0.0.1", 0)):
        reply = fetch(server, "/all.atom")
        assert reply.body == b"<feed/>"
        assert reply.header("Cache-Control") == "public, max-age=60"
        assert fetch(server, "/all.rss").status == 404


def test_each_version_is_hashed_once(feeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = hashlib.sha256

    def counting(data: bytes = b"") -> object:
        calls.append(len(data))
        return real(data)

    app = create_app(feeds_dir)
    monkeypatch.setattr("aggregator.web.static.hashlib.sha256", counting)
    for server in run_server(make_server(app, "127.0.0.1", 0)):
        for _ in range(5):
            fetch(server, "/all.rss", headers={"Accept-Encoding": "gzip"})
    assert len(calls) == 1


def test_close_before_run_releases_the_port(feeds_dir: Path) -> None:
    server = make_server(create_app(feeds_dir), "127.0.0.1", 0)
    server.close()
    server.close()


def test_close_stops_the_loop_even_when_its_wake_up_pipe_is_gone(
    feeds_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def gone(thunk: object = None) -> None:
        raise OSError(errno.EBADF, "Bad file descriptor")

    server = make_server(create_app(feeds_dir), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert fetch(server, "/all.atom").status == 200
    monkeypatch.setattr(server._server.trigger, "pull_trigger", gone)  # as seen once in CI
    server.close()
    thread.join(timeout=10)
    assert not thread.is_alive()
    with pytest.raises(OSError):
        socket.create_connection((server.host, server.port), timeout=1).close()


def test_directory_source_reads_only_plain_names(feeds_dir: Path) -> None:
    source = DirectorySource(feeds_dir)
    assert source.get("../pyproject.toml") is None
    assert source.get("missing.atom") is None
    doc = source.get("all.atom")
    assert doc is not None
    assert doc.mtime == MTIME
    assert "latest.json" in source.names()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ("gzip", True),
        ("GZIP;q=0.5", True),
        ("deflate, br", False),
        ("*", True),
        ("*;q=0", False),
        ("gzip;q=0, *", False),
        ("x-gzip", True),
        ("gzip;q=bogus", False),
    ],
)
def test_accepts_gzip(header: str | None, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_none_match_uses_weak_comparison() -> None:
    assert none_match('W/"abc"', '"abc"')
    assert none_match(' "x" , "abc" ', '"abc"')
    assert not none_match('"abcd"', '"abc"')


def test_concurrent_readers_never_see_a_half_replaced_file(feeds_dir: Path) -> None:
    target = feeds_dir / "all.atom"
    versions = [
        target.read_bytes().replace(b"Child T", f"Child {i:04d}".encode()) * (i % 3 + 1)
        for i in range(40)
    ]
    valid = {sha_etag(v): v for v in versions} | {
        sha_etag(target.read_bytes()): target.read_bytes()
    }
    problems: list[str] = []
    seen: set[str] = set()
    readers_done = threading.Event()

    def publisher() -> None:
        i = 0
        while not readers_done.is_set():
            staged = feeds_dir / f".all.atom.{i}.tmp"
            staged.write_bytes(versions[i % len(versions)])
            os.replace(staged, target)
            i += 1

    def reader(server: WebServer) -> None:
        for _ in range(25):
            reply = fetch(server, "/all.atom")
            etag = reply.header("ETag") or ""
            if valid.get(etag) != reply.body:
                problems.append(f"{etag}: {len(reply.body)} bytes")
            seen.add(etag)

    for server in run_server(make_server(create_app(feeds_dir), "127.0.0.1", 0, threads=4)):
        readers = [threading.Thread(target=reader, args=(server,)) for _ in range(6)]
        writer = threading.Thread(target=publisher)
        writer.start()
        for thread in readers:
            thread.start()
        for thread in readers:
            thread.join(timeout=30)
        readers_done.set()
        writer.join(timeout=10)
    assert problems == []
    assert len(seen) > 3  # the readers really raced the publisher


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_stops_cleanly_on_sigterm(feeds_dir: Path) -> None:
    port = free_port()
    code = (
        "import sys; from pathlib import Path;"
        "from aggregator.web import create_app; from aggregator.web.server import serve;"
        f"serve(create_app(Path(sys.argv[1])), '127.0.0.1', {port}); print('stopped')"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(feeds_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/all.atom")
        assert conn.getresponse().status == 200
        conn.close()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert out.strip() == "stopped"


def test_mounted_apps_get_their_prefix_and_any_method(feeds_dir: Path) -> None:
    def admin(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        body = f"{environ['REQUEST_METHOD']} {environ['SCRIPT_NAME']} {environ['PATH_INFO']}"
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body.encode()]

    app = create_app(feeds_dir, mounts={"/admin": admin})
    for server in run_server(make_server(app, "127.0.0.1", 0)):
        assert fetch(server, "/admin/sources", method="POST").body == b"POST /admin /sources"
        assert fetch(server, "/admin").body == b"GET /admin "
        assert fetch(server, "/administrator.atom").status == 404
        assert fetch(server, "/all.atom", method="POST").status == 405
