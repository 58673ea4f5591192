"""Operations: /metrics, /healthz, /readyz, structured logs, progress output, the users command."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from aggregator.cli import main
from aggregator.models import PollOutcome
from aggregator.ops.logs import JsonFormatter, KeyValueFormatter, formatter_for
from aggregator.ops.metrics import Metrics
from aggregator.ops.progress import Progress
from aggregator.runtime.service import Liveness, Service
from aggregator.store import Storage
from tests.support.admin import BOARD_ITEMS, RSS, WsgiClient, rss, running_service
from tests.support.feedserver import FeedServer


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        srv.set("/board/feed", rss(BOARD_ITEMS), RSS)
        yield srv


@pytest.fixture
def service(tmp_path: Path, server: FeedServer) -> Iterator[Service]:
    with running_service(tmp_path, server) as svc:
        yield svc


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text format (labels in any order)."""
    for line in text.splitlines():
        metric, _, value = line.rpartition(" ")
        if not metric.startswith(name + "{") and metric != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', metric))
        if found == labels:
            return float(value)
    return None


# --- metrics ---


def test_metrics_count_polls_errors_items_and_fetch_durations() -> None:
    metrics = Metrics(backlog=lambda: 4)
    metrics.record_outcome(PollOutcome("a", ok=True, new=3, merged=1, elapsed=0.2), at=1700.0)
    metrics.record_outcome(PollOutcome("a", ok=True, not_modified=True, elapsed=0.1), at=1800.0)
    metrics.record_outcome(PollOutcome("b", ok=False, error="HTTP 500", elapsed=2.0), at=1900.0)
    text = _scrape(metrics)
    assert sample(text, "aggregator_polls_total", source="a", result="ok") == 1
    assert sample(text, "aggregator_polls_total", source="a", result="not_modified") == 1
    assert sample(text, "aggregator_poll_errors_total", source="b") == 1
    assert sample(text, "aggregator_poll_errors_total", source="a") is None
    assert sample(text, "aggregator_items_total", kind="new") == 3
    assert sample(text, "aggregator_items_total", kind="merged") == 1
    assert sample(text, "aggregator_fetch_duration_seconds_count", source="a") == 2
    assert sample(text, "aggregator_fetch_duration_seconds_bucket", source="b", le="1.0") == 0
    assert sample(text, "aggregator_fetch_duration_seconds_bucket", source="b", le="2.5") == 1
    assert sample(text, "aggregator_last_success_timestamp_seconds", source="a") == 1800.0
    assert sample(text, "aggregator_last_success_timestamp_seconds", source="b") is None
    assert sample(text, "aggregator_due_sources") == 4


def test_two_services_do_not_share_metrics() -> None:
    first, second = Metrics(), Metrics()
    first.record_outcome(PollOutcome("a", ok=True, new=1), at=1.0)
    assert sample(_scrape(second), "aggregator_polls_total", source="a", result="ok") is None


def test_service_metrics_endpoint_after_a_poll(service: Service) -> None:
    client = WsgiClient(service.web_app())
    before = client.get("/metrics")
    assert before.status == 200 and before.header("Content-Type").startswith("text/plain")  # type: ignore[union-attr]
    assert sample(before.text, "aggregator_due_sources") == 1  # never polled: due
    service.poll_now("board")
    text = client.get("/metrics").text
    assert sample(text, "aggregator_polls_total", source="board", result="ok") == 1
    assert sample(text, "aggregator_items_total", kind="new") == 3
    assert sample(text, "aggregator_publish_duration_seconds_count") == 1
    assert sample(text, "aggregator_due_sources") == 0


# --- health and readiness ---


def test_healthz_and_readyz(service: Service) -> None:
    client = WsgiClient(service.web_app())
    assert client.get("/healthz").status == 200
    not_started = client.get("/readyz")
    assert not_started.status == 503
    assert json.loads(not_started.text)["scheduler"] == "not running"
    service.start()
    try:
        ready = client.get("/readyz")
        assert ready.status == 200, ready.text
        assert json.loads(ready.text)["database"] == "ok"
    finally:
        service.shutdown()


def test_readyz_fails_when_the_database_does_not_answer(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service.storage, "ping", _raise)
    client = WsgiClient(service.web_app())
    reply = client.get("/readyz")
    assert reply.status == 503
    assert json.loads(reply.text)["database"] == "error: database unreachable"


def _raise() -> None:
    from aggregator.errors import StorageError

    raise StorageError("database unreachable")


def test_liveness_notices_a_stalled_scheduler() -> None:
    now = [100.0]
    liveness = Liveness(clock=lambda: now[0])
    assert liveness.alive(5)  # nothing to judge yet
    with liveness.ticking():
        now[0] += 500  # a long poll is still a live scheduler
        assert liveness.alive(5)
    now[0] += 59
    assert liveness.alive(5)
    now[0] += 2
    assert not liveness.alive(5)


# --- logs ---


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord(
        "aggregator.poll.poller", logging.INFO, __file__, 1, "poll ok", None, None
    )
    record.__dict__.update(extra)
    return record


def test_key_value_lines_carry_extra_fields_and_stay_on_one_line() -> None:
    line = KeyValueFormatter().format(
        _record(source="lscp", elapsed=0.123456, new=3, error="bad\nthing here")
    )
    assert "\n" not in line
    assert (
        ' level=info logger=aggregator.poll.poller msg="poll ok" source=lscp elapsed=0.1235 new=3 '
        in line
    )
    assert line.endswith('error="bad\\nthing here"')
    assert re.match(r"ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", line)


def test_json_lines_parse_and_keep_types() -> None:
    parsed = json.loads(JsonFormatter().format(_record(source="lscp", elapsed=1.5, new=2)))
    assert parsed["msg"] == "poll ok" and parsed["source"] == "lscp"
    assert parsed["elapsed"] == 1.5 and parsed["new"] == 2 and parsed["level"] == "info"


def test_an_exception_is_kept_in_one_json_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed", None, __import__("sys").exc_info()
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line and "ValueError: boom" in json.loads(line)["error"]


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log format"):
        formatter_for("xml")


def test_cli_log_format_json_from_the_environment(
    tmp_path: Path,
    server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.support.admin import sources_toml

    (tmp_path / "sources.toml").write_text(sources_toml(server).replace("/board/feed", "/nothing"))
    monkeypatch.setenv("AGGREGATOR_LOG_FORMAT", "json")
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    args = [
        "--sources",
        str(tmp_path / "sources.toml"),
        "--db",
        f"sqlite:///{tmp_path / 'db.sqlite'}",
    ]
    assert main([*args, "--feeds-dir", str(tmp_path / "feeds"), "-v", "poll"]) == 0
    logged = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    failure = next(entry for entry in logged if entry["msg"] == "poll failed")
    assert failure["source"] == "board" and "404" in failure["error"]
    assert isinstance(failure["elapsed"], float)


# --- progress ---


def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere() -> None:
    tty = io.StringIO()
    with Progress(4, "poll", stream=tty, interactive=True, clock=lambda: 0.0) as bar:
        bar.step("a")
        bar.step("b")
    assert tty.getvalue().count("\r") == 2
    assert "poll [###############---------------] 2/4 0s b" in tty.getvalue()
    assert tty.getvalue().endswith("\n")
    piped = io.StringIO()
    with Progress(2, "import", stream=piped, interactive=False) as lines:
        lines.step("x")
        lines.step("y")
    assert piped.getvalue() == "import 1/2 x\nimport 2/2 y\n"
    quiet = io.StringIO()
    with Progress(2, "poll", stream=quiet, interactive=False, lines=False) as silent:
        silent.step("x")
    assert quiet.getvalue() == ""


# --- users ---


def test_users_add_list_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'db.sqlite'}"]
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main([*db, "users", "add", "bob"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main([*db, "users", "add", "bob", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("another long password\n"))
    assert main([*db, "users", "add", "bob"]) == 1  # taken
    assert main([*db, "users", "list"]) == 0
    assert re.search(r"^bob\tcreated \S+\tlast sign-in never$", capsys.readouterr().out, re.M)
    with Storage.open(db[1]) as storage:
        user = storage.user("bob")
        assert user is not None and user.password_hash.startswith("$argon2id$")
    assert main([*db, "users", "remove", "bob"]) == 0
    assert main([*db, "users", "remove", "bob"]) == 1


def _scrape(metrics: Metrics) -> str:
    client = WsgiClient(metrics.wsgi_app())
    return client.get("/metrics").text
