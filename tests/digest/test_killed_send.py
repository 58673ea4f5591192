"""`aggregator digests send` killed (SIGKILL) while an SMTP exchange hangs: the next run sends
the rest, the one held by the dead run once its lease ends, and nobody gets two digests."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from aggregator.clock import utcnow
from aggregator.config import load_config
from aggregator.digest.send import DigestSender
from aggregator.runtime.cycle import Cycle
from aggregator.store import Storage
from aggregator.store.schema import ItemRow
from tests.digest.test_flow import NEW, TOML, FakeClock
from tests.support.admin import rss
from tests.support.feedserver import FeedServer
from tests.support.smtp import SmtpServer

PEOPLE = [f"reader{n}@example.org" for n in range(1, 6)]
TTL = 600


def test_a_killed_run_resumes_without_sending_anyone_twice(tmp_path: Path) -> None:
    with FeedServer() as feeds, SmtpServer(hold_at=3) as smtp:
        path = tmp_path / "sources.toml"
        path.write_text(
            TOML.format(site="https://feeds.example.org", smtp=smtp.url, feed=feeds.url("/feed"))
        )
        config = load_config(path)
        db = f"sqlite:///{tmp_path / 'db.sqlite'}"
        yesterday = utcnow() - timedelta(days=1)
        with Storage.open(db) as storage:
            for email in PEOPLE:
                storage.subscribe(email, ["news"], "daily", now=yesterday - timedelta(days=1))
            feeds.set("/feed", rss(NEW))
            Cycle.fixed(storage, config, tmp_path / "feeds").poll(config.sources)
            stored_yesterday(storage, yesterday)
        args = ["--sources", str(path), "--db", db, "--feeds-dir", str(tmp_path / "feeds")]
        command = [sys.executable, "-m", "aggregator.cli", *args, "digests", "send"]
        process = subprocess.Popen([*command, "--lease-ttl", str(TTL)], stderr=subprocess.DEVNULL)
        try:
            assert smtp.holding.wait(60), "the third digest never reached the server"
            process.kill()  # mid-send: two digests out, the third in the SMTP exchange
        finally:
            process.kill()
            process.wait()
        smtp.release()
        assert smtp.count() == 2
        with Storage.open(db) as storage:
            now = utcnow()
            resumed = DigestSender(storage, lambda: config, "next", FakeClock(now))
            assert resumed.send_due() == 2  # the other two; the third is still leased
            assert smtp.count() == 4
            resumed.clock = FakeClock(now + timedelta(seconds=TTL + 1))
            assert resumed.send_due() == 1  # the dead run's lease has ended
            assert resumed.send_due() == 0
        assert sorted(to for r in smtp.received for to in r.to) == PEOPLE


def stored_yesterday(storage: Storage, when: datetime) -> None:
    """The items were first stored yesterday: today's daily digest is due with them."""
    with storage.engine.begin() as connection:
        connection.execute(update(ItemRow).values(created_at=when))
