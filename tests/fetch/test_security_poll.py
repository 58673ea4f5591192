"""SSRF end to end: a poll never reaches a private address unless the configuration allows it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import responses

from aggregator.config import load_config
from aggregator.poll.poller import Poller
from aggregator.store import Storage
from tests.support.faultfarm import FaultServer, Reply, rss


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer({"/feed.xml": Reply(body=rss("local", 2))}) as srv:
        yield srv


def poll(tmp_path: Path, allow: bool, url: str) -> tuple[bool, str | None, int]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "sources.toml"
    path.write_text(f"""
[settings]
allow_private_networks = {"true" if allow else "false"}
per_host_delay = "0s"
timeout = "2s"
deadline = "2s"
robots = false

[[source]]
id = "s"
name = "S"
url = "{url}"
""")
    config = load_config(path)
    with Storage.open(f"sqlite:///{tmp_path / 'db.sqlite'}") as storage:
        [outcome] = Poller.create(config, storage).poll(config.sources)
        return outcome.ok, storage.source_state("s").last_error, len(storage.items())


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_private_source_is_refused_unless_allowed(
    tmp_path: Path, server: FaultServer, host: str
) -> None:
    url = server.url("/feed.xml").replace("127.0.0.1", host)
    ok, error, stored = poll(tmp_path, False, url)
    assert not ok and stored == 0
    assert error is not None and error.startswith("refused:") and "private address" in error
    assert server.hits("/feed.xml") == 0
    assert poll(tmp_path / "allowed", True, url)[0]


@responses.activate
def test_public_redirect_to_a_private_address_is_refused(
    tmp_path: Path, server: FaultServer
) -> None:
    responses.add_passthru("http://127.0.0.1")
    responses.get(
        "https://public.example.org/feed.xml",
        status=301,
        headers={"Location": server.url("/feed.xml")},
    )
    ok, error, stored = poll(tmp_path, False, "https://public.example.org/feed.xml")
    assert not ok and stored == 0
    assert error is not None and "refused" in error and "127.0.0.1" in error
    assert server.hits("/feed.xml") == 0


def test_metadata_address_is_refused(tmp_path: Path) -> None:
    ok, error, _ = poll(tmp_path, False, "http://169.254.169.254/latest/meta-data/")
    assert not ok and error is not None and "refused" in error
