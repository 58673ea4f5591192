"""The admin console over WSGI: access control, CSRF, sign-in limits, curation that sticks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from aggregator.admin import ROUTES, AdminApp, Console
from aggregator.admin.auth import Session, Signer, hash_password
from aggregator.admin.health import source_status
from aggregator.admin.source_form import SourceForm
from aggregator.config import load_config
from aggregator.config.types import SourceConfig
from aggregator.models import PollOutcome, SourceState
from aggregator.runtime.service import Service
from tests.support.admin import (
    BOARD_ITEMS,
    PASSWORD,
    RSS,
    WsgiClient,
    rss,
    running_service,
)
from tests.support.feedserver import FeedServer


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        srv.set("/board/feed", rss(BOARD_ITEMS), RSS)
        yield srv


@pytest.fixture
def service(tmp_path: Path, server: FeedServer) -> Iterator[Service]:
    with running_service(tmp_path, server) as svc:
        yield svc


@pytest.fixture
def client(service: Service) -> WsgiClient:
    return WsgiClient(service.web_app())


def signed_in(client: WsgiClient) -> WsgiClient:
    reply = client.sign_in()
    assert reply.status == 303, reply.text
    return client


def page_csrf(client: WsgiClient, path: str = "/admin/sources") -> str:
    return client.get(path).csrf()


def atom(service: Service) -> str:
    return (service.feeds_dir / "all.atom").read_text()


# --- access control ---


def test_every_route_but_sign_in_refuses_an_anonymous_request(client: WsgiClient) -> None:
    protected = [route for route in ROUTES if not route.public]
    assert {route.pattern for route in ROUTES if route.public} == {"/login"}
    assert len(protected) >= 14  # every page and action of the console
    for route in protected:
        path = "/admin" + route.example_path()
        if route.method == "GET":
            reply = client.get(path)
            assert reply.status == 303, path
            assert (reply.header("Location") or "").startswith("/admin/login?next=")
        else:
            reply = client.post(path, {"csrf": "anything"})
            assert reply.status == 403, path
        assert "<table" not in reply.text


def test_the_app_serves_exactly_the_routes_listed(service: Service) -> None:
    app = AdminApp(_console(service))
    assert app.routes is ROUTES


def test_a_forged_or_expired_session_is_refused(client: WsgiClient, service: Service) -> None:
    forged = Signer(b"not the key").session_cookie(Session("alice", "t", 4e9))
    client.jar["sgf_session"] = forged
    assert client.get("/admin/items").status == 303
    real = AdminApp(_console(service)).signer
    client.jar["sgf_session"] = real.session_cookie(Session("alice", "t", 1.0))  # long expired
    assert client.get("/admin/items").status == 303
    # Signed with the real key but never started on the server (no stored session): refused.
    client.jar["sgf_session"] = real.session_cookie(Session("alice", "t", 4e9, "made-up id"))
    assert client.get("/admin/items").status == 303
    signed_in(client)
    assert client.get("/admin/items").status == 200


def test_removing_a_user_ends_their_sessions(client: WsgiClient, service: Service) -> None:
    signed_in(client)
    assert client.get("/admin/items").status == 200
    service.storage.remove_user("alice")
    assert client.get("/admin/items").status == 303


def test_sign_in_rejects_a_wrong_password_and_sign_out_ends_the_session(
    client: WsgiClient,
) -> None:
    assert client.sign_in(password="wrong password!").status == 403
    assert client.get("/admin/sources").status == 303
    signed_in(client)
    assert client.get("/admin/sources").status == 200
    assert client.post("/admin/logout", {"csrf": page_csrf(client)}).status == 303
    assert client.get("/admin/sources").status == 303


def test_sign_in_never_redirects_off_site(client: WsgiClient) -> None:
    form = client.get("/admin/login")
    reply = client.post(
        "/admin/login",
        {"csrf": form.csrf(), "name": "alice", "password": PASSWORD, "next": "//evil.example/"},
    )
    assert reply.header("Location") == "/admin/sources"


# --- CSRF ---


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(
    client: WsgiClient, service: Service
) -> None:
    service.poll_now("board")
    signed_in(client)
    item = service.storage.items()[0]
    path = f"/admin/items/{item.id}/hide"
    assert client.post(path, {}).status == 403
    assert client.post(path, {"csrf": "a" + page_csrf(client)}).status == 403
    assert not service.storage.item(item.id).hidden
    assert client.post(path, {"csrf": page_csrf(client)}).status == 303
    assert service.storage.item(item.id).hidden


def test_the_sign_in_form_needs_its_csrf_token_too(client: WsgiClient) -> None:
    client.get("/admin/login")
    reply = client.post("/admin/login", {"name": "alice", "password": PASSWORD})
    assert reply.status == 403
    assert client.get("/admin/sources").status == 303


def test_signing_in_replaces_the_csrf_token(client: WsgiClient) -> None:
    before = client.get("/admin/login").csrf()
    signed_in(client)
    assert page_csrf(client) != before


# --- cookies ---


def test_session_cookie_is_http_only_same_site_and_secure_over_https(service: Service) -> None:
    plain = WsgiClient(service.web_app())
    cookie = plain.get("/admin/login").cookies()[0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Path=/admin" in cookie
    tls = WsgiClient(service.web_app(), environ={"wsgi.url_scheme": "https"})
    assert "Secure" in tls.get("/admin/login").cookies()[0]
    # The app never reads X-Forwarded-*: behind a proxy waitress sets the scheme
    # (tests/web/test_reverse_proxy.py).
    proxied = WsgiClient(service.web_app(), environ={"HTTP_X_FORWARDED_PROTO": "https"})
    assert "Secure" not in proxied.get("/admin/login").cookies()[0]


# (sign-in limits: tests/admin/test_signin.py)


# --- curation that sticks ---


def test_hiding_an_item_removes_it_from_all_atom_and_the_next_poll_keeps_it_hidden(
    client: WsgiClient, service: Service, server: FeedServer
) -> None:
    service.poll_now("board")
    assert "Board meeting minutes for January" in atom(service)
    signed_in(client)
    listing = client.get("/admin/items?q=minutes")
    item_id = re.search(r'id="item-(\d+)"', listing.text).group(1)  # type: ignore[union-attr]
    reply = client.post(
        f"/admin/items/{item_id}/hide",
        {"csrf": listing.csrf(), "back": "/admin/items?q=minutes"},
    )
    assert reply.status == 303 and "q=minutes" in (reply.header("Location") or "")
    assert "Board meeting minutes for January" not in atom(service)
    assert (
        "Board meeting minutes for January" not in (service.feeds_dir / "latest.html").read_text()
    )
    trail = service.storage.audit(int(item_id))
    assert trail[-1][1:] == ("set", "hidden=true", "admin:alice")
    # The source changes (so it is parsed again, not 304) and still lists the item.
    server.set("/board/feed", rss([("n0", "Spring newsletter", "Out now."), *BOARD_ITEMS]), RSS)
    outcome = service.poll_now("board")
    assert outcome.ok and outcome.new == 1
    text = atom(service)
    assert "Spring newsletter" in text and "Board meeting minutes for January" not in text


def test_pin_recategorise_and_delete_through_the_console(
    client: WsgiClient, service: Service
) -> None:
    service.poll_now("board")
    signed_in(client)
    items = {item.title: item.id for item in service.storage.items()}
    report = items["Partnership annual report published"]
    csrf = page_csrf(client)
    client.post(f"/admin/items/{report}/set", {"csrf": csrf, "category": "training"})
    client.post(f"/admin/items/{report}/pin", {"csrf": csrf})
    stored = service.storage.item(report)
    assert stored.category == "training" and stored.pinned
    training = (service.feeds_dir / "training.atom").read_text()
    assert "Partnership annual report published" in training
    minutes = items["Board meeting minutes for January"]
    client.post(f"/admin/items/{minutes}/delete", {"csrf": csrf})
    assert minutes not in {item.id for item in service.storage.items(include_hidden=True)}
    assert client.get(f"/admin/items/{minutes}").status == 404


def test_items_can_be_filtered_by_category_and_source(client: WsgiClient, service: Service) -> None:
    service.poll_now("board")
    signed_in(client)
    titles = re.compile(r'class="item-title">([^<]+)<')
    every = titles.findall(client.get("/admin/items?source=board").text)
    training = titles.findall(client.get("/admin/items?category=training").text)
    assert len(every) == 3
    assert training == ["New multi-agency training dates"]


# --- sources ---


def test_adding_a_bad_source_shows_file_and_line_and_leaves_the_file_alone(
    client: WsgiClient, service: Service
) -> None:
    signed_in(client)
    before = service.sources_path.read_text()
    form = {
        "csrf": page_csrf(client, "/admin/sources/new"),
        "id": "listing",
        "name": "Listing",
        "type": "html",
        "url": "not a url",
        "enabled": "on",
        "select_item": "li.news",
        "action": "save",
    }
    reply = client.post("/admin/sources/new", form)
    assert reply.status == 400
    assert re.search(r"<code>sources\.toml:\d+: ", reply.text)  # the file, not its path
    assert service.sources_path.read_text() == before


def test_adding_a_source_keeps_comments_and_the_service_picks_it_up(
    client: WsgiClient, service: Service, server: FeedServer
) -> None:
    signed_in(client)
    form = {
        "csrf": page_csrf(client, "/admin/sources/new"),
        "id": "second",
        "name": "Second board",
        "type": "feed",
        "url": server.url("/board/feed"),
        "interval": "2h",
        "enabled": "on",
        "action": "save",
    }
    assert client.post("/admin/sources/new", form).status == 303
    text = service.sources_path.read_text()
    assert text.startswith("# Sources of the partnership")
    added = service.watcher.current.source("second")
    assert added is not None and added.interval == 7200
    csrf = page_csrf(client)
    client.post("/admin/sources/second/enabled", {"csrf": csrf, "enabled": "0"})
    assert not service.watcher.current.source("second").enabled  # type: ignore[union-attr]
    assert "disabled" in client.get("/admin/sources").text


def test_preview_shows_items_and_stores_nothing(client: WsgiClient, service: Service) -> None:
    signed_in(client)
    reply = client.post("/admin/sources/board/preview", {"csrf": page_csrf(client)})
    assert reply.status == 200
    assert "3 item(s) would be produced" in reply.text
    assert "Board meeting minutes for January" in reply.text
    assert service.storage.items() == []


def test_poll_now_reports_what_it_stored(client: WsgiClient, service: Service) -> None:
    signed_in(client)
    reply = client.post("/admin/sources/board/poll", {"csrf": page_csrf(client)})
    shown = client.get(reply.header("Location") or "")
    assert "Polled board: 3 new, 0 updated, 0 merged." in shown.text
    assert len(service.storage.items()) == 3
    row = shown.text.split('id="source-board"')[1].split("</tr>")[0]
    assert re.search(r'data-label="Status" class="status-ok">ok\b', row)
    assert re.search(r'data-label="Items found">3</td>', row)


def test_a_flash_message_cannot_be_forged_through_the_url(client: WsgiClient) -> None:
    signed_in(client)
    reply = client.get("/admin/sources?flash=eyJtIjoiaGkifQ.forged")
    assert 'class="flash"' not in reply.text


def test_feeds_page_lists_each_feed_with_its_count_and_links(
    client: WsgiClient, service: Service
) -> None:
    service.poll_now("board")
    signed_in(client)
    text = client.get("/admin/feeds").text
    assert 'href="/all.atom"' in text and 'href="/latest.html"' in text
    row = re.search(r"<code>news</code></td>\s*<td[^>]*>(\d+)</td>", text)
    assert row is not None and row.group(1) == "2"  # the training item is not news


# --- pure parts ---


def test_source_status_labels() -> None:
    source = SourceConfig("s", "S", "feed", "https://example.org/")
    assert source_status(source, SourceState("s")) == "not polled yet"
    assert source_status(source, SourceState("s", status="backoff")) == "backing off"
    off = SourceConfig("s", "S", "feed", "https://example.org/", enabled=False)
    assert source_status(off, SourceState("s", status="ok")) == "disabled"


def test_source_form_round_trip_for_an_html_source() -> None:
    posted = {
        "id": "l", "name": "L", "type": "html", "url": "https://x.example/",
        "select_item": "li", "select_date": "time@datetime", "interval": "",
    }  # fmt: skip
    fields = SourceForm.from_post(posted).fields()
    assert fields["select"] == {"item": "li", "date": "time@datetime"}
    assert fields["enabled"] is False and fields["interval"] is None


def test_passwords_are_argon2_hashes() -> None:
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed


def _console(service: Service) -> Console:
    return Console(
        storage=service.storage,
        config=lambda: load_config(service.sources_path),
        sources_path=service.sources_path,
        feeds_dir=service.feeds_dir,
        reload=lambda: None,
        republish=lambda: None,
        poll_now=lambda sid: PollOutcome(sid, ok=True),
    )


def test_the_console_without_the_scheduler_polls_and_publishes(
    service: Service, server: FeedServer
) -> None:
    from aggregator.runtime.console import standalone_admin

    app = standalone_admin(service.storage, service.sources_path, service.feeds_dir)
    client = WsgiClient(app, environ={"SCRIPT_NAME": "/admin"})
    token = client.get("/login").csrf()
    client.post("/login", {"csrf": token, "name": "alice", "password": PASSWORD})
    reply = client.post("/sources/board/poll", {"csrf": client.get("/sources").csrf()})
    location = (reply.header("Location") or "").removeprefix("/admin")
    assert "Polled board: 3 new" in client.get(location).text
    assert "Board meeting minutes for January" in atom(service)
    service.sources_path.write_text(service.sources_path.read_text() + "\n[[source]]\nid = 1\n")
    assert "Board news" in client.get("/sources").text  # a broken edit: the last good config


def test_merge_then_split_through_the_console(client: WsgiClient, service: Service) -> None:
    service.poll_now("board")
    signed_in(client)
    ids = {item.title: item.id for item in service.storage.items()}
    keep, other = (
        ids["Partnership annual report published"],
        ids["Board meeting minutes for January"],
    )
    csrf = page_csrf(client, "/admin/items")
    reply = client.post(
        "/admin/items/merge", {"csrf": csrf, "keep": str(keep), "other": str(other)}
    )
    assert "merged" in client.get(reply.header("Location") or "").text
    assert len(service.storage.item(keep).sightings) == 2
    assert "Board meeting minutes for January" not in atom(service)
    client.post(f"/admin/items/{keep}/split", {"csrf": csrf})
    assert len(service.storage.items()) == 3
    assert "Board meeting minutes for January" in atom(service)
    assert [entry[1] for entry in service.storage.audit(keep)] == ["merge", "split"]
