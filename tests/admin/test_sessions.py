"""Console sessions that can be ended: sign-out, a password change, removing the user, idleness
and age all end a session on the server, so a copied cookie stops working too."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from aggregator.admin import AdminApp, Console
from aggregator.admin.auth import SESSION_IDLE_SECONDS, SESSION_SECONDS, hash_password
from aggregator.cli.main import main
from aggregator.config import load_config
from aggregator.models import PollOutcome
from aggregator.runtime.service import Service
from aggregator.store import Storage
from aggregator.store.sessions import SessionLimits
from tests.support.admin import PASSWORD, WsgiClient, running_service
from tests.support.feedserver import FeedServer

NEW_PASSWORD = "a different long password"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with FeedServer() as feeds, running_service(tmp_path, feeds) as svc:
        yield svc


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def console_app(service: Service, clock: Clock | None = None) -> AdminApp:
    console = Console(
        storage=service.storage,
        config=lambda: load_config(service.sources_path),
        sources_path=service.sources_path,
        feeds_dir=service.feeds_dir,
        reload=lambda: None,
        republish=lambda: None,
        poll_now=lambda sid: PollOutcome(sid, ok=True),
        clock=clock or Clock(),
    )
    return AdminApp(console)


def signed_in(app: AdminApp, password: str = PASSWORD) -> WsgiClient:
    client = WsgiClient(app, environ={"SCRIPT_NAME": "/admin"})
    token = client.get("/login").csrf()
    reply = client.post("/login", {"csrf": token, "name": "alice", "password": password})
    assert reply.status == 303, reply.text
    return client


def copy_of(client: WsgiClient) -> WsgiClient:
    return WsgiClient(client.app, dict(client.jar), dict(client.environ))


def test_a_copied_cookie_and_its_csrf_token_stop_working_after_sign_out(service: Service) -> None:
    browser = signed_in(console_app(service))
    token = browser.get("/sources").csrf()
    stolen = copy_of(browser)
    assert stolen.get("/items").status == 200
    assert browser.post("/logout", {"csrf": token}).status == 303
    assert stolen.get("/items").status == 303
    assert stolen.post("/logout", {"csrf": token}).status == 403


def test_removing_a_user_and_adding_the_name_again_does_not_revive_old_cookies(
    service: Service,
) -> None:
    old = signed_in(console_app(service))
    service.storage.remove_user("alice")
    service.storage.add_user("alice", hash_password(NEW_PASSWORD))
    assert old.get("/items").status == 303
    assert signed_in(console_app(service), NEW_PASSWORD).get("/items").status == 200


def test_changing_the_password_in_the_console_ends_the_other_sessions(service: Service) -> None:
    app = console_app(service)
    here, elsewhere = signed_in(app), signed_in(app)
    page = here.get("/password")
    assert page.status == 200 and 'name="current"' in page.text
    wrong = {"csrf": page.csrf(), "current": "not it at all", "new": NEW_PASSWORD}
    assert here.post("/password", {**wrong, "again": NEW_PASSWORD}).status == 400
    assert elsewhere.get("/items").status == 200  # nothing changed
    form = {"csrf": page.csrf(), "current": PASSWORD, "new": NEW_PASSWORD, "again": NEW_PASSWORD}
    assert here.post("/password", form).status == 303
    assert here.get("/items").status == 200  # this browser got a fresh session
    assert elsewhere.get("/items").status == 303
    signed_in(app, NEW_PASSWORD)


def test_users_passwd_sets_the_password_and_ends_every_session(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = signed_in(console_app(service))
    db = ["--db", str(service.storage.engine.url)]
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main([*db, "users", "passwd", "alice", "--password-stdin"]) == 1
    assert browser.get("/items").status == 200
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    assert main([*db, "users", "passwd", "nobody", "--password-stdin"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    assert main([*db, "users", "passwd", "alice", "--password-stdin"]) == 0
    assert browser.get("/items").status == 303
    signed_in(console_app(service), NEW_PASSWORD)


def test_a_session_ends_when_idle_too_long(service: Service) -> None:
    clock = Clock()
    browser = signed_in(console_app(service, clock))
    clock.now += SESSION_IDLE_SECONDS - 60
    assert browser.get("/items").status == 200  # a request keeps it alive
    clock.now += SESSION_IDLE_SECONDS - 60
    assert browser.get("/items").status == 200
    clock.now += SESSION_IDLE_SECONDS + 1
    assert browser.get("/items").status == 303


def test_a_session_ends_at_its_absolute_lifetime_however_busy(service: Service) -> None:
    clock = Clock()
    browser = signed_in(console_app(service, clock))
    started = clock.now
    while clock.now + SESSION_IDLE_SECONDS / 2 < started + SESSION_SECONDS:
        clock.now += SESSION_IDLE_SECONDS / 2
        assert browser.get("/items").status == 200
    clock.now = started + SESSION_SECONDS + 1
    assert browser.get("/items").status == 303


def test_the_store_ends_sessions_on_both_backends(storage: Storage) -> None:
    limits = SessionLimits(idle=100, lifetime=1000)
    storage.add_user("alice", hash_password(PASSWORD))
    storage.add_user("bob", hash_password(PASSWORD))
    for key, user in (("a1", "alice"), ("a2", "alice"), ("b1", "bob")):
        storage.start_session(key, user, now=0)
    assert storage.session_user("a1", 50, limits) == "alice"
    storage.end_session("a1")
    assert storage.session_user("a1", 50, limits) is None
    storage.set_password("alice", hash_password(NEW_PASSWORD))
    assert storage.session_user("a2", 50, limits) is None
    assert storage.session_user("b1", 99, limits) == "bob"
    assert storage.session_user("b1", 150, limits) == "bob"  # touched at 99
    assert storage.session_user("b1", 251, limits) is None  # last seen at 99
    storage.start_session("b2", "bob", now=300)
    storage.remove_user("bob")
    assert storage.session_user("b2", 301, limits) is None
