"""Sign-in limits: per client address across names, atomic, shared by every process through the
database; a name under attack is slowed down, never locked; few password checks at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from aggregator.admin import AdminApp
from aggregator.admin.auth import verify_password
from aggregator.admin.signin import NAME_DELAY_CAP, SignInGuard
from aggregator.runtime.service import Service
from aggregator.store import Storage
from aggregator.web import create_app
from aggregator.web.server import make_server
from tests.admin.test_sessions import Clock, console_app
from tests.support.admin import CSRF_FIELD, PASSWORD, WsgiClient, running_service
from tests.support.feedserver import FeedServer
from tests.support.nginx import HttpsClient


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with FeedServer() as feeds, running_service(tmp_path, feeds) as svc:
        yield svc


def app_with(service: Service, guard: SignInGuard, clock: Clock | None = None) -> AdminApp:
    app = console_app(service, clock)
    app.signin = guard
    return app


def attempt(app: AdminApp, name: str, password: str, address: str = "192.0.2.10") -> int:
    client = WsgiClient(app, environ={"SCRIPT_NAME": "/admin", "REMOTE_ADDR": address})
    token = client.get("/login").csrf()
    form = {"csrf": token, "name": name, "password": password}
    return client.post("/login", form).status


def test_one_address_cannot_try_name_after_name(service: Service) -> None:
    app = app_with(service, SignInGuard())
    for name in ("admin", "root", "bob", "carol", "dave"):
        assert attempt(app, name, "guess one two") == 403
    assert attempt(app, "alice", PASSWORD) == 429
    assert attempt(app, "alice", PASSWORD, "192.0.2.99") == 303


def test_a_successful_sign_in_does_not_count_against_the_address(service: Service) -> None:
    app = app_with(service, SignInGuard())
    for _ in range(8):
        assert attempt(app, "alice", PASSWORD) == 303


def test_the_window_ends(service: Service) -> None:
    clock = Clock()
    app = app_with(service, SignInGuard(window=300), clock)
    for _ in range(5):
        assert attempt(app, "nobody", "guess one two") == 403
    assert attempt(app, "alice", PASSWORD) == 429
    clock.now += 301
    assert attempt(app, "alice", PASSWORD) == 303


def test_concurrent_attempts_get_no_more_than_the_limit(service: Service) -> None:
    app = app_with(service, SignInGuard(limit=5, slots=32))
    start = threading.Barrier(16)

    def one(_: int) -> int:
        client = WsgiClient(app, environ={"SCRIPT_NAME": "/admin"})
        token = client.get("/login").csrf()
        start.wait()
        return client.post("/login", {"csrf": token, "name": "alice", "password": "x" * 12}).status

    with ThreadPoolExecutor(16) as pool:
        statuses = sorted(pool.map(one, range(16)))
    assert statuses == [403] * 5 + [429] * 11


def test_every_process_shares_the_counts(service: Service) -> None:
    node_a, node_b = app_with(service, SignInGuard()), app_with(service, SignInGuard())
    for node in (node_a, node_b, node_a, node_b, node_a):
        assert attempt(node, "alice", "guess one two") == 403
    assert attempt(node_b, "alice", PASSWORD) == 429


def test_a_name_under_attack_is_slowed_down_but_never_locked(service: Service) -> None:
    clock = Clock()
    app = app_with(service, SignInGuard(), clock)
    for n in range(5):  # from addresses of their own, each well under its limit
        assert attempt(app, "alice", "guess one two", f"198.51.100.{n}") == 403
    assert attempt(app, "alice", "guess one two", "198.51.100.5") == 403  # one check now...
    assert attempt(app, "alice", PASSWORD, "192.0.2.200") == 429  # ...the next in 0.5 s
    clock.now += 0.5
    assert attempt(app, "alice", PASSWORD, "192.0.2.200") == 303


def test_the_wait_between_checks_doubles_up_to_a_cap() -> None:
    guard = SignInGuard(limit=5)
    waits = [guard.delay(failures) for failures in range(3, 12)]
    assert waits == [0.0, 0.0, 0.5, 1.0, 2.0, 4.0] + [NAME_DELAY_CAP] * 3


def test_a_browser_that_signed_in_before_is_not_slowed_down(service: Service) -> None:
    app = app_with(service, SignInGuard(), Clock())
    admin = WsgiClient(app, environ={"SCRIPT_NAME": "/admin", "REMOTE_ADDR": "192.0.2.200"})
    assert own_browser(admin) == 303 and "sgf_device" in admin.jar
    del admin.jar["sgf_session"]  # signed out since; the device cookie stays
    statuses = [attempt(app, "alice", "guess one two", f"198.51.100.{n}") for n in range(8)]
    assert statuses == [403] * 6 + [429] * 2
    assert attempt(app, "alice", PASSWORD, "192.0.2.201") == 429  # a new browser waits
    forged = WsgiClient(app, {"sgf_device": app.signer.sign({"d": "bob", "e": 4e9})})
    forged.environ.update(SCRIPT_NAME="/admin", REMOTE_ADDR="192.0.2.202")
    assert own_browser(forged) == 429  # a device cookie for another name counts for nothing
    assert own_browser(admin) == 303  # the admin's own browser does not wait


def own_browser(client: WsgiClient) -> int:
    token = client.get("/login").csrf()
    return client.post("/login", {"csrf": token, "name": "alice", "password": PASSWORD}).status


def test_password_checks_beyond_the_slots_are_busy_and_feeds_keep_flowing(
    service: Service,
) -> None:
    release, entered = threading.Event(), threading.Semaphore(0)

    def slow_verify(password_hash: str | None, password: str) -> bool:
        entered.release()
        release.wait(30)
        return verify_password(password_hash, password)

    admin = app_with(service, SignInGuard(slots=2, verify=slow_verify))
    service.feeds_dir.mkdir(parents=True, exist_ok=True)
    (service.feeds_dir / "all.atom").write_text("<feed/>")
    app = create_app(service.feeds_dir, mounts={"/admin": admin})
    server = make_server(app, "127.0.0.1", 0, threads=3)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        with ThreadPoolExecutor(2) as pool:
            held = [pool.submit(over_http, server.port, source) for source in SOURCES[:2]]
            assert entered.acquire(timeout=30) and entered.acquire(timeout=30)
            assert over_http(server.port, SOURCES[2], PASSWORD) == 503
            feed = HttpsClient(server.port, source=SOURCES[3]).get("/all.atom")
            assert feed.status == 200 and feed.text == "<feed/>"
            release.set()
            assert [f.result(timeout=30) for f in held] == [403, 403]
        assert over_http(server.port, SOURCES[2], PASSWORD) == 303
    finally:
        release.set()
        server.close()


SOURCES = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]


def over_http(port: int, source: str, password: str = "guess one two") -> int:
    client = HttpsClient(port, source=source)
    found = CSRF_FIELD.search(client.get("/admin/login").text)
    assert found is not None
    form = {"csrf": found.group(1), "name": "alice", "password": password}
    return client.post("/admin/login", form).status


def test_counting_is_atomic_on_both_backends(storage: Storage) -> None:
    start = threading.Barrier(12)

    def count(_: int) -> int:
        start.wait()
        return storage.count_attempt("address:192.0.2.1", now=1000.0, window=300)

    with ThreadPoolExecutor(12) as pool:
        assert sorted(pool.map(count, range(12))) == list(range(1, 13))
    storage.uncount_attempt("address:192.0.2.1")
    assert storage.attempts("address:192.0.2.1", now=1200.0, window=300) == 11
    assert storage.attempts("address:192.0.2.1", now=1300.0, window=300) == 0
    assert storage.count_attempt("address:192.0.2.1", now=1300.0, window=300) == 1
