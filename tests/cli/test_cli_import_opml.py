"""`sources import-opml` recognises a feed already configured under another spelling of its URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from aggregator.cli import main
from aggregator.config import load_config

SOURCES = """[settings]
site_url = "https://feeds.example.org"

[[source]]
id = "northshire"
name = "Northshire SAB"
url = "https://www.northshiresab.org.uk/feed/"
"""

OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Exported subscriptions</title></head>
  <body>
    <outline text="Safeguarding">
      <outline type="rss" text="Northshire (old link)" xmlUrl="http://northshiresab.org.uk/feed"/>
      <outline type="rss" text="Southvale" xmlUrl="https://southvalesafeguarding.org.uk/feed/"/>
    </outline>
  </body>
</opml>
"""


def test_same_feed_under_another_spelling_is_not_added_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCES)
    (tmp_path / "export.opml").write_bytes(OPML)
    code = main(
        ["--sources", str(sources), "sources", "import-opml", str(tmp_path / "export.opml")]
    )
    assert code == 0
    assert "imported 1 source(s)" in capsys.readouterr().out
    urls = [source.url for source in load_config(sources).sources]
    assert urls == [
        "https://www.northshiresab.org.uk/feed/",
        "https://southvalesafeguarding.org.uk/feed/",
    ]
