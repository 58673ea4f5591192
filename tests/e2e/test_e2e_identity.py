"""Identity that never changes for subscribers, through the real CLI and a real HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from tests.support.e2e import (
    ATOM,
    RSS,
    SETTINGS,
    by_title,
    cli,
    feed_source,
    fixture,
    json_feed,
    stored_items,
)
from tests.support.feedserver import FeedServer

PANEL = "https://www.gov.uk/government/publications/"
REVIEW_PATH = "safeguarding-children-with-disabilities-in-residential-settings"


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


def setup(tmp_path: Path, server: FeedServer, path: str, source_id: str) -> Path:
    text = SETTINGS + feed_source(source_id, server.url(path), "reviews")
    (tmp_path / "sources.toml").write_text(text)
    return tmp_path


def atom_entries(workdir: Path) -> dict[str, feedparser.FeedParserDict]:
    """all.atom's entries by link."""
    parsed = feedparser.parse((workdir / "feeds" / "all.atom").read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return {entry.link: entry for entry in parsed.entries}


def govuk_atom(stamp: str, title: str) -> bytes:
    return fixture("govuk_organisation.atom", stamp=stamp, title=title)


def test_updated_govuk_page_updates_its_item_and_keeps_its_id(
    tmp_path: Path, server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = setup(tmp_path, server, "/panel.atom", "govuk-panel")
    first_title = "Independent report: Safeguarding children with disabilities"
    server.set("/panel.atom", govuk_atom("2025-10-01T09:30:00Z", first_title), ATOM)
    assert cli(workdir, "poll") == 0
    before = atom_entries(workdir)[PANEL + REVIEW_PATH]
    assert before.title == first_title

    second_title = "Independent report: Safeguarding children with disabilities (phase 2 added)"
    server.set("/panel.atom", govuk_atom("2025-10-20T14:00:00Z", second_title), ATOM)
    capsys.readouterr()
    assert cli(workdir, "poll") == 0
    assert "0 new, 1 updated, 0 merged" in capsys.readouterr().out
    after = atom_entries(workdir)[PANEL + REVIEW_PATH]
    assert (after.id, after.title) == (before.id, second_title)
    assert after.updated_parsed > before.updated_parsed
    assert len(stored_items(workdir)) == 2


def changing_guid_feed(guid: str, link: str, title: str, permalink: str = "false") -> bytes:
    return fixture(
        "board_changing_guids.xml", guid=guid, link=link, title=title, permalink=permalink
    )


def test_new_guid_scheme_and_url_spelling_keep_the_public_id(
    tmp_path: Path, server: FeedServer
) -> None:
    workdir = setup(tmp_path, server, "/sab.xml", "northshire-sab")
    title = "Safeguarding Adults Review: Adult Z"
    old = changing_guid_feed(
        "https://www.northshiresab.org.uk/?p=1234",
        "http://www.northshiresab.org.uk/reviews/sar-adult-z/",
        title,
    )
    server.set("/sab.xml", old, RSS)
    assert cli(workdir, "poll") == 0
    public_id = by_title(workdir)[title].public_id
    # The site moves to https, drops www., adds tracking, uses permalinks as GUIDs, retitles.
    new_title = "SAR – Adult Z published"
    new = changing_guid_feed(
        "https://northshiresab.org.uk/reviews/sar-adult-z",
        "https://northshiresab.org.uk/reviews/sar-adult-z?utm_source=rss&utm_medium=rss",
        new_title,
        permalink="true",
    )
    server.set("/sab.xml", new, RSS)
    assert cli(workdir, "poll") == 0
    items = stored_items(workdir)
    assert len(items) == 2, [i.title for i in items]
    adult_z = next(item for item in items if "Adult Z" in item.title)
    assert (adult_z.public_id, adult_z.title) == (public_id, new_title)  # the source's latest
    document = json_feed(workdir)
    entry = next(item for item in document["items"] if "Adult Z" in item["title"])
    assert entry["id"] == public_id


def undated_feed(d_summary: str, e_summary: str) -> bytes:
    return fixture("repeated_guids_undated.xml", d_summary=d_summary, e_summary=e_summary)


def test_repeated_guids_stay_separate_and_undated_or_future_entries_keep_their_first_date(
    tmp_path: Path, server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = setup(tmp_path, server, "/csp.xml", "southvale-csp")
    server.set("/csp.xml", undated_feed("Ms D was killed by her partner.", "Mr E."), RSS)
    assert cli(workdir, "poll") == 0
    first = by_title(workdir)
    assert len(first) == 4  # one GUID shared by four stories: four items
    scheduled = first["DHR chairs' forum (scheduled post)"]
    assert scheduled.published <= datetime.now(UTC)  # clamped to when it was first seen
    first_feed = {item["id"]: item for item in json_feed(workdir)["items"]}

    # The body changes (Mr E's summary), so every entry is parsed and decided again.
    server.set("/csp.xml", undated_feed("Ms D was killed by her partner.", "Mr E was 71."), RSS)
    capsys.readouterr()
    assert cli(workdir, "poll") == 0
    assert "0 new, 1 updated, 0 merged" in capsys.readouterr().out
    second = by_title(workdir)
    assert set(second) == set(first)
    for title, item in second.items():
        assert item.public_id == first[title].public_id
        assert item.published == first[title].published, title
    for title in ("DHR Ms D – overview report", "DHR chairs' forum (scheduled post)"):
        assert second[title].updated == first[title].updated, title
    unchanged = second["DHR Ms D – overview report"]
    changed = second["DHR Mr E – executive summary"]
    assert changed.updated > changed.published  # a real update: new `updated`, same date
    second_feed = {item["id"]: item for item in json_feed(workdir)["items"]}
    assert set(second_feed) == set(first_feed)
    ms_d = unchanged.public_id
    assert second_feed[ms_d]["date_modified"] == first_feed[ms_d]["date_modified"]
    assert second_feed[ms_d]["date_published"] == first_feed[ms_d]["date_published"]
