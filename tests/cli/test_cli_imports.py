"""Each command imports only what it uses: `--help` and `sources check` never load the store,
the HTTP client or a parser, and a poll that stores nothing never loads the renderers.
Each runs in a fresh interpreter, as a user's shell or cron starts it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = (
    "sqlalchemy", "alembic", "requests", "feedparser", "lxml", "jinja2", "feedgen", "tomlkit",
    "icalendar",
)  # fmt: skip
SOURCES = """[settings]
allow_private_networks = true

[[source]]
id = "board-a"
name = "Board A"
type = "feed"
url = "http://127.0.0.1:9/feed/"
"""


def loaded_after(*args: str, cwd: Path) -> list[str]:
    code = (
        "import json, sys\n"
        "from aggregator.cli.main import main\n"
        "try:\n"
        f"    main({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, check=True
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_help_loads_nothing_heavy(tmp_path: Path) -> None:
    assert loaded_after("--help", cwd=tmp_path) == []
    assert loaded_after("items", "--help", cwd=tmp_path) == []


def test_sources_check_loads_neither_the_store_nor_the_network(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text(SOURCES)
    assert loaded_after("--sources", "sources.toml", "sources", "check", cwd=tmp_path) == []


def test_an_unchanged_publish_loads_no_renderer(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text(SOURCES)
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    common = ["--sources", "sources.toml", "--db", db, "--feeds-dir", "feeds", "publish"]
    first = loaded_after(*common, cwd=tmp_path)
    assert "feedgen" in first and "jinja2" in first  # the first run renders everything
    again = loaded_after(*common, cwd=tmp_path)
    assert "sqlalchemy" in again  # it reads the store's content version
    assert not {"feedgen", "jinja2", "lxml", "feedparser", "icalendar"} & set(again)
