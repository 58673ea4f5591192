"""Digest subscribers: a subscription per address, claimed by one sender at a time, its period
moved on only by the sender holding it (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregator.store import Storage

T0 = datetime(2026, 12, 1, 10, tzinfo=UTC)
ENDS = {"daily": datetime(2026, 12, 3, tzinfo=UTC), "weekly": datetime(2026, 11, 30, tzinfo=UTC)}
NOW = datetime(2026, 12, 3, 8, tzinfo=UTC)


def test_subscribing_again_changes_the_choices_not_the_period(storage: Storage) -> None:
    first = storage.subscribe("a@example.org", ["news"], "daily", now=T0)
    again = storage.subscribe("a@example.org", ["reviews", "news"], "weekly", now=T0 + timedelta(1))
    assert again.id == first.id and again.sent_until == T0
    assert (again.feeds, again.frequency) == (("reviews", "news"), "weekly")
    assert storage.subscriber_counts() == {("reviews", "weekly"): 1, ("news", "weekly"): 1}


def test_a_due_subscriber_is_claimed_once_and_its_period_moves_on(storage: Storage) -> None:
    daily = storage.subscribe("d@example.org", ["news"], "daily", now=T0)
    storage.subscribe("w@example.org", ["news"], "weekly", now=T0)  # its week has not ended
    claimed = storage.claim_digest("one", ENDS, now=NOW, ttl=60)
    assert claimed is not None and claimed.id == daily.id
    assert storage.claim_digest("two", ENDS, now=NOW, ttl=60) is None
    assert not storage.digest_sent(daily.id, "two", ENDS["daily"])  # not its claim
    assert storage.digest_sent(daily.id, "one", ENDS["daily"])
    assert storage.claim_digest("two", ENDS, now=NOW, ttl=60) is None  # this period is done
    assert storage.subscriber("d@example.org").sent_until == ENDS["daily"]  # type: ignore[union-attr]


def test_a_dead_senders_claim_lapses(storage: Storage) -> None:
    storage.subscribe("d@example.org", ["news"], "daily", now=T0)
    assert storage.claim_digest("dead", ENDS, now=NOW, ttl=60) is not None
    assert storage.claim_digest("next", ENDS, now=NOW + timedelta(seconds=59), ttl=60) is None
    assert storage.claim_digest("next", ENDS, now=NOW + timedelta(seconds=61), ttl=60) is not None


def test_failures_wait_for_their_retry_and_a_drop_deletes(storage: Storage) -> None:
    sub = storage.subscribe("d@example.org", ["news"], "daily", now=T0)
    storage.claim_digest("s", ENDS, now=NOW, ttl=60)
    storage.digest_failed(sub.id, "s", NOW + timedelta(hours=1))
    assert storage.claim_digest("s", ENDS, now=NOW + timedelta(minutes=59), ttl=60) is None
    again = storage.claim_digest("s", ENDS, now=NOW + timedelta(hours=1), ttl=60)
    assert again is not None and again.failures == 1
    storage.digest_failed(sub.id, "s", None)
    assert storage.subscriber("d@example.org") is None


def test_unsubscribing_deletes_the_address(storage: Storage) -> None:
    sub = storage.subscribe("d@example.org", ["news"], "daily", now=T0)
    assert not storage.unsubscribe(sub.id, "other@example.org")
    assert storage.unsubscribe(sub.id, "d@example.org")
    assert storage.subscriber("d@example.org") is None
    assert not storage.unsubscribe(sub.id, "d@example.org")


def test_requests_are_counted_per_period_and_old_periods_forgotten(storage: Storage) -> None:
    hour = datetime(2026, 12, 3, 8, tzinfo=UTC)
    assert [storage.count_request("client 192.0.2.1", hour) for _ in range(3)] == [1, 2, 3]
    assert storage.count_request("client 192.0.2.2", hour) == 1
    assert storage.count_request("client 192.0.2.1", hour + timedelta(hours=1)) == 1
    storage.count_request("client 192.0.2.9", hour + timedelta(days=2))  # forgets the old ones
    assert storage.count_request("client 192.0.2.1", hour) == 1
