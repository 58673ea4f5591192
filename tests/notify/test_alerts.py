"""Alerts end to end: a real feed server, a real SMTP server and a real webhook receiver on
127.0.0.1; polls go through the one poll path (runtime.cycle.Cycle)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aggregator.cli import main
from aggregator.config import load_config
from aggregator.config.types import Config
from aggregator.notify.alerts import Notifier
from aggregator.runtime.cycle import Cycle
from aggregator.runtime.worker import Worker
from aggregator.store import Storage
from tests.notify.test_signing import recipe
from tests.poll.test_integration_poll import FIXTURES, RSS
from tests.support.feedserver import FeedServer
from tests.support.receiver import WebhookReceiver
from tests.support.smtp import SmtpServer

SECRET = "0123456789abcdef-webhook"
TOML = """[settings]
allow_private_networks = {private}
per_host_delay = "0s"
robots = false
smtp_url = "{smtp}"
smtp_from = "feeds@example.org"
alert_emails = ["admin@example.org", "deputy@example.org"]
alert_after_failures = 3

[[source]]
id = "board-a"
name = "Board A"
url = "{feed}"

[[webhook]]
url = "{hook}"
secret = "{secret}"
events = {events}
"""


@dataclass
class FakeClock:
    now: datetime = datetime(2026, 12, 7, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Rig:
    feeds: FeedServer
    smtp: SmtpServer
    hook: WebhookReceiver
    config: Config
    storage: Storage
    cycle: Cycle
    clock: FakeClock
    db: str

    def poll(self) -> None:
        self.cycle.poll(self.config.sources)

    def subjects(self, address: str) -> list[str]:
        return [str(m["Subject"]) for m in self.smtp.messages_to(address)]


def make_rig(tmp_path: Path, events: str, private: bool = True) -> Iterator[Rig]:
    with FeedServer() as feeds, SmtpServer() as smtp, WebhookReceiver() as hook:
        text = TOML.format(
            private=str(private).lower(),
            smtp=smtp.url,
            feed=feeds.url("/a/"),
            hook=hook.url("/hook"),
            secret=SECRET,
            events=events,
        )
        (tmp_path / "sources.toml").write_text(text)
        config = load_config(tmp_path / "sources.toml")
        db = f"sqlite:///{tmp_path / 'db.sqlite'}"
        clock = FakeClock()
        with Storage.open(db) as storage:
            cycle = Cycle.fixed(storage, config, tmp_path / "feeds", fetches=1)
            cycle.notifier = Notifier(storage, lambda: config, "test-node", clock)
            yield Rig(feeds, smtp, hook, config, storage, cycle, clock, db)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    yield from make_rig(tmp_path, '["source_failed", "source_recovered"]')


def test_one_alert_per_incident_and_one_on_recovery(rig: Rig) -> None:
    rig.poll()
    rig.poll()  # two failures (404): below the threshold
    assert rig.smtp.count() == 0 and rig.hook.posts == []
    rig.poll()
    assert rig.subjects("admin@example.org") == ["[safeguarding-feeds] Board A is failing"]
    assert rig.subjects("deputy@example.org") == ["[safeguarding-feeds] Board A is failing"]
    assert rig.hook.events() == ["source_failed"]
    rig.poll()
    rig.poll()  # still failing: the same incident
    assert rig.smtp.count() == 2 and len(rig.hook.posts) == 1
    rig.feeds.set("/a/", (FIXTURES / "board_a_wordpress.xml").read_bytes(), RSS)
    rig.poll()
    assert rig.subjects("admin@example.org")[1:] == ["[safeguarding-feeds] Board A has recovered"]
    assert rig.hook.events() == ["source_failed", "source_recovered"]
    rig.poll()
    assert rig.smtp.count() == 4 and len(rig.hook.posts) == 2
    text = rig.smtp.messages_to("admin@example.org")[0].get_content()
    assert "3 failed polls in a row" in text and rig.feeds.url("/a/") in text


def test_the_webhook_is_signed_by_the_documented_recipe(rig: Rig) -> None:
    for _ in range(3):
        rig.poll()
    (post,) = rig.hook.posts
    header = dict(part.split("=", 1) for part in post.headers["Aggregator-Signature"].split(","))
    assert header["v1"] == recipe(SECRET, post.body, int(header["t"]))
    event = json.loads(post.body)
    assert event["event"] == "source_failed" and event["source"]["id"] == "board-a"
    assert event["problem"] == "failing"
    assert post.headers["Aggregator-Event"] == "source_failed"


def test_a_second_process_judging_the_same_poll_sends_nothing(rig: Rig) -> None:
    for _ in range(3):
        rig.poll()
    with Storage.open(rig.db) as other:
        second = Notifier(other, lambda: rig.config, "other-node", rig.clock)
        assert second.judge(["board-a"]) == 0
        second.deliver_pending()
    assert rig.smtp.count() == 2 and len(rig.hook.posts) == 1


def test_a_refused_webhook_is_retried_with_backoff(rig: Rig) -> None:
    rig.hook.statuses.extend([500, 503])
    for _ in range(3):
        rig.poll()
    assert len(rig.hook.posts) == 1
    rig.cycle.deliver_pending()  # not due again yet
    assert len(rig.hook.posts) == 1
    rig.clock.now += timedelta(seconds=30)
    rig.cycle.deliver_pending()
    assert len(rig.hook.posts) == 2
    rig.clock.now += timedelta(seconds=60)
    rig.cycle.deliver_pending()
    assert len(rig.hook.posts) == 3
    webhooks = [d for d in rig.storage.deliveries() if d.channel == "webhook"]
    assert [(d.status, d.attempts) for d in webhooks] == [("sent", 3)]
    assert len({post.headers["Aggregator-Delivery"] for post in rig.hook.posts}) == 1


def test_a_refused_address_is_given_up(rig: Rig) -> None:
    rig.smtp.refuse.add("deputy@example.org")
    for _ in range(3):
        rig.poll()
    emails = {d.target: d for d in rig.storage.deliveries() if d.channel == "email"}
    assert emails["admin@example.org"].status == "sent"
    assert emails["deputy@example.org"].status == "failed"
    assert "550" in (emails["deputy@example.org"].last_error or "")


def test_new_items_and_publishes_reach_webhooks(tmp_path: Path) -> None:
    for rig in make_rig(tmp_path, '["item_new", "publish"]'):
        rig.feeds.set("/a/", (FIXTURES / "board_a_wordpress.xml").read_bytes(), RSS)
        rig.cycle.poll_and_publish(rig.config.sources)
        assert rig.hook.events() == ["item_new", "publish"]
        items = json.loads(rig.hook.posts[0].body)["items"]
        assert len(items) == 3 and "Safeguarding Adults Review – Adult Z" in [
            item["title"] for item in items
        ]
        assert "all.atom" in json.loads(rig.hook.posts[1].body)["files"]
        rig.cycle.poll_and_publish(rig.config.sources)  # nothing new, nothing published
        assert len(rig.hook.posts) == 2


def test_webhooks_obey_the_ssrf_rules_of_sources(tmp_path: Path) -> None:
    for rig in make_rig(tmp_path, '["source_failed"]', private=False):
        for _ in range(3):
            rig.poll()  # the source on 127.0.0.1 is refused too: three failures
        assert rig.smtp.count() == 2
        assert rig.hook.posts == []
        (webhook,) = [d for d in rig.storage.deliveries() if d.channel == "webhook"]
        assert webhook.status == "failed" and "private address" in (webhook.last_error or "")


def test_cron_polls_and_a_worker_share_one_incident(tmp_path: Path) -> None:
    for rig in make_rig(tmp_path, '["source_failed", "source_recovered"]'):
        sources = tmp_path / "sources.toml"
        args = ["--sources", str(sources), "--db", rig.db, "--feeds-dir", str(tmp_path / "feeds")]
        assert main([*args, "poll"]) == 0
        assert main([*args, "poll"]) == 0
        assert rig.smtp.count() == 0
        worker = Worker(sources, rig.db, tmp_path / "feeds", name="w1")
        try:
            rig.storage.save_source_state(
                replace(rig.storage.source_state("board-a"), next_poll_at=None)
            )
            assert [o.ok for o in worker.round()] == [False]  # the third failure in a row
        finally:
            worker.storage.close()
        assert main([*args, "poll"]) == 0  # the fourth, from cron again: the same incident
        assert rig.subjects("admin@example.org") == ["[safeguarding-feeds] Board A is failing"]
        assert rig.hook.events() == ["source_failed"]
