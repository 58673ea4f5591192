"""The tricky source feeds behind tests/test_outside_validation.py and tests/test_feed_rules.py,
polled through the real CLI, and the JSON Feed 1.1 schema both check against."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.support.e2e import ATOM, RSS, SETTINGS, cli, feed_source
from tests.support.feedserver import FeedServer

FIXTURES = Path(__file__).parents[1] / "fixtures" / "validation"
SITE = "https://feeds.example.org"
FEEDS = ("all", "reviews", "news", "training")
RELATIVE = "Relative link item"
RENAMED = "Relative link item, revised"


class TrickySources:
    """The two source feeds on a real HTTP server, and the workdir the CLI polls them into."""

    def __init__(self, server: FeedServer, workdir: Path) -> None:
        self.server, self.workdir = server, workdir
        text = SETTINGS + feed_source("tricky-board", server.url("/board.xml"), "reviews")
        text += feed_source("tricky-training", server.url("/training.atom"), "training")
        (workdir / "sources.toml").write_text(text)
        self.serve()

    def serve(self, *, rename: bool = False) -> None:
        board = self._fixture("tricky_board.xml", ctrl="\x0b", ctrl2="\x01\x1f")
        if rename:
            board = board.replace(RELATIVE, RENAMED)
        self.server.set("/board.xml", board.encode(), RSS)
        self.server.set("/training.atom", self._fixture("tricky_training.atom").encode(), ATOM)

    def poll(self) -> None:
        assert cli(self.workdir, "poll") == 0

    def _fixture(self, name: str, **replacements: str) -> str:
        text = (FIXTURES / name).read_text(encoding="utf-8").replace("{base}", self.server.base)
        for key, value in replacements.items():
            text = text.replace("{" + key + "}", value)
        return text


def publish_tricky(workdir: Path) -> Path:
    """feeds/ after one poll of the tricky sources into `workdir`."""
    with FeedServer() as server:
        TrickySources(server, workdir).poll()
    return workdir / "feeds"


def output(feeds: Path, name: str) -> bytes:
    return (feeds / name).read_bytes()


def json_feed_schema() -> jsonschema.Draft202012Validator:
    schema = json.loads((FIXTURES / "jsonfeed-1.1.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)
