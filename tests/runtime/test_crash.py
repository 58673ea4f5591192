"""kill -9 during `aggregator poll` and `aggregator publish`, at many points, then check.

After every kill: the database opens and is consistent (no half item), every file in feeds/ is
whole, and no temp file is servable. At the end a clean poll + publish holds exactly the items
an uninterrupted run over the same feeds holds: nothing lost, nothing duplicated.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from xml.dom import minidom

import feedparser
import pytest
from sqlalchemy import create_engine, text

from aggregator.publish.stamp import STAMP_NAME
from aggregator.web.static import DirectorySource, is_safe_name
from tests.conftest import fresh_pg_schema
from tests.support.feedserver import FeedServer

FEEDS = 40
SQLITE_KILLS = 10
PG_KILLS = 2
BASE_ITEMS = 2
FIRST, DAY, HOUR = 1_760_000_000, 86400, 3600
RUNNER = "from aggregator.cli import main; raise SystemExit(main())"
WORDS = [
    "adult",
    "child",
    "review",
    "board",
    "learning",
    "neglect",
    "housing",
    "police",
    "health",
    "carer",
    "county",
    "river",
    "annual",
    "report",
    "briefing",
    "course",
    "webinar",
    "family",
    "practice",
    "domestic",
    "abuse",
    "homicide",
    "partner",
    "early",
    "help",
    "school",
    "youth",
    "mental",
    "capacity",
    "transition",
    "hospital",
    "discharge",
    "exploitation",
    "online",
    "harm",
    "bruising",
    "infant",
    "sleep",
    "fire",
    "safety",
    "hoarding",
    "scam",
    "finance",
    "dementia",
    "autism",
    "modern",
    "slavery",
    "trafficking",
    "radicalisation",
    "prevent",
    "forced",
    "marriage",
    "stalking",
    "coercion",
    "missing",
    "education",
    "neonatal",
    "perinatal",
    "bereavement",
    "drowning",
    "fabricated",
    "illness",
    "suicide",
]

CONSISTENCY = {
    "item without a sighting": "SELECT count(*) FROM items i WHERE i.merged_into IS NULL "
    "AND NOT EXISTS (SELECT 1 FROM sightings s WHERE s.item_id = i.id)",
    "sighting of a missing item": "SELECT count(*) FROM sightings s "
    "WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = s.item_id)",
    "item without its keys": "SELECT count(*) FROM items i WHERE i.merged_into IS NULL "
    "AND NOT EXISTS (SELECT 1 FROM item_keys k WHERE k.item_id = i.id)",
    "representative not a sighting of the item": "SELECT count(*) FROM items i "
    "WHERE i.merged_into IS NULL AND NOT EXISTS (SELECT 1 FROM sightings s "
    "WHERE s.id = i.representative_id AND s.item_id = i.id)",
    "duplicate sighting": "SELECT count(*) FROM (SELECT source_id, source_key FROM sightings "
    "GROUP BY source_id, source_key HAVING count(*) > 1) d",
    "duplicate title": "SELECT count(*) FROM (SELECT title FROM items "
    "GROUP BY title HAVING count(*) > 1) d",
}


def title(feed: int, index: int) -> str:
    words = random.Random(feed * 1000 + index).sample(WORDS, 7)
    return f"{' '.join(words).capitalize()} (board {feed}, no. {index})"


def feed_document(feed: int, generation: int) -> bytes:
    entries = [
        (title(feed, i), f"https://board{feed}.example.org/n/{i}", FIRST + DAY * feed + HOUR * i)
        for i in range(BASE_ITEMS + generation)
    ]
    entries.append(("Government guidance on safeguarding reviews", "https://www.gov.uk/g/1", FIRST))
    items = "".join(
        f"<item><title>{name}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{formatdate(when, usegmt=True)}</pubDate><description>{name}.</description>"
        "</item>"
        for name, link, when in entries
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Board {feed}'
        f"</title><link>https://board{feed}.example.org/</link>{items}</channel></rss>"
    ).encode()


def expected_items(generation: int) -> int:
    return FEEDS * (BASE_ITEMS + generation) + 1  # one gov.uk item seen by every board


@dataclass
class Site:
    server: FeedServer
    root: Path
    generation: int = 0
    kills: int = 0
    finished_first: int = 0
    temp_files: set[str] = field(default_factory=set)

    def publish_generation(self, generation: int) -> None:
        self.generation = generation
        for feed in range(FEEDS):
            self.server.set(f"/b{feed}.xml", feed_document(feed, generation))

    def sources(self) -> Path:
        path = self.root / "sources.toml"
        if not path.exists():
            blocks = "".join(
                f'\n[[source]]\nid = "b{n}"\nname = "Board {n}"\n'
                f'url = "{self.server.url(f"/b{n}.xml")}"\n'
                for n in range(FEEDS)
            )
            path.write_text(
                '[settings]\nallow_private_networks = true\nper_host_delay = "0s"\n'
                f"per_host_concurrency = 8\nrobots = false\n{blocks}"
            )
        return path

    def command(self, db: str, feeds: Path, action: str) -> list[str]:
        return [sys.executable, "-c", RUNNER, "--sources", str(self.sources()), "--db", db,
                "--feeds-dir", str(feeds), action]  # fmt: skip

    def run(self, db: str, feeds: Path, action: str) -> float:
        started = time.monotonic()
        done = subprocess.run(self.command(db, feeds, action), capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        return time.monotonic() - started

    def kill_during(self, db: str, feeds: Path, action: str, after: float) -> float | None:
        """SIGKILL the run `after` seconds in; how long it took when it finished first."""
        started = time.monotonic()
        process = subprocess.Popen(
            self.command(db, feeds, action), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            process.wait(timeout=after)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            self.kills += 1
            return None
        self.finished_first += 1
        return time.monotonic() - started


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with FeedServer() as server:
        yield Site(server, tmp_path)


def check_database(db: str) -> int:
    engine = create_engine(db)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            for problem, query in CONSISTENCY.items():
                assert connection.execute(text(query)).scalar() == 0, problem
            return int(connection.execute(text("SELECT count(*) FROM items")).scalar() or 0)
    finally:
        engine.dispose()


def check_feeds(feeds: Path, site: Site) -> None:
    if not feeds.exists():
        return
    for path in feeds.iterdir():
        if path.name == STAMP_NAME:
            continue
        if path.name.startswith("."):
            site.temp_files.add(path.name)
            assert not is_safe_name(path.name)
            continue
        data = path.read_bytes()
        if path.suffix in (".atom", ".rss"):
            parsed = feedparser.parse(data)
            assert not parsed.bozo, (path.name, parsed.get("bozo_exception"))
        elif path.suffix == ".json":
            json.loads(data)
        elif path.suffix == ".opml":
            minidom.parseString(data)
        else:
            data.decode("utf-8")
    assert not any(name.startswith(".") for name in DirectorySource(feeds).names())


def torture(site: Site, db: str, feeds: Path, kills: int, rng: random.Random) -> None:
    """Kill `kills` runs at random moments of their life, checking after each."""
    lifetime = {"poll": site.run(db, feeds, "poll"), "publish": site.run(db, feeds, "publish")}
    for round_number in range(2 * kills):  # a run that outpaces its kill does not count
        if site.kills >= kills:
            break
        action = "publish" if round_number % 3 == 2 else "poll"
        if action == "poll":
            site.publish_generation(site.generation + 1)
        took = site.kill_during(db, feeds, action, rng.uniform(0.35, 0.85) * lifetime[action])
        lifetime[action] = took or lifetime[action]
        check_database(db)
        check_feeds(feeds, site)


def finish_and_compare(site: Site, db: str, feeds: Path) -> None:
    site.run(db, feeds, "poll")
    site.run(db, feeds, "publish")
    check_feeds(feeds, site)
    reference = site.root / "reference"
    reference_db = f"sqlite:///{reference / 'db.sqlite'}"
    reference.mkdir(exist_ok=True)
    site.run(reference_db, reference / "feeds", "poll")
    expected = check_database(reference_db)
    # The uninterrupted run is the truth; near-duplicate detection may merge a rare pair of
    # look-alike random titles, so the feeds' own count is only a sanity bound.
    assert expected_items(site.generation) - 2 <= expected <= expected_items(site.generation)
    assert check_database(db) == expected
    assert titles(db) == titles(reference_db)
    assert (feeds / "all.json").read_bytes() != b""
    all_feed = json.loads((feeds / "all.json").read_bytes())
    assert len(all_feed["items"]) == min(50, expected)


def titles(db: str) -> list[str]:
    engine = create_engine(db)
    try:
        with engine.connect() as connection:
            return sorted(connection.execute(text("SELECT title FROM items")).scalars())
    finally:
        engine.dispose()


def test_kill_9_during_poll_and_publish_on_sqlite(site: Site) -> None:
    site.publish_generation(0)
    db = f"sqlite:///{site.root / 'db' / 'aggregator.sqlite'}"
    feeds = site.root / "feeds"
    torture(site, db, feeds, SQLITE_KILLS, random.Random(20260105))
    finish_and_compare(site, db, feeds)
    assert site.kills >= SQLITE_KILLS * 0.8, (site.kills, site.finished_first)
    print(
        f"sqlite: kills={site.kills} finished-first={site.finished_first} "
        f"items={check_database(db)} temp-files-left={len(site.temp_files)}"
    )


def test_kill_9_during_poll_and_publish_on_postgresql(site: Site) -> None:
    site.publish_generation(0)
    feeds = site.root / "feeds"
    with fresh_pg_schema() as db:
        torture(site, db, feeds, PG_KILLS, random.Random(7))
        finish_and_compare(site, db, feeds)
    assert site.kills >= 1
