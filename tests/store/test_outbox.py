"""Incidents change by compare-and-set with their deliveries; deliveries are claimed by one
process at a time (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregator.store import Storage
from aggregator.store.outbox import IncidentChange, NewDelivery

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
ALERT = [NewDelivery("email", "admin@example.org", "source_failed", '{"subject":"x","text":"y"}')]


def test_an_incident_opens_once_and_only_its_opener_queues_the_alert(storage: Storage) -> None:
    opening = IncidentChange("board-a", None, "failing", "5 failed polls")
    assert storage.change_incident(opening, ALERT, now=NOW)
    assert not storage.change_incident(opening, ALERT, now=NOW)  # a second process, same poll
    assert storage.open_incidents() == {"board-a": ("failing", "5 failed polls")}
    assert len(storage.deliveries()) == 1


def test_change_and_close_need_the_kind_still_open(storage: Storage) -> None:
    storage.change_incident(IncidentChange("s", None, "failing"), [], now=NOW)
    assert not storage.change_incident(IncidentChange("s", "idle", None), ALERT, now=NOW)
    assert storage.change_incident(IncidentChange("s", "failing", "gone", "410"), [], now=NOW)
    assert storage.change_incident(IncidentChange("s", "gone", None), ALERT, now=NOW)
    assert not storage.change_incident(IncidentChange("s", "gone", None), ALERT, now=NOW)
    assert storage.open_incidents() == {}
    assert len(storage.deliveries()) == 1


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_ends(storage: Storage) -> None:
    storage.enqueue(ALERT * 3, now=NOW)
    first = storage.claim_deliveries("node-1", now=NOW, ttl=60, limit=2)
    second = storage.claim_deliveries("node-2", now=NOW, ttl=60, limit=5)
    assert len(first) == 2 and len(second) == 1
    assert {d.id for d in first}.isdisjoint(d.id for d in second)
    assert storage.claim_deliveries("node-3", now=NOW, ttl=60) == []
    storage.delivery_sent(second[0].id, now=NOW)
    later = NOW + timedelta(seconds=61)  # node-1 died: its claims lapse
    assert [d.id for d in storage.claim_deliveries("node-3", now=later, ttl=60)] == [
        d.id for d in first
    ]


def test_sent_failed_and_retried_deliveries(storage: Storage) -> None:
    storage.enqueue(ALERT * 3, now=NOW)
    sent, retried, dropped = storage.claim_deliveries("n", now=NOW, ttl=60)
    storage.delivery_sent(sent.id, now=NOW)
    storage.delivery_failed(retried.id, "timed out", NOW + timedelta(minutes=5))
    storage.delivery_failed(dropped.id, "550 no such mailbox", None)
    assert storage.claim_deliveries("n", now=NOW + timedelta(minutes=4), ttl=60) == []
    again = storage.claim_deliveries("n", now=NOW + timedelta(minutes=5), ttl=60)
    assert [d.id for d in again] == [retried.id]
    shown = {d.id: (d.status, d.attempts, d.last_error) for d in storage.deliveries()}
    assert shown == {
        sent.id: ("sent", 1, None),
        retried.id: ("pending", 1, "timed out"),
        dropped.id: ("failed", 1, "550 no such mailbox"),
    }
