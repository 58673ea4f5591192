"""When a source's incident opens, changes and closes (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregator.models import SourceState
from aggregator.notify.incidents import Problem, Rules, Transition, problem_of, transitions

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
RULES = Rules(after_failures=3, idle=30 * 86400.0)


def state(**fields: object) -> SourceState:
    return SourceState("s", **{"status": "ok", **fields})  # type: ignore[arg-type]


def test_failures_open_an_incident_only_from_the_threshold() -> None:
    assert problem_of(state(status="backoff", error_count=2), None, RULES, NOW) is None
    found = problem_of(
        state(status="backoff", error_count=3, last_error="HTTP 500"), None, RULES, NOW
    )
    assert found is not None and found.kind == "failing" and "HTTP 500" in found.detail


def test_idle_counts_from_the_newest_new_entry() -> None:
    assert problem_of(state(), NOW - timedelta(days=29), RULES, NOW) is None
    found = problem_of(state(), NOW - timedelta(days=30), RULES, NOW)
    assert found is not None and found.kind == "idle"
    assert problem_of(state(), None, RULES, NOW) is None  # nothing stored: nothing to judge


def test_gone_and_moved_come_before_failing_and_idle() -> None:
    gone = state(status="gone", error_count=9, last_error="HTTP 410")
    assert problem_of(gone, NOW - timedelta(days=99), RULES, NOW) == Problem(
        "gone", "the source is gone (410): HTTP 410"
    )
    moved = state(status="moved", moved_to="https://new.example/feed")
    found = problem_of(moved, NOW - timedelta(days=99), RULES, NOW)
    assert (
        found is not None and found.kind == "moved" and "https://new.example/feed" in found.detail
    )


def test_transitions_open_keep_change_and_close() -> None:
    failing = Problem("failing", "x")
    states = [
        SourceState("opens", status="backoff", error_count=3),
        SourceState("stays", status="backoff", error_count=4),
        SourceState("changes", status="gone"),
        SourceState("closes", status="ok"),
        SourceState("quiet", status="ok"),
        SourceState("never-polled", status="new"),
    ]
    open_incidents = {
        "stays": failing,
        "changes": failing,
        "closes": failing,
        "never-polled": failing,
    }
    found = transitions(states, open_incidents, {}, RULES, NOW)
    assert [(t.source_id, t.old and t.old.kind, t.new and t.new.kind) for t in found] == [
        ("opens", None, "failing"),
        ("changes", "failing", "gone"),
        ("closes", "failing", None),
    ]
    assert [t.recovered for t in found] == [False, False, True]


def test_a_recovery_is_a_transition_to_nothing() -> None:
    assert Transition("s", Problem("idle", ""), None).recovered
    assert not Transition("s", None, Problem("idle", "")).recovered
