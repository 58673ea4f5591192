"""Behind a real nginx terminating TLS on 127.0.0.1 (self-signed certificate made at test time).

The service runs as `aggregator run --trust-proxy` would; clients connect to nginx from different
loopback addresses, so the proxy's X-Forwarded-For names each of them.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path

import pytest

from aggregator.cli.main import build_parser
from aggregator.cli.service import proxy_trust
from aggregator.web.proxy import ProxyTrust
from tests.support.admin import BOARD_ITEMS, CSRF_FIELD, PASSWORD, RSS, rss, running_service
from tests.support.feedserver import FeedServer
from tests.support.nginx import Answer, HttpsClient, Nginx


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[Nginx]:
    with FeedServer() as feeds:
        feeds.set("/board/feed", rss(BOARD_ITEMS), RSS)
        with running_service(tmp_path, feeds) as service:
            service.proxy = ProxyTrust("127.0.0.1", 1)
            web = service.start()
            try:
                with Nginx(web.port, tmp_path / "nginx") as proxy:
                    yield proxy
            finally:
                service.shutdown()


def sign_in(client: HttpsClient, password: str, spoofed_for: str | None = None) -> Answer:
    found = CSRF_FIELD.search(client.get("/admin/login").text)
    assert found is not None
    headers = {"X-Forwarded-For": spoofed_for} if spoofed_for else {}
    form = {"csrf": found.group(1), "name": "alice", "password": password}
    return client.post("/admin/login", form, headers)


def test_behind_a_tls_proxy_the_session_cookie_is_secure_and_hsts_is_sent(proxied: Nginx) -> None:
    client = proxied.client()
    login = client.get("/admin/login")
    assert login.status == 200
    [cookie] = login.cookies()
    assert "Secure" in cookie.split("; ")
    assert login.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert client.get("/").headers["Strict-Transport-Security"] == "max-age=31536000"
    assert sign_in(client, PASSWORD).status == 303
    assert client.get("/admin/sources").status == 200


def test_sign_in_limits_count_each_client_by_the_proxys_entry_not_the_leftmost(
    proxied: Nginx,
) -> None:
    attacker, admin = proxied.client("127.0.0.2"), proxied.client("127.0.0.3")
    for n in range(5):  # a new made-up address in front of each attempt
        assert sign_in(attacker, "not the password", f"198.51.100.{n}").status == 403
    assert sign_in(attacker, PASSWORD, "198.51.100.77").status == 429
    # Claiming to be the admin's address gets the attacker nowhere either.
    assert sign_in(attacker, PASSWORD, "127.0.0.3").status == 429
    assert sign_in(admin, PASSWORD).status == 303


def test_trust_proxy_options_make_waitress_believe_that_proxy_only() -> None:
    parser = build_parser()
    assert proxy_trust(parser.parse_args(["serve"])) is None
    args = parser.parse_args(["run", "--trust-proxy", "--proxy-address", "10.0.0.5"])
    trust = proxy_trust(args)
    assert trust == ProxyTrust("10.0.0.5", 1)
    options = trust.waitress_options()
    assert options["trusted_proxy"] == "10.0.0.5" and options["trusted_proxy_count"] == 1


def test_a_service_without_proxy_mode_ignores_forwarded_headers(tmp_path: Path) -> None:
    with FeedServer() as feeds, running_service(tmp_path, feeds) as service:
        assert service.proxy is None
        web = service.start()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
            conn.request("GET", "/admin/login", headers={"X-Forwarded-Proto": "https"})
            response = conn.getresponse()
            response.read()
            conn.close()
            assert "Secure" not in (response.headers["Set-Cookie"] or "")
            assert response.headers["Strict-Transport-Security"] is None
        finally:
            service.shutdown()
