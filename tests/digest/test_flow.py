"""Digests end to end against a real SMTP server on 127.0.0.1: subscribe, confirm, one digest
with exactly the new items of the chosen feed, none twice, unsubscribe, nothing more."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from aggregator.clock import utcnow
from aggregator.config import load_config
from aggregator.config.types import Config
from aggregator.digest.send import DigestSender
from aggregator.digest.web import SubscribeApp
from aggregator.runtime.cycle import Cycle
from aggregator.store import Storage
from tests.support.admin import WsgiClient, rss
from tests.support.feedserver import FeedServer
from tests.support.smtp import SmtpServer

SITE = "https://feeds.example.org"
TOML = """[settings]
site_url = "{site}"
allow_private_networks = true
per_host_delay = "0s"
robots = false
smtp_url = "{smtp}"
smtp_from = "digest@example.org"

[[source]]
id = "board"
name = "Board"
url = "{feed}"
category = "news"

[[feed]]
id = "news"
title = "News"
categories = ["news"]

[[feed]]
id = "training"
title = "Training"
categories = ["training"]
"""
OLD = ("old-1", "Board newsletter: autumn", "Before anyone subscribed")
NEW = [
    ("new-1", "Board newsletter: winter", "News of the board"),
    ("new-2", "Annual report published", "The board's annual report"),
]
COURSE = ("course-1", "Safeguarding training course: book a place", "A course for staff")


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Rig:
    feeds: FeedServer
    smtp: SmtpServer
    config: Config
    storage: Storage
    cycle: Cycle
    web: WsgiClient
    clock: FakeClock
    sender: DigestSender

    def publish(self, *items: tuple[str, str, str]) -> None:
        self.feeds.set("/feed", rss(list(items)))
        self.cycle.poll(self.config.sources)

    def digests(self, to: str) -> list[EmailMessage]:
        return [m for m in self.smtp.messages_to(to) if "digest:" in str(m["Subject"])]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with FeedServer() as feeds, SmtpServer() as smtp:
        path = tmp_path / "sources.toml"
        path.write_text(TOML.format(site=SITE, smtp=smtp.url, feed=feeds.url("/feed")))
        config = load_config(path)
        with Storage.open(f"sqlite:///{tmp_path / 'db.sqlite'}") as storage:
            cycle = Cycle.fixed(storage, config, tmp_path / "feeds", fetches=1)
            web = WsgiClient(SubscribeApp(storage, lambda: config))
            clock = FakeClock(utcnow())
            sender = DigestSender(storage, lambda: config, "test", clock)
            yield Rig(feeds, smtp, config, storage, cycle, web, clock, sender)


def subscribe(rig: Rig, email: str, feed: str = "news", frequency: str = "daily") -> str:
    """Fill in the form; the confirmation link from the email (a path on the site)."""
    form = rig.web.get("/subscribe")
    assert form.status == 200
    reply = rig.web.post(
        "/subscribe", {"csrf": form.csrf(), "email": email, "feeds": feed, "frequency": frequency}
    )
    assert reply.status == 200, reply.text
    (mail,) = rig.smtp.messages_to(email)
    link = re.search(re.escape(SITE) + r"(/subscribe/confirm\?t=\S+)", mail.get_content())
    assert link is not None
    return link.group(1)


def test_subscribe_confirm_digest_once_unsubscribe(rig: Rig) -> None:
    rig.publish(OLD)
    confirm = subscribe(rig, "reader@example.org")
    rig.publish(OLD, *NEW, COURSE)
    rig.clock.now += timedelta(days=1)
    assert rig.sender.send_due() == 0  # not confirmed: nothing is stored, nothing is sent
    assert rig.storage.subscriber("reader@example.org") is None
    assert rig.web.get(confirm).status == 200  # a page with a button: link scanners confirm nothing
    assert rig.web.post(confirm, {}).status == 200
    course = ("course-2", "Safeguarding training course: spring dates", "Book a place")
    rig.publish(OLD, *NEW, COURSE, ("new-3", "Board newsletter: spring", "Spring news"), course)
    assert {i.title: i.category for i in rig.storage.items()}[course[1]] == "training"
    rig.clock.now += timedelta(days=1)
    assert rig.sender.send_due() == 1
    (digest,) = rig.digests("reader@example.org")
    text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    titles = re.findall(r"^\* (.+) \(", text, re.MULTILINE)
    assert titles == ["Board newsletter: spring"]  # only what came after confirming, only news
    assert rig.sender.send_due() == 0  # the same period: nothing twice
    rig.clock.now += timedelta(days=1)
    assert rig.sender.send_due() == 0  # nothing new: no email
    assert len(rig.digests("reader@example.org")) == 1
    unsubscribe = digest["List-Unsubscribe"].strip("<>").removeprefix(SITE)
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert rig.web.post(unsubscribe, {"List-Unsubscribe": "One-Click"}).status == 200
    assert rig.storage.subscriber("reader@example.org") is None
    rig.publish(OLD, ("new-4", "Board newsletter: summer", "Summer news"))
    rig.clock.now += timedelta(days=1)
    assert rig.sender.send_due() == 0
    assert len(rig.digests("reader@example.org")) == 1


def test_the_digest_has_both_parts_and_links_each_item(rig: Rig) -> None:
    subscribe_and_confirm(rig, "both@example.org")
    rig.publish(*NEW)
    rig.clock.now += timedelta(days=1)
    assert rig.sender.send_due() == 1
    (digest,) = rig.digests("both@example.org")
    html = digest.get_body(("html",)).get_content()  # type: ignore[union-attr]
    for guid, title, _ in NEW:
        assert f'<a href="https://board.example.org/{guid}">{title}</a>' in html
    plain = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert all(f"https://board.example.org/{guid}" in plain for guid, _, _ in NEW)


def subscribe_and_confirm(rig: Rig, email: str, **choices: str) -> None:
    confirm = subscribe(rig, email, **choices)
    assert rig.web.post(confirm, {}).status == 200


def test_the_form_needs_its_csrf_token(rig: Rig) -> None:
    form = rig.web.get("/subscribe")
    fields = {"email": "x@example.org", "feeds": "news", "frequency": "daily"}
    assert rig.web.post("/subscribe", {**fields, "csrf": "forged"}).status == 403
    other = WsgiClient(rig.web.app)  # another browser: no cookie for this token
    assert other.post("/subscribe", {**fields, "csrf": form.csrf()}).status == 403
    assert rig.web.post("/subscribe", {**fields, "csrf": form.csrf()}).status == 200
    assert len(rig.smtp.messages_to("x@example.org")) == 1


def test_the_form_is_rate_limited_per_address_and_per_client(rig: Rig) -> None:
    app = rig.web.app
    assert isinstance(app, SubscribeApp)
    now = [datetime(2026, 12, 7, 10, 5, tzinfo=UTC).timestamp()]
    app.clock = lambda: now[0]

    def ask(email: str) -> int:
        csrf = rig.web.get("/subscribe").csrf()
        fields = {"csrf": csrf, "email": email, "feeds": "news", "frequency": "daily"}
        return rig.web.post("/subscribe", fields).status

    assert [ask("x@example.org") for _ in range(4)] == [200, 200, 200, 429]  # 3 a day
    assert [ask(f"y{n}@example.org") for n in range(7)] == [200] * 6 + [429]  # 10 an hour
    now[0] += 3600  # the next hour: this client may ask again, but not for x today
    assert [ask("x@example.org"), ask("z@example.org")] == [429, 200]
    assert len(rig.smtp.messages_to("x@example.org")) == 3


def test_a_refused_address_is_retried_then_dropped(rig: Rig) -> None:
    subscribe_and_confirm(rig, "gone@example.org")
    rig.smtp.refuse.add("gone@example.org")
    rig.publish(*NEW)
    rig.clock.now += timedelta(days=1)
    for _ in range(3):
        assert rig.sender.send_due() == 0
        assert rig.sender.send_due() == 0  # not before its retry time
        rig.clock.now += timedelta(days=1)
    assert rig.storage.subscriber("gone@example.org") is None
