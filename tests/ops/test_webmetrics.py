"""Every process kind answers /metrics with valid Prometheus text: `serve`, `serve --from-db`,
`run` and `aggregator worker --metrics-port`, each started as its own process."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from aggregator.cli import main
from aggregator.ops.webmetrics import route_of
from tests.poll.test_integration_poll import FIXTURES, RSS
from tests.support.feedserver import FeedServer

TOML = """[settings]
allow_private_networks = true
per_host_delay = "0s"
robots = false

[[source]]
id = "board-a"
name = "Board A"
url = "{ok}"

[[source]]
id = "board-b"
name = "Board B"
url = "{missing}"
"""
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def test_routes_are_few() -> None:
    assert route_of("/all.atom", 200) == "/all.atom"
    assert route_of("/all.atom", 304) == "/all.atom"
    assert route_of("/nothing-here.atom", 404) == "other"
    assert route_of("/admin/sources/x/edit", 200) == "/admin"
    assert route_of("/metrics", 200) == "/metrics"
    assert route_of("/a/b", 200) == "other"


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    with FeedServer() as server:
        server.set("/a/", (FIXTURES / "board_a_wordpress.xml").read_bytes(), RSS)
        (tmp_path / "sources.toml").write_text(
            TOML.format(ok=server.url("/a/"), missing=server.url("/gone/"))
        )
        yield tmp_path


def global_args(workdir: Path) -> list[str]:
    db = f"sqlite:///{workdir / 'db.sqlite'}"
    return [
        "--sources",
        str(workdir / "sources.toml"),
        "--db",
        db,
        "--feeds-dir",
        str(workdir / "feeds"),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def process(workdir: Path, *command: str) -> Iterator[subprocess.Popen[bytes]]:
    argv = [sys.executable, "-m", "aggregator.cli", *global_args(workdir), *command]
    with (workdir / f"{command[0]}.log").open("wb") as log:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def get(port: int, path: str) -> tuple[int, str]:
    """GET once the server listens (waiting for it to start up, not timing it)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def samples(text: str) -> Samples:
    """Parse the exposition (raising on anything that is not valid Prometheus text)."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_serve_from_db_counts_requests_and_reads_source_health(workdir: Path) -> None:
    assert main([*global_args(workdir), "poll"]) == 0
    port = free_port()
    with process(workdir, "serve", "--from-db", "--port", str(port)):
        assert get(port, "/all.atom")[0] == 200
        assert get(port, "/no-such.atom")[0] == 404
        status, text = get(port, "/metrics")
    assert status == 200
    found = samples(text)
    requests = "aggregator_http_requests_total"
    assert found[(requests, (("route", "/all.atom"), ("status", "200")))] == 1
    assert found[(requests, (("route", "other"), ("status", "404")))] == 1
    last = "aggregator_source_last_success_timestamp_seconds"
    assert found[(last, (("source", "board-a"),))] > 0
    assert (last, (("source", "board-b"),)) not in found  # it never succeeded
    assert found[("aggregator_failing_sources", ())] == 1
    assert found[("aggregator_due_sources", ())] == 0  # both were just polled


def test_serve_of_a_folder_counts_requests(workdir: Path) -> None:
    assert main([*global_args(workdir), "poll"]) == 0
    port = free_port()
    with process(workdir, "serve", "--port", str(port)):
        assert get(port, "/latest.html")[0] == 200
        status, text = get(port, "/metrics")
    found = samples(text)
    assert status == 200
    assert (
        found[("aggregator_http_requests_total", (("route", "/latest.html"), ("status", "200")))]
        == 1
    )


def test_run_answers_metrics(workdir: Path) -> None:
    port = free_port()
    with process(workdir, "run", "--port", str(port)):
        assert get(port, "/healthz")[0] == 200
        status, text = get(port, "/metrics")
    found = samples(text)
    assert status == 200
    assert (
        found[("aggregator_http_requests_total", (("route", "/healthz"), ("status", "200")))] == 1
    )


def test_worker_metrics_port_shows_its_polls(workdir: Path) -> None:
    port = free_port()
    with process(workdir, "worker", "--metrics-port", str(port)):
        deadline = time.monotonic() + 60
        while True:  # waits for the worker's first round, asserting nothing about its speed
            found = samples(get(port, "/metrics")[1])
            polled = ("aggregator_polls_total", (("result", "error"), ("source", "board-b")))
            if polled in found and found[("aggregator_leases_held", ())] == 0:
                break  # the round is over: its leases were given back
            assert time.monotonic() < deadline, "the worker polled nothing"
            time.sleep(0.2)
        assert get(port, "/elsewhere")[0] == 404
    assert found[("aggregator_polls_total", (("result", "ok"), ("source", "board-a")))] == 1
    assert found[("aggregator_poll_errors_total", (("source", "board-b"),))] == 1
    assert ("aggregator_fetch_duration_seconds_count", (("source", "board-a"),)) in found
