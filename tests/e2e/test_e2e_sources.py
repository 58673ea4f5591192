"""Every source shape in one poll through the real CLI, and the `sources` admin commands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from aggregator.config import load_config
from aggregator.config.govuk import build_search_url
from tests.support.e2e import (
    HTML,
    JSON,
    RSS,
    SETTINGS,
    by_title,
    cli,
    feed_source,
    fixture,
    stored_items,
    utc,
)
from tests.support.feedserver import FeedServer

GOVUK = "https://www.gov.uk/government/publications/"


def three_shapes(server: FeedServer) -> str:
    return (
        SETTINGS
        + f"""
[[source]]
id = "govuk-search"
name = "GOV.UK search: safeguarding reviews"
type = "govuk-search"
url = "{server.url("/api/search.json")}"
category = "reviews"
[source.query]
q = "safeguarding review"
filter_format = "publication"
order = "-public_timestamp"
count = 3

[[source]]
id = "westmere-sab"
name = "Westmere SAB reviews"
type = "html"
url = "{server.url("/reviews/")}"
category = "reviews"
[source.select]
item = "article.review"
title = "h3"
link = "h3 a@href"
date = ".date"
summary = "p.excerpt"
"""
        + feed_source("westmere-scp", server.url("/feed/"))
    )


def serve_search(server: FeedServer, sources: Path) -> None:
    """The Search API answer at the exact path + query the source builds from [source.query]."""
    source = load_config(sources).source("govuk-search")
    assert source is not None
    built = urlsplit(build_search_url(source))
    assert "q=safeguarding+review" in built.query and "count=3" in built.query
    server.set(f"{built.path}?{built.query}", fixture("govuk_search.json"), JSON)


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    with FeedServer() as server:
        (tmp_path / "sources.toml").write_text(three_shapes(server))
        serve_search(server, tmp_path / "sources.toml")
        server.set("/reviews/", fixture("board_reviews.html"), HTML)
        server.set("/feed/", fixture("board_news.xml"), RSS)
        tmp_path.joinpath("base").write_text(server.base)
        yield tmp_path


def test_one_poll_stores_every_shape_with_dates_in_utc_and_what_each_item_is(
    workdir: Path,
) -> None:
    assert cli(workdir, "poll") == 0
    base = workdir.joinpath("base").read_text()
    items = by_title(workdir)
    expected = {  # title: (url, published UTC, category, review type)
        "National Safeguarding Adults Review: learning disabilities in hospital": (
            GOVUK + "safeguarding-adults-review-learning-disabilities-in-hospital",
            "2025-06-12T08:30:02+00:00", "reviews", "sar",
        ),
        "National review into the murders of Arthur Labinjo-Hughes and Star Hobson": (
            GOVUK + "national-review-into-the-murders-of-arthur-labinjo-hughes-and-star-hobson",
            "2022-05-26T10:00:00+00:00", "reviews", "cspr",
        ),
        "Domestic Homicide Review into the death of Ms C": (
            GOVUK + "domestic-homicide-review-into-the-death-of-ms-c",
            "2024-11-20T15:45:00+00:00", "reviews", "dhr",
        ),
        "SAR Adult K – self-neglect and hoarding": (
            base + "/reviews/sar-adult-k/", "2025-07-13T23:00:00+00:00", "reviews", "sar",
        ),
        "7 Minute Briefing: Adult K": (
            base + "/reviews/7-minute-briefing-adult-k/",
            "2025-09-01T23:00:00+00:00", "reviews", "learning",
        ),
        "Domestic Homicide Review: Sarah": (
            base + "/reviews/dhr-sarah/", "2021-09-28T23:00:00+00:00", "reviews", "dhr",
        ),
        "SAR Mr B": (
            base + "/reviews/sar-mr-b/?utm_source=newsletter&src=homepage",
            "2020-06-25T23:00:00+00:00", "reviews", "sar",
        ),
        "New multi-agency neglect strategy launched": (
            "https://wscp.example.org/2025/10/neglect-strategy/",
            "2025-10-14T09:12:44+00:00", "news", None,
        ),
        "Training: Working Together 2023 for practitioners": (
            "https://wscp.example.org/events/working-together-2023/",
            "2025-10-06T13:00:00+00:00", "training", None,
        ),
    }  # fmt: skip
    assert set(items) == set(expected)
    for title, (url, published, category, review_type) in expected.items():
        item = items[title]
        assert (item.url, item.published, item.category, item.review_type) == (
            url, utc(published), category, review_type,
        ), title  # fmt: skip
        assert item.published.utcoffset() is not None and not item.published.utcoffset()
    news = items["New multi-agency neglect strategy launched"]
    assert news.summary.startswith("The partnership has launched its neglect strategy")
    assert "appeared first" not in news.summary and "[…]" not in news.summary


def test_html_page_that_stops_matching_is_an_error_on_the_source(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(workdir, "poll") == 0
    before = len(stored_items(workdir))
    capsys.readouterr()
    with FeedServer() as moved:  # the site changed its markup: same URL, no article.review
        text = (workdir / "sources.toml").read_text()
        base = workdir.joinpath("base").read_text()
        (workdir / "sources.toml").write_text(text.replace(base + "/reviews/", moved.url("/r/")))
        moved.set("/r/", b"<html><body><div class='card'>Redesigned</div></body></html>", HTML)
        assert cli(workdir, "poll", "--source", "westmere-sab") == 0
    err = capsys.readouterr().err
    assert err.startswith("westmere-sab: ") and "article.review" in err
    assert len(stored_items(workdir)) == before


TRACKED_REPOST = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Bulletin</title><link>{base}/</link><description>d</description>
<item><title>Care home fall: lessons for providers</title>
<link>{base}/reviews/sar-mr-b/?src=bulletin&amp;utm_medium=email</link>
<guid isPermaLink="false">bulletin-77</guid><pubDate>Sat, 27 Jun 2020 08:00:00 +0000</pubDate>
<description>Our round-up of a review published by the adults board.</description></item>
</channel></rss>"""


@pytest.mark.parametrize("configured", [True, False])
def test_settings_tracking_params_reach_canonical_urls(workdir: Path, configured: bool) -> None:
    base = workdir.joinpath("base").read_text()
    text = (workdir / "sources.toml").read_text()
    if configured:
        text = text.replace("robots = false", 'robots = false\ntracking_params = ["src"]')
    (workdir / "sources.toml").write_text(text)
    with FeedServer() as bulletin:
        bulletin.set("/b.xml", TRACKED_REPOST.replace("{base}", base).encode(), RSS)
        extra = feed_source("bulletin", bulletin.url("/b.xml"))
        (workdir / "sources.toml").write_text(text + extra)
        assert cli(workdir, "poll") == 0
    items = by_title(workdir)
    mr_b = items["SAR Mr B"]
    canonical = "https://" + base.removeprefix("http://") + "/reviews/sar-mr-b"
    if configured:  # both links are one page once `src` is dropped: one item, two sightings
        assert mr_b.canonical_url == canonical
        assert {s.source_id for s in mr_b.sightings} == {"westmere-sab", "bulletin"}
        assert "Care home fall: lessons for providers" not in items
    else:  # utm_* always goes; `src` only when configured
        assert mr_b.canonical_url == canonical + "?src=homepage"
        assert len(mr_b.sightings) == 1
        assert "Care home fall: lessons for providers" in items


# --- sources add / preview / import-opml ---


@pytest.fixture
def admin_dir(tmp_path: Path) -> Iterator[Path]:
    with FeedServer() as server:
        server.set("/feed/", fixture("board_news.xml"), RSS)
        server.set("/eastbrook/", fixture("partner_page.html"), HTML)
        server.set("/news/feed/", fixture("eastbrook_news.xml"), RSS)
        (tmp_path / "sources.toml").write_bytes(fixture("sources_commented.toml", server))
        (tmp_path / "export.opml").write_bytes(fixture("feedly_export.opml", server))
        tmp_path.joinpath("base").write_text(server.base)
        yield tmp_path


def only_insertions(before: str, after: str) -> str:
    """The text inserted into `before` to make `after`; fails if anything else changed."""
    import difflib

    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    inserted = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        assert tag in ("equal", "insert"), (tag, before[i1:i2], after[j1:j2])
        if tag == "insert":
            inserted.append(after[j1:j2])
    return "".join(inserted)


def test_sources_add_discovers_the_feed_and_keeps_every_byte_of_the_file(
    admin_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = admin_dir / "sources.toml"
    before = path.read_text()
    base = admin_dir.joinpath("base").read_text()
    assert cli(admin_dir, "sources", "add", base + "/eastbrook/", "--category", "reviews") == 0
    added = only_insertions(before, path.read_text())
    assert f'url = "{base}/news/feed/"' in added and "comments" not in added
    config = load_config(path)
    source = config.sources[-1]
    assert (source.url, source.category, source.type) == (base + "/news/feed/", "reviews", "feed")
    assert "Eastbrook SAB" in source.name
    assert [s.id for s in config.sources] == ["westmere-scp", source.id]
    assert cli(admin_dir, "sources", "check") == 0
    assert cli(admin_dir, "poll", "--source", source.id) == 0
    assert [item.title for item in stored_items(admin_dir)] == ["SAR Adult M published"]


def test_sources_preview_prints_items_and_stores_nothing(
    admin_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(admin_dir, "sources", "preview", "westmere-scp") == 0
    out = capsys.readouterr().out
    assert "2025-10-14 news" in out and "New multi-agency neglect strategy launched" in out
    assert "    themes: neglect\n" in out  # what the heuristics (and rules) would give
    assert "training" in out and "Working Together 2023" in out
    assert "2 item(s) from westmere-scp" in out
    assert not (admin_dir / "db.sqlite").exists()
    assert not (admin_dir / "feeds").exists()


def test_import_opml_adds_new_feeds_and_skips_ones_already_present(
    admin_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = admin_dir / "sources.toml"
    before = path.read_text()
    assert cli(admin_dir, "sources", "import-opml", str(admin_dir / "export.opml")) == 0
    assert "imported 3 source(s)" in capsys.readouterr().out
    only_insertions(before, path.read_text())
    config = load_config(path)
    by_url = {s.url: s for s in config.sources}
    assert len(config.sources) == 4 and len({s.id for s in config.sources}) == 4
    assert by_url["https://www.researchinpractice.org.uk/all/feed/"].name == (
        "Research in Practice & partners"
    )
    assert "https://www.northshiresab.org.uk/feed/" in by_url
    assert by_url[admin_dir.joinpath("base").read_text() + "/feed/"].id == "westmere-scp"
    again = path.read_text()
    assert cli(admin_dir, "sources", "import-opml", str(admin_dir / "export.opml")) == 0
    assert "imported 0 source(s)" in capsys.readouterr().out
    assert path.read_text() == again
