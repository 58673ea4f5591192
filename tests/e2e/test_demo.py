"""`make demo`: the bundled samples are served, polled and deduplicated, offline."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import requests

from aggregator.admin.auth import verify_password
from aggregator.config import check_config, load_config
from aggregator.store import Storage
from tests.support.e2e import cli, db_url, stored_items

RUN = Path(__file__).parents[2] / "demo" / "run.py"


def load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_run", RUN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo() -> ModuleType:
    return load_demo()


@pytest.fixture
def samples(demo: ModuleType) -> Iterator[str]:
    server = demo.serve_samples()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_every_sample_is_served_with_its_media_type(demo: ModuleType, samples: str) -> None:
    for path, (_, media) in demo.ROUTES.items():
        reply = requests.get(samples + path, timeout=5)
        assert reply.status_code == 200, path
        assert reply.headers["Content-Type"] == media
    assert requests.get(samples + "/nothing-here", timeout=5).status_code == 404


def test_the_demo_polls_every_sample_and_joins_the_stories_they_share(
    demo: ModuleType, samples: str, tmp_path: Path
) -> None:
    sources = demo.prepare(tmp_path, samples, "http://127.0.0.1:8080")
    assert sources == tmp_path / "sources.toml"
    assert check_config(sources) == []
    config = load_config(sources)
    assert {s.type for s in config.sources} == {"feed", "html", "ical", "govuk-search"}
    assert cli(tmp_path, "poll") == 0
    items = stored_items(tmp_path)
    seen_in = {item.title: {s.source_id for s in item.sightings} for item in items}
    assert {source for ids in seen_in.values() for source in ids} == {s.id for s in config.sources}
    joint = next(ids for title, ids in seen_in.items() if "Adult D" in title)
    assert joint == {"eastborough-news", "northshire-sars"}  # a board's feed and another's page
    panel = next(ids for title, ids in seen_in.items() if "annual report 2025 to 2026" in title)
    assert panel == {"eastborough-news", "govuk-search"}
    courses = [i for i in items if {s.source_id for s in i.sightings} == {"eastborough-training"}]
    assert len(courses) >= 6
    assert all(item.event_date and item.category == "training" for item in courses)
    assert "Mrs A & Miss G" in " ".join(seen_in)  # on the listing's second page


def test_the_admin_user_is_made_with_the_password_printed(demo: ModuleType, tmp_path: Path) -> None:
    url = db_url(tmp_path)
    password = demo.add_admin(url)
    with Storage.open(url) as storage:
        user = storage.user(demo.ADMIN)
    assert user is not None and verify_password(user.password_hash, password)
    shown = demo.where_to_look("http://127.0.0.1:8080", "http://127.0.0.1:1234", password, tmp_path)
    assert f"password: {password}" in shown
    for path in ("/all.atom", "/latest.html", "/admin/"):
        assert f"http://127.0.0.1:8080{path}" in shown
