"""publish does nothing when nothing changed since its last run: the store's content version,
the configuration, the outputs on disk and the feeds' max_age windows decide; each test
changes one of them and sees a full run again."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import feedparser

from aggregator.config.types import FeedConfig, Settings
from aggregator.publish import publish
from aggregator.publish.stamp import STAMP_NAME
from tests.fixtures.publish.support import NOW, FakeReader, load_items
from tests.publish.test_publish import CONFIG


def published_once(tmp_path: Path, config: object = CONFIG) -> FakeReader:
    reader = FakeReader(load_items())
    assert publish(reader, config, tmp_path, now=NOW)  # type: ignore[arg-type]
    return reader


def test_an_unchanged_store_is_not_even_read(tmp_path: Path) -> None:
    reader = published_once(tmp_path)
    reads = reader.calls
    assert publish(reader, CONFIG, tmp_path, now=NOW + timedelta(days=2)) == []
    assert reader.calls == reads
    assert (tmp_path / STAMP_NAME).is_file()


def test_a_change_in_the_store_is_published(tmp_path: Path) -> None:
    reader = published_once(tmp_path)
    reader.update(104, hidden=True)
    changed = {p.name for p in publish(reader, CONFIG, tmp_path, now=NOW)}
    assert "news.atom" in changed
    assert b"neglect strategy" not in (tmp_path / "news.atom").read_bytes()


def test_a_configuration_change_is_published(tmp_path: Path) -> None:
    reader = published_once(tmp_path)
    fewer = replace(CONFIG, settings=replace(CONFIG.settings, block_items=2))
    assert CONFIG.settings.block_items != 2
    assert "latest.html" in {p.name for p in publish(reader, fewer, tmp_path, now=NOW)}


def test_a_missing_output_is_written_again(tmp_path: Path) -> None:
    reader = published_once(tmp_path)
    (tmp_path / "news.rss").unlink()
    assert [p.name for p in publish(reader, CONFIG, tmp_path, now=NOW)] == ["news.rss"]


def test_force_renders_even_when_nothing_changed(tmp_path: Path) -> None:
    reader = published_once(tmp_path)
    reads = reader.calls
    assert publish(reader, CONFIG, tmp_path, now=NOW, force=True) == []  # same bytes
    assert reader.calls > reads


def test_a_garbled_stamp_means_a_full_run(tmp_path: Path) -> None:
    reader = published_once(tmp_path)
    (tmp_path / STAMP_NAME).write_text("{not json")
    reads = reader.calls
    publish(reader, CONFIG, tmp_path, now=NOW)
    assert reader.calls > reads


def test_an_item_ageing_out_of_a_max_age_feed_is_published_without_any_change(
    tmp_path: Path,
) -> None:
    recent = FeedConfig("recent", "Published in the last 3 days", max_age=3 * 86400.0)
    config = replace(CONFIG, feeds=(recent,), settings=Settings(site_url=CONFIG.settings.site_url))
    reader = published_once(tmp_path, config)
    titles = [e.title for e in feedparser.parse(tmp_path / "recent.atom").entries]
    oldest = min(item.published for item in reader.stored if item.title in titles)
    before_expiry = oldest + timedelta(days=3) - timedelta(minutes=1)
    assert publish(reader, config, tmp_path, now=before_expiry) == []
    after = {
        p.name for p in publish(reader, config, tmp_path, now=before_expiry + timedelta(minutes=2))
    }
    assert "recent.atom" in after
    later = [e.title for e in feedparser.parse(tmp_path / "recent.atom").entries]
    assert len(later) < len(titles)


def test_an_edit_to_the_blocks_own_template_is_published(tmp_path: Path) -> None:
    template = tmp_path / "block.html"
    template.write_text("<div>{{ columns | length }} columns</div>")
    settings = replace(CONFIG.settings, block_template=str(template))
    config = replace(CONFIG, settings=settings)
    feeds = tmp_path / "feeds"
    reader = published_once(feeds, config)
    template.write_text("<section>{{ columns | length }} columns</section>")
    assert [p.name for p in publish(reader, config, feeds, now=NOW)] == ["latest.html"]
    assert (feeds / "latest.html").read_text().startswith("<section>")


def test_the_same_configuration_read_from_another_path_is_not_a_change(tmp_path: Path) -> None:
    reader = published_once(tmp_path)
    reads = reader.calls
    elsewhere = replace(CONFIG, path="/etc/safeguarding-feeds/sources.toml")
    assert publish(reader, elsewhere, tmp_path, now=NOW) == []
    assert reader.calls == reads
